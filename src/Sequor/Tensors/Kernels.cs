using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sequor;

/// <summary>
/// Vectorised element-wise kernels (TensorPrimitives) used by activations and optimizers. Each has a
/// plain loop in <see cref="KernelsReference"/> that tests hold it to.
/// </summary>
internal static class Kernels
{
    // VectorMath, not TensorPrimitives: its float Sigmoid measured ~20x slower here, its Tanh ~2x.
    public static void Sigmoid(ReadOnlySpan<Real> x, Span<Real> y) => VectorMath.Sigmoid(x, y);

    public static void Tanh(ReadOnlySpan<Real> x, Span<Real> y) => VectorMath.Tanh(x, y);

    public static void Exp(ReadOnlySpan<Real> x, Span<Real> y) => TensorPrimitives.Exp(x, y);

    /// <summary>y = x · (1 − x) · dy: the sigmoid derivative expressed through its output x.</summary>
    public static void SigmoidBackward(ReadOnlySpan<Real> y, ReadOnlySpan<Real> dy, Span<Real> dx)
    {
        for (int i = 0; i < y.Length; i++) dx[i] = dy[i] * y[i] * (1 - y[i]);
    }

    /// <summary>dx = (1 − y²) · dy: the tanh derivative expressed through its output y.</summary>
    public static void TanhBackward(ReadOnlySpan<Real> y, ReadOnlySpan<Real> dy, Span<Real> dx)
    {
        for (int i = 0; i < y.Length; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
    }

    /// <summary>
    /// z = x + y for spans of a few vectors (a row of one time step), where TensorPrimitives' per-call
    /// dispatch would cost more than the arithmetic. z may alias x or y.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(ReadOnlySpan<Real> x, ReadOnlySpan<Real> y, Span<Real> z)
    {
        int n = z.Length, i = 0, width = Vector256<Real>.Count;
        if (x.Length < n || y.Length < n) throw new ArgumentException("Kernels.Add: operands shorter than the result");
        ref Real xr = ref MemoryMarshal.GetReference(x);
        ref Real yr = ref MemoryMarshal.GetReference(y);
        ref Real zr = ref MemoryMarshal.GetReference(z);
        for (; i + width <= n; i += width)
            (Vector256.LoadUnsafe(ref xr, (nuint)i) + Vector256.LoadUnsafe(ref yr, (nuint)i)).StoreUnsafe(ref zr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref zr, i) = Unsafe.Add(ref xr, i) + Unsafe.Add(ref yr, i);
    }

    /// <summary>z = x ⊙ y for spans of a few vectors (see <see cref="Add"/>). z may alias x or y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(ReadOnlySpan<Real> x, ReadOnlySpan<Real> y, Span<Real> z)
    {
        int n = z.Length, i = 0, width = Vector256<Real>.Count;
        if (x.Length < n || y.Length < n) throw new ArgumentException("Kernels.Multiply: operands shorter than the result");
        ref Real xr = ref MemoryMarshal.GetReference(x);
        ref Real yr = ref MemoryMarshal.GetReference(y);
        ref Real zr = ref MemoryMarshal.GetReference(z);
        for (; i + width <= n; i += width)
            (Vector256.LoadUnsafe(ref xr, (nuint)i) * Vector256.LoadUnsafe(ref yr, (nuint)i)).StoreUnsafe(ref zr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref zr, i) = Unsafe.Add(ref xr, i) * Unsafe.Add(ref yr, i);
    }

    /// <summary>Adds <paramref name="v"/> (length n) to each of <paramref name="rows"/> rows of width n of a matrix (row stride ld).</summary>
    public static void AddToRows(Span<Real> matrix, int rows, int n, int ld, ReadOnlySpan<Real> v)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = matrix.Slice(r * ld, n);
            Add(row, v, row);
        }
    }

    /// <summary>sums = Σ_r matrix[r, :] over <paramref name="rows"/> rows of width n (row stride ld).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ColumnSums(ReadOnlySpan<Real> matrix, int rows, int n, int ld, Span<Real> sums)
    {
        sums = sums[..n];
        int width = Vector256<Real>.Count;
        if (rows > 0 && n % width == 0 && n <= 4 * width && (long)(rows - 1) * ld + n <= matrix.Length)
        {
            // the bias gradients of the chapter's cells (n = G·H ≤ 32): all sums stay in registers over the rows
            ref Real m = ref MemoryMarshal.GetReference(matrix);
            Vector256<Real> s0 = default, s1 = default, s2 = default, s3 = default;
            int vectors = n / width;
            for (int r = 0; r < rows; r++)
            {
                ref Real row = ref Unsafe.Add(ref m, r * ld);
                s0 += Vector256.LoadUnsafe(ref row);
                if (vectors > 1) s1 += Vector256.LoadUnsafe(ref row, (nuint)width);
                if (vectors > 2) s2 += Vector256.LoadUnsafe(ref row, (nuint)(2 * width));
                if (vectors > 3) s3 += Vector256.LoadUnsafe(ref row, (nuint)(3 * width));
            }
            ref Real d = ref MemoryMarshal.GetReference(sums);
            s0.StoreUnsafe(ref d);
            if (vectors > 1) s1.StoreUnsafe(ref d, (nuint)width);
            if (vectors > 2) s2.StoreUnsafe(ref d, (nuint)(2 * width));
            if (vectors > 3) s3.StoreUnsafe(ref d, (nuint)(3 * width));
            return;
        }
        sums.Clear();
        for (int r = 0; r < rows; r++) Add(sums, matrix.Slice(r * ld, n), sums);
    }

    /// <summary>
    /// Detects one-hot input (Keras's to_categorical): true when each of the <paramref name="rows"/> rows of
    /// <paramref name="x"/> (width <paramref name="width"/>) holds only zeros and at most one 1, with the 1's
    /// column (−1 for an all-zero row) in <paramref name="index"/>. Stops at the first other row, so general
    /// float input costs about one vector compare per row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool FindOneHotRows(ReadOnlySpan<Real> x, int rows, int width, Span<int> index)
    {
        int vector = Vector256<Real>.Count;
        ref Real start = ref MemoryMarshal.GetReference(x);
        if (x.Length < rows * width) throw new ArgumentException("FindOneHotRows: input shorter than rows × width");
        for (int r = 0; r < rows; r++)
        {
            ref Real row = ref Unsafe.Add(ref start, r * width);
            int found = -1, j = 0;
            for (; j + vector <= width; j += vector)
            {
                var v = Vector256.LoadUnsafe(ref row, (nuint)j);
                if (Vector256.EqualsAll(v, Vector256<Real>.Zero)) continue;
                for (int l = 0; l < vector; l++)
                {
                    Real value = Unsafe.Add(ref row, j + l);
                    if (value == 0) continue;
                    if (value != 1 || found >= 0) return false;
                    found = j + l;
                }
            }
            for (; j < width; j++)
            {
                Real value = Unsafe.Add(ref row, j);
                if (value == 0) continue;
                if (value != 1 || found >= 0) return false;
                found = j;
            }
            index[r] = found;
        }
        return true;
    }

    /// <summary>
    /// The product of one-hot rows with a matrix, as a gather: y[r, :] = table[index[r], :] + bias (bias only for
    /// index −1). table [V, n], y [rows, n] with rows = index.Length; bias n values or empty.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GatherRows(ReadOnlySpan<Real> table, int n, ReadOnlySpan<int> index, ReadOnlySpan<Real> bias, Span<Real> y)
    {
        int width = Vector256<Real>.Count;
        if (bias.IsEmpty && n % width == 0 && y.Length >= index.Length * n)
        {
            // the rows of a folded projection (n = G·H, a few vectors): whole vectors, no memmove call per row
            ref Real from = ref MemoryMarshal.GetReference(table);
            ref Real to = ref MemoryMarshal.GetReference(y);
            for (int r = 0; r < index.Length; r++)
            {
                ref Real destination = ref Unsafe.Add(ref to, r * n);
                if (index[r] < 0)
                {
                    for (int j = 0; j < n; j += width) Vector256<Real>.Zero.StoreUnsafe(ref destination, (nuint)j);
                    continue;
                }
                if ((uint)((index[r] + 1) * n) > (uint)table.Length) throw new ArgumentOutOfRangeException(nameof(index));
                ref Real row = ref Unsafe.Add(ref from, index[r] * n);
                for (int j = 0; j < n; j += width) Vector256.LoadUnsafe(ref row, (nuint)j).StoreUnsafe(ref destination, (nuint)j);
            }
            return;
        }
        for (int r = 0; r < index.Length; r++)
        {
            var destination = y.Slice(r * n, n);
            if (index[r] < 0)
            {
                if (bias.IsEmpty) destination.Clear();
                else bias[..n].CopyTo(destination);
            }
            else if (bias.IsEmpty) table.Slice(index[r] * n, n).CopyTo(destination);
            else Add(table.Slice(index[r] * n, n), bias, destination);
        }
    }

    /// <summary>
    /// The transpose of <see cref="GatherRows"/> for weight gradients: g = 0, then g[index[r], :] += d[r, :] for
    /// every row with index ≥ 0 (what Xᵀ·D is when X is one-hot). g [V, n], d [rows, n].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScatterAddRows(ReadOnlySpan<Real> d, int n, ReadOnlySpan<int> index, Span<Real> g)
    {
        g.Clear();
        int width = Vector256<Real>.Count;
        if (n % width == 0 && d.Length >= index.Length * n)
        {
            // rows of a few vectors (n = G·H): added in registers, no call per row
            ref Real from = ref MemoryMarshal.GetReference(d);
            ref Real to = ref MemoryMarshal.GetReference(g);
            for (int r = 0; r < index.Length; r++)
            {
                if (index[r] < 0) continue;
                if ((uint)((index[r] + 1) * n) > (uint)g.Length) throw new ArgumentOutOfRangeException(nameof(index));
                ref Real row = ref Unsafe.Add(ref to, index[r] * n);
                ref Real source = ref Unsafe.Add(ref from, r * n);
                for (int j = 0; j < n; j += width)
                    (Vector256.LoadUnsafe(ref row, (nuint)j) + Vector256.LoadUnsafe(ref source, (nuint)j)).StoreUnsafe(ref row, (nuint)j);
            }
            return;
        }
        for (int r = 0; r < index.Length; r++)
        {
            if (index[r] < 0) continue;
            var row = g.Slice(index[r] * n, n);
            Add(row, d.Slice(r * n, n), row);
        }
    }

    /// <summary>Softmax of each row of width <paramref name="width"/>, shifted by the row maximum.</summary>
    public static void Softmax(ReadOnlySpan<Real> x, Span<Real> y, int width)
    {
        for (int row = 0; row < x.Length; row += width)
        {
            var xs = x.Slice(row, width);
            var ys = y.Slice(row, width);
            Real max = TensorPrimitives.Max(xs);
            TensorPrimitives.Subtract(xs, max, ys);
            TensorPrimitives.Exp(ys, ys);
            Real sum = TensorPrimitives.Sum<Real>(ys);
            TensorPrimitives.Divide(ys, sum, ys);
        }
    }
}

