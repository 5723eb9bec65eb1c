using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sequor;

/// <summary>
/// Sigmoid and tanh on one Vector256 of <see cref="Real"/>, for the fused gate math of the recurrent cells
/// (no per-element dispatch, no call per 8 values). float: sigmoid = 1/(1 + e^−x) with a Cody–Waite
/// range-reduced degree-6 exp (Cephes expf, ≈1e-7 relative); tanh a rational approximation (no exp);
/// divisions as a refined reciprocal estimate. Both stay within 1e-6 relative of
/// <see cref="KernelsReference"/>. double (the gradient-check build): the exact scalar functions per lane.
/// </summary>
internal static class VectorMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<Real> Sigmoid(Vector256<Real> x) =>
        typeof(Real) == typeof(float) ? SigmoidSingle(x.AsSingle()).As<float, Real>() : SigmoidExact(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<Real> Tanh(Vector256<Real> x) =>
        typeof(Real) == typeof(float) ? TanhSingle(x.AsSingle()).As<float, Real>() : TanhExact(x);

    /// <summary>e^x for x in [−87.3, 88] (clamped outside, so 2^n stays a normal float). The clamps take x as
    /// their second operand because x86's min/max return the second operand when one is NaN: NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ExpSingle(Vector256<float> x)
    {
        x = Vector256.MinNative(Vector256.Create(88f), Vector256.MaxNative(Vector256.Create(-87.3f), x));
        var n = Vector256.Round(x * Vector256.Create(1.44269504088896341f));
        var r = Vector256.MultiplyAddEstimate(n, Vector256.Create(-0.693359375f), x);
        r = Vector256.MultiplyAddEstimate(n, Vector256.Create(2.12194440e-4f), r);
        var p = Vector256.Create(1.9875691500E-4f);
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(1.3981999507E-3f));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(8.3334519073E-3f));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(4.1665795894E-2f));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(1.6666665459E-1f));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(5.0000001201E-1f));
        var y = Vector256.MultiplyAddEstimate(p, r * r, r) + Vector256<float>.One;
        var scale = (Vector256.ConvertToInt32Native(n) + Vector256.Create(127)) << 23;
        return y * scale.AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SigmoidSingle(Vector256<float> x) =>
        Reciprocal(Vector256<float>.One + ExpSingle(-x));

    /// <summary>
    /// 1/d for d ≥ 1e-3 (the sigmoid and tanh denominators): the 12-bit hardware estimate refined by one Newton
    /// step, ≈1.5e-7 relative, cheaper than a divide; an exact divide where the estimate is not available.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Reciprocal(Vector256<float> d)
    {
        if (!Avx.IsSupported) return Vector256<float>.One / d;
        var r = Avx.Reciprocal(d);
        // r·(2 − d·r); for d = +∞ (saturated exp) the estimate is 0 and stays 0
        return r * Vector256.MultiplyAddEstimate(-d, r, Vector256.Create(2f));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> TanhSingle(Vector256<float> x)
    {
        // A [13/6] rational minimax approximation on [−7.905, 7.905] (the one Eigen uses; tanh rounds to ±1 in
        // float beyond it): no exp, a dozen FMAs and one reciprocal. Below |x| = 0.0004, tanh x = x in float. x is the
        // clamps' second operand so that a NaN passes through (x86 min/max return the second operand on NaN).
        var c = Vector256.MinNative(Vector256.Create(7.90531110763549805f), Vector256.MaxNative(Vector256.Create(-7.90531110763549805f), x));
        var x2 = c * c;
        var p = Vector256.Create(-2.76076847742355e-16f);
        p = Vector256.MultiplyAddEstimate(p, x2, Vector256.Create(2.00018790482477e-13f));
        p = Vector256.MultiplyAddEstimate(p, x2, Vector256.Create(-8.60467152213735e-11f));
        p = Vector256.MultiplyAddEstimate(p, x2, Vector256.Create(5.12229709037114e-08f));
        p = Vector256.MultiplyAddEstimate(p, x2, Vector256.Create(1.48572235717979e-05f));
        p = Vector256.MultiplyAddEstimate(p, x2, Vector256.Create(6.37261928875436e-04f));
        p = Vector256.MultiplyAddEstimate(p, x2, Vector256.Create(4.89352455891786e-03f));
        p *= c;
        var q = Vector256.Create(1.19825839466702e-06f);
        q = Vector256.MultiplyAddEstimate(q, x2, Vector256.Create(1.18534705686654e-04f));
        q = Vector256.MultiplyAddEstimate(q, x2, Vector256.Create(2.26843463243900e-03f));
        q = Vector256.MultiplyAddEstimate(q, x2, Vector256.Create(4.89352518554385e-03f));
        var y = p * Reciprocal(q);
        return Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(x), Vector256.Create(0.0004f)), x, y);
    }

    // The 512-bit functions below (used when Kernels.Choice is Vector512: two gate blocks of 8 floats per register)
    // do per lane exactly what the 256-bit ones do (the reciprocal estimate is taken per 256-bit half, since the
    // 512-bit one has another precision), so results are the same bit for bit either way. They repeat the 256-bit
    // bodies line for line because .NET has no public interface over Vector256 and Vector512 to write them once;
    // WideKernelTests fails on any drift between the two.

    /// <summary><see cref="Sigmoid(Vector256{Real})"/> on each 256-bit half of <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<Real> Sigmoid(Vector512<Real> x) =>
        typeof(Real) == typeof(float) ? SigmoidSingle(x.AsSingle()).As<float, Real>()
        : Vector512.Create(SigmoidExact(x.GetLower()), SigmoidExact(x.GetUpper()));

    /// <summary><see cref="Tanh(Vector256{Real})"/> on each 256-bit half of <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<Real> Tanh(Vector512<Real> x) =>
        typeof(Real) == typeof(float) ? TanhSingle(x.AsSingle()).As<float, Real>()
        : Vector512.Create(TanhExact(x.GetLower()), TanhExact(x.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> TanhSingle(Vector512<float> x)
    {
        var c = Vector512.MinNative(Vector512.Create(7.90531110763549805f), Vector512.MaxNative(Vector512.Create(-7.90531110763549805f), x));
        var x2 = c * c;
        var p = Vector512.Create(-2.76076847742355e-16f);
        p = Vector512.MultiplyAddEstimate(p, x2, Vector512.Create(2.00018790482477e-13f));
        p = Vector512.MultiplyAddEstimate(p, x2, Vector512.Create(-8.60467152213735e-11f));
        p = Vector512.MultiplyAddEstimate(p, x2, Vector512.Create(5.12229709037114e-08f));
        p = Vector512.MultiplyAddEstimate(p, x2, Vector512.Create(1.48572235717979e-05f));
        p = Vector512.MultiplyAddEstimate(p, x2, Vector512.Create(6.37261928875436e-04f));
        p = Vector512.MultiplyAddEstimate(p, x2, Vector512.Create(4.89352455891786e-03f));
        p *= c;
        var q = Vector512.Create(1.19825839466702e-06f);
        q = Vector512.MultiplyAddEstimate(q, x2, Vector512.Create(1.18534705686654e-04f));
        q = Vector512.MultiplyAddEstimate(q, x2, Vector512.Create(2.26843463243900e-03f));
        q = Vector512.MultiplyAddEstimate(q, x2, Vector512.Create(4.89352518554385e-03f));
        var y = p * Vector512.Create(Reciprocal(q.GetLower()), Reciprocal(q.GetUpper()));
        return Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(x), Vector512.Create(0.0004f)), x, y);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> SigmoidSingle(Vector512<float> x)
    {
        var d = Vector512<float>.One + ExpSingle(-x);
        return Vector512.Create(Reciprocal(d.GetLower()), Reciprocal(d.GetUpper()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ExpSingle(Vector512<float> x)
    {
        x = Vector512.MinNative(Vector512.Create(88f), Vector512.MaxNative(Vector512.Create(-87.3f), x));
        var n = Vector512.Round(x * Vector512.Create(1.44269504088896341f));
        var r = Vector512.MultiplyAddEstimate(n, Vector512.Create(-0.693359375f), x);
        r = Vector512.MultiplyAddEstimate(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.Create(1.9875691500E-4f);
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(1.3981999507E-3f));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(8.3334519073E-3f));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(4.1665795894E-2f));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(1.6666665459E-1f));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(5.0000001201E-1f));
        var y = Vector512.MultiplyAddEstimate(p, r * r, r) + Vector512<float>.One;
        var scale = (Vector512.ConvertToInt32Native(n) + Vector512.Create(127)) << 23;
        return y * scale.AsSingle();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector256<Real> SigmoidExact(Vector256<Real> x)
    {
        Span<Real> lanes = stackalloc Real[Vector256<Real>.Count];
        x.CopyTo(lanes);
        for (int i = 0; i < lanes.Length; i++) lanes[i] = 1 / (1 + Real.Exp(-lanes[i]));
        return Vector256.Create<Real>(lanes);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector256<Real> TanhExact(Vector256<Real> x)
    {
        Span<Real> lanes = stackalloc Real[Vector256<Real>.Count];
        x.CopyTo(lanes);
        for (int i = 0; i < lanes.Length; i++) lanes[i] = Real.Tanh(lanes[i]);
        return Vector256.Create<Real>(lanes);
    }

    /// <summary>y = σ(x) over spans with <see cref="Sigmoid(Vector256{Real})"/>, the tail through a padded vector.</summary>
    public static void Sigmoid(ReadOnlySpan<Real> x, Span<Real> y) => Apply(x, y, sigmoid: true);

    /// <summary>y = tanh(x) over spans with <see cref="Tanh(Vector256{Real})"/>, the tail through a padded vector.</summary>
    public static void Tanh(ReadOnlySpan<Real> x, Span<Real> y) => Apply(x, y, sigmoid: false);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Apply(ReadOnlySpan<Real> x, Span<Real> y, bool sigmoid)
    {
        int width = Vector256<Real>.Count, i = 0;
        for (; i + width <= x.Length; i += width)
        {
            var v = Vector256.Create(x.Slice(i, width));
            (sigmoid ? Sigmoid(v) : Tanh(v)).CopyTo(y.Slice(i, width));
        }
        if (i == x.Length) return;
        Span<Real> lanes = stackalloc Real[width];
        x[i..].CopyTo(lanes);
        var t = Vector256.Create<Real>(lanes);
        (sigmoid ? Sigmoid(t) : Tanh(t)).CopyTo(lanes);
        lanes[..(x.Length - i)].CopyTo(y[i..]);
    }
}
