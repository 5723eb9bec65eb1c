using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sequor.Training;

/// <summary>
/// Keras 3's RMSprop (ε inside the square root):
/// <code>
/// v ← ρ·v + (1 − ρ)·g²
/// centered: m̄ ← ρ·m̄ + (1 − ρ)·g;  D = v − m̄² + ε      else D = v + ε
/// Δ = lr · g / √D
/// momentum > 0: m ← momentum·m + Δ;  w ← w − m          else w ← w − Δ
/// </code>
/// State order (Keras 3): velocities, then momentums (momentum &gt; 0), then average gradients (centered).
/// </summary>
public sealed class RMSprop : Optimizer
{
    private Real[][] velocity = [], momentums = [], averageGradient = [];

    public RMSprop(Real learningRate = 0.001f, Real rho = 0.9f, Real momentum = 0, Real epsilon = 1e-7f, bool centered = false,
        Real? clipnorm = null, Real? clipvalue = null, Real? globalClipnorm = null)
        : base(learningRate, clipnorm, clipvalue, globalClipnorm)
    {
        if (!(rho >= 0 && rho <= 1)) throw new SequorException($"RMSprop: rho must be in [0, 1], got {rho}");
        if (!(momentum >= 0)) throw new SequorException($"RMSprop: momentum must be non-negative, got {momentum}");
        Rho = rho;
        Momentum = momentum;
        Epsilon = epsilon;
        Centered = centered;
    }

    public Real Rho { get; }
    public Real Momentum { get; }
    public Real Epsilon { get; }
    public bool Centered { get; }

    public override string Name => "rmsprop";

    private protected override void BuildState(int[] sizes)
    {
        velocity = sizes.Select(n => new Real[n]).ToArray();
        momentums = Momentum > 0 ? sizes.Select(n => new Real[n]).ToArray() : [];
        averageGradient = Centered ? sizes.Select(n => new Real[n]).ToArray() : [];
    }

    internal override IReadOnlyList<Real[]> State => [.. velocity, .. momentums, .. averageGradient];

    private protected override void Update(int index, Span<Real> w, ReadOnlySpan<Real> g, int offset)
    {
        var v = velocity[index].AsSpan(offset, w.Length);
        var mg = Centered ? averageGradient[index].AsSpan(offset, w.Length) : default;
        var m = Momentum > 0 ? momentums[index].AsSpan(offset, w.Length) : default;
        Real lr = LearningRate, rho = Rho;
        int i = 0;
        if (!Centered && Momentum == 0 && Vector256.IsHardwareAccelerated)
        {
            // The plain rule in vectors, with the scalar loop's operations in its order (IEEE √ and ÷ are exact
            // in both), so the result is the same bit for bit; it is serial work between the parallel passes.
            var rhoV = Vector256.Create(rho);
            var keep = Vector256.Create(1 - rho);
            var lrV = Vector256.Create(lr);
            var epsilon = Vector256.Create(Epsilon);
            ref Real vRef = ref MemoryMarshal.GetReference(v);
            ref Real wRef = ref MemoryMarshal.GetReference(w);
            ref Real gRef = ref MemoryMarshal.GetReference(g);
            for (; i + Vector256<Real>.Count <= w.Length; i += Vector256<Real>.Count)
            {
                var gi = Vector256.LoadUnsafe(ref gRef, (nuint)i);
                var vi = rhoV * Vector256.LoadUnsafe(ref vRef, (nuint)i) + keep * gi * gi;
                vi.StoreUnsafe(ref vRef, (nuint)i);
                (Vector256.LoadUnsafe(ref wRef, (nuint)i) - lrV * gi / Vector256.Sqrt(vi + epsilon)).StoreUnsafe(ref wRef, (nuint)i);
            }
        }
        for (; i < w.Length; i++)
        {
            v[i] = rho * v[i] + (1 - rho) * g[i] * g[i];
            Real denominator = v[i];
            if (Centered)
            {
                mg[i] = rho * mg[i] + (1 - rho) * g[i];
                denominator -= mg[i] * mg[i];
            }
            Real step = lr * g[i] / Real.Sqrt(denominator + Epsilon);
            if (Momentum > 0)
            {
                m[i] = Momentum * m[i] + step;
                w[i] -= m[i];
            }
            else w[i] -= step;
        }
    }
}
