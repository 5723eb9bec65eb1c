using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sequor.Training;

/// <summary>
/// Keras's Adam (ε added to √v of the uncorrected v, the paper's "epsilon hat"):
/// <code>
/// t = iterations + 1
/// m ← m + (g − m)(1 − β₁)        v ← v + (g² − v)(1 − β₂)        amsgrad: v̂ ← max(v̂, v), used for v
/// α = lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ)
/// w ← w − α · m / (√v + ε)
/// </code>
/// State order (Keras 3): m₀, v₀, m₁, v₁, … then v̂ per variable (amsgrad).
/// </summary>
public sealed class Adam : Optimizer
{
    private Real[][] m = [], v = [], vHat = [];

    public Adam(Real learningRate = 0.001f, Real beta1 = 0.9f, Real beta2 = 0.999f, Real epsilon = 1e-7f, bool amsgrad = false,
        Real? clipnorm = null, Real? clipvalue = null, Real? globalClipnorm = null)
        : base(learningRate, clipnorm, clipvalue, globalClipnorm)
    {
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        Amsgrad = amsgrad;
    }

    public Real Beta1 { get; }
    public Real Beta2 { get; }
    public Real Epsilon { get; }
    public bool Amsgrad { get; }

    public override string Name => "adam";

    private protected override void BuildState(int[] sizes)
    {
        m = sizes.Select(n => new Real[n]).ToArray();
        v = sizes.Select(n => new Real[n]).ToArray();
        vHat = Amsgrad ? sizes.Select(n => new Real[n]).ToArray() : [];
    }

    internal override IReadOnlyList<Real[]> State => [.. m.Zip(v).SelectMany(p => new[] { p.First, p.Second }), .. vHat];

    private protected override void Update(int index, Span<Real> w, ReadOnlySpan<Real> g, int offset)
    {
        long t = Iterations + 1;
        Real alpha = (Real)(LearningRate * Math.Sqrt(1 - Math.Pow(Beta2, t)) / (1 - Math.Pow(Beta1, t)));
        var mi = m[index].AsSpan(offset, w.Length);
        var vi = v[index].AsSpan(offset, w.Length);
        var h = Amsgrad ? vHat[index].AsSpan(offset, w.Length) : default;
        int i = 0;
        if (!Amsgrad && Vector256.IsHardwareAccelerated)
        {
            // The plain rule in vectors, in the scalar loop's order of operations: the same result bit for bit.
            var keep1 = Vector256.Create(1 - Beta1);
            var keep2 = Vector256.Create(1 - Beta2);
            var alphaV = Vector256.Create(alpha);
            var epsilon = Vector256.Create(Epsilon);
            ref Real mRef = ref MemoryMarshal.GetReference(mi);
            ref Real vRef = ref MemoryMarshal.GetReference(vi);
            ref Real wRef = ref MemoryMarshal.GetReference(w);
            ref Real gRef = ref MemoryMarshal.GetReference(g);
            for (; i + Vector256<Real>.Count <= w.Length; i += Vector256<Real>.Count)
            {
                var gi = Vector256.LoadUnsafe(ref gRef, (nuint)i);
                var mNew = Vector256.LoadUnsafe(ref mRef, (nuint)i);
                mNew += (gi - mNew) * keep1;
                mNew.StoreUnsafe(ref mRef, (nuint)i);
                var vNew = Vector256.LoadUnsafe(ref vRef, (nuint)i);
                vNew += (gi * gi - vNew) * keep2;
                vNew.StoreUnsafe(ref vRef, (nuint)i);
                (Vector256.LoadUnsafe(ref wRef, (nuint)i) - alphaV * mNew / (Vector256.Sqrt(vNew) + epsilon)).StoreUnsafe(ref wRef, (nuint)i);
            }
        }
        for (; i < w.Length; i++)
        {
            mi[i] += (g[i] - mi[i]) * (1 - Beta1);
            vi[i] += (g[i] * g[i] - vi[i]) * (1 - Beta2);
            Real second = vi[i];
            if (Amsgrad)
            {
                h[i] = Real.Max(h[i], vi[i]);
                second = h[i];
            }
            w[i] -= alpha * mi[i] / (Real.Sqrt(second) + Epsilon);
        }
    }
}