/// <summary>The plain loops that <see cref="Kernels"/> must agree with.</summary>
internal static class KernelsReference
{
    public static void Sigmoid(ReadOnlySpan<Real> x, Span<Real> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = 1 / (1 + Real.Exp(-x[i]));
    }

    public static void Tanh(ReadOnlySpan<Real> x, Span<Real> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = Real.Tanh(x[i]);
    }

    public static void Exp(ReadOnlySpan<Real> x, Span<Real> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = Real.Exp(x[i]);
    }

    public static void Add(ReadOnlySpan<Real> x, ReadOnlySpan<Real> y, Span<Real> z)
    {
        for (int i = 0; i < z.Length; i++) z[i] = x[i] + y[i];
    }

    public static void Multiply(ReadOnlySpan<Real> x, ReadOnlySpan<Real> y, Span<Real> z)
    {
        for (int i = 0; i < z.Length; i++) z[i] = x[i] * y[i];
    }

    public static void ColumnSums(ReadOnlySpan<Real> matrix, int rows, int n, int ld, Span<Real> sums)
    {
        for (int j = 0; j < n; j++)
        {
            Real sum = 0;
            for (int r = 0; r < rows; r++) sum += matrix[r * ld + j];
            sums[j] = sum;
        }
    }

    public static void Softmax(ReadOnlySpan<Real> x, Span<Real> y, int width)
    {
        for (int row = 0; row < x.Length; row += width)
        {
            Real max = Real.NegativeInfinity;
            for (int j = 0; j < width; j++) max = Real.Max(max, x[row + j]);
            Real sum = 0;
            for (int j = 0; j < width; j++) sum += y[row + j] = Real.Exp(x[row + j] - max);
            for (int j = 0; j < width; j++) y[row + j] /= sum;
        }
    }
}

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

    /// <summary>
    /// Whether the recurrent kernels may use 512-bit vectors (two gate blocks of 8 floats per register). The
    /// 512-bit functions below do per lane exactly what the 256-bit ones do (the reciprocal estimate is taken per
    /// 256-bit half, since the 512-bit one has another precision), so results are the same bit for bit either
    /// way; settable so tests can prove that on a machine that has both. They repeat the 256-bit bodies line for
    /// line because .NET has no public interface over Vector256 and Vector512 to write them once;
    /// WideKernelTests fails on any drift between the two.
    /// </summary>
    internal static bool Wide { get; set; } = Vector512.IsHardwareAccelerated;

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
