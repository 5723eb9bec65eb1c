using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sequor;

/// <summary>
/// General matrix product C (=|+=) op(A)·op(B) for the engine: op(A) is m×k, op(B) is k×n, row-major
/// with leading dimensions (so every other column block of a <c>[rows, G·H]</c> buffer is a matrix with ld = G·H).
/// Register-blocked along the contiguous output row in 256-bit vectors, with 512-bit column blocks under
/// <see cref="KernelChoice.Vector512"/> (32-wide ones here, and <see cref="GemmWide"/> for C at least 64 wide); under
/// <see cref="KernelChoice.Reference"/> it is <see cref="GemmReference"/>, the plain loop the blocked code is tested against.
/// </summary>
internal static class Gemm
{
    public static void Multiply(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<Real> a, int lda, ReadOnlySpan<Real> b, int ldb, Span<Real> c, int ldc, bool accumulate)
    {
        if (m == 0 || n == 0) return;
        CheckExtent(a, transposeA ? k : m, transposeA ? m : k, lda, "A");
        CheckExtent(b, transposeB ? n : k, transposeB ? k : n, ldb, "B");
        CheckExtent(c, m, n, ldc, "C");
        if (k == 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            return;
        }

        if (!Kernels.Vectorized)
            GemmReference.Multiply(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
        else if (!transposeB)
            Blocked(m, n, k, ref MemoryMarshal.GetReference(a), transposeA ? 1 : lda, transposeA ? lda : 1,
                ref MemoryMarshal.GetReference(b), ldb, ref MemoryMarshal.GetReference(c), ldc, accumulate, false, ref MemoryMarshal.GetReference(c));
        else if (n * k <= 1 << 16)
            RowsTimesTransposed(m, n, k, ref MemoryMarshal.GetReference(a), transposeA ? 1 : lda, transposeA ? lda : 1,
                b, ldb, ref MemoryMarshal.GetReference(c), ldc, accumulate);
        else if (!transposeA)
            RowDots(m, n, k, ref MemoryMarshal.GetReference(a), lda, ref MemoryMarshal.GetReference(b), ldb,
                ref MemoryMarshal.GetReference(c), ldc, accumulate);
        else
            GemmReference.Multiply(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
    }

    /// <summary>
    /// C = A·B + 1·biasᵀ: every row of C (m×n) starts from <paramref name="bias"/> (n values) instead of zero, so
    /// the input projection X·W + b of a recurrent layer is one pass. A m×k, B k×n, row-major with leading dimensions.
    /// </summary>
    public static void MultiplyAddBias(int m, int n, int k, ReadOnlySpan<Real> a, int lda, ReadOnlySpan<Real> b, int ldb,
        ReadOnlySpan<Real> bias, Span<Real> c, int ldc)
    {
        if (bias.Length < n) throw new ArgumentException($"GEMM bias: {bias.Length} values for {n} columns");
        if (!Kernels.Vectorized || m == 0 || n == 0 || k == 0)
        {
            Multiply(false, false, m, n, k, a, lda, b, ldb, c, ldc, false);
            for (int i = 0; i < m; i++) Kernels.Add(c.Slice(i * ldc, n), bias, c.Slice(i * ldc, n));
            return;
        }
        CheckExtent(a, m, k, lda, "A");
        CheckExtent(b, k, n, ldb, "B");
        CheckExtent(c, m, n, ldc, "C");
        Blocked(m, n, k, ref MemoryMarshal.GetReference(a), lda, 1, ref MemoryMarshal.GetReference(b), ldb,
            ref MemoryMarshal.GetReference(c), ldc, false, true, ref MemoryMarshal.GetReference(bias));
    }

    private static void CheckExtent(ReadOnlySpan<Real> span, int rows, int columns, int ld, string name)
    {
        if (ld < columns || (long)(rows - 1) * ld + columns > span.Length)
            throw new ArgumentException($"GEMM operand {name}: {rows}×{columns} with leading dimension {ld} needs more than the {span.Length} values given");
    }

    /// <summary>
    /// C[i, :] (=|+=) Σ_p a(i, p)·B[p, :] for C m×n, B k×n (row stride ldb), a(i, p) = a[i·strideI + p·strideP]
    /// (so A or Aᵀ). Register blocks: 2 rows × 4 vectors (8 independent FMA chains: the small-k shapes of a
    /// recurrent step, [32×8]·[8×32], and the long-k weight gradients, Xᵀ·∂P with k = B·T), then 4 rows × 1
    /// vector for narrow C (∂h = ∂z·Uᵀ with n = H), then scalar columns.
    /// </summary>
    internal static void RowsTimesMatrix(int m, int n, int k, ref Real a, int strideI, int strideP,
        ref Real b, int ldb, ref Real c, int ldc, bool accumulate) =>
        RowsTimesMatrix(m, n, k, ref a, strideI, strideP, ref b, ldb, ref c, ldc, accumulate, false, ref c);

    /// <summary>As above; with <paramref name="fromRow"/> (and not accumulate) C starts from the row vector
    /// <paramref name="row"/> (a bias) instead of zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsTimesMatrix(int m, int n, int k, ref Real a, int strideI, int strideP,
        ref Real b, int ldb, ref Real c, int ldc, bool accumulate, bool fromRow, ref Real row)
    {
        int width = Vector256<Real>.Count;
        int j = 0;
        if (n >= 12 * width)
            for (; j + 3 * width <= n; j += 3 * width)
            {
                int i = 0;
                for (; i + 4 <= m; i += 4) Block4x3(k, ref Unsafe.Add(ref a, i * strideI), strideI, strideP, ref Unsafe.Add(ref b, j), ldb,
                    ref Unsafe.Add(ref c, i * ldc + j), ldc, accumulate, fromRow, ref Unsafe.Add(ref row, j));
                for (; i < m; i++)
                {
                    ref Real c0 = ref Unsafe.Add(ref c, i * ldc + j);
                    ref Real ap = ref Unsafe.Add(ref a, i * strideI);
                    var x0 = accumulate ? Vector256.LoadUnsafe(ref c0) : fromRow ? Vector256.LoadUnsafe(ref row, (nuint)j) : Vector256<Real>.Zero;
                    var x1 = accumulate ? Vector256.LoadUnsafe(ref c0, (nuint)width) : fromRow ? Vector256.LoadUnsafe(ref row, (nuint)(j + width)) : Vector256<Real>.Zero;
                    var x2 = accumulate ? Vector256.LoadUnsafe(ref c0, (nuint)(2 * width)) : fromRow ? Vector256.LoadUnsafe(ref row, (nuint)(j + 2 * width)) : Vector256<Real>.Zero;
                    ref Real bp = ref Unsafe.Add(ref b, j);
                    for (int p = 0; p < k; p++)
                    {
                        var s0 = Vector256.Create(ap);
                        x0 = Vector256.MultiplyAddEstimate(s0, Vector256.LoadUnsafe(ref bp), x0);
                        x1 = Vector256.MultiplyAddEstimate(s0, Vector256.LoadUnsafe(ref bp, (nuint)width), x1);
                        x2 = Vector256.MultiplyAddEstimate(s0, Vector256.LoadUnsafe(ref bp, (nuint)(2 * width)), x2);
                        ap = ref Unsafe.Add(ref ap, strideP);
                        bp = ref Unsafe.Add(ref bp, ldb);
                    }
                    x0.StoreUnsafe(ref c0); x1.StoreUnsafe(ref c0, (nuint)width); x2.StoreUnsafe(ref c0, (nuint)(2 * width));
                }
            }
        if (Kernels.Wide)
            for (; j + 4 * width <= n; j += 4 * width)
                Columns4Wide(m, k, ref a, strideI, strideP, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref c, j), ldc, accumulate, fromRow, ref Unsafe.Add(ref row, j));
        for (; j + 4 * width <= n; j += 4 * width)
        {
            int i = 0;
            for (; i + 2 <= m; i += 2)
            {
                ref Real c0 = ref Unsafe.Add(ref c, i * ldc + j);
                ref Real c1 = ref Unsafe.Add(ref c0, ldc);
                ref Real a0 = ref Unsafe.Add(ref a, i * strideI);
                ref Real a1 = ref Unsafe.Add(ref a0, strideI);
                Vector256<Real> x0 = default, x1 = default, x2 = default, x3 = default, y0 = default, y1 = default, y2 = default, y3 = default;
                if (accumulate)
                {
                    x0 = Vector256.LoadUnsafe(ref c0); x1 = Vector256.LoadUnsafe(ref c0, (nuint)width);
                    x2 = Vector256.LoadUnsafe(ref c0, (nuint)(2 * width)); x3 = Vector256.LoadUnsafe(ref c0, (nuint)(3 * width));
                    y0 = Vector256.LoadUnsafe(ref c1); y1 = Vector256.LoadUnsafe(ref c1, (nuint)width);
                    y2 = Vector256.LoadUnsafe(ref c1, (nuint)(2 * width)); y3 = Vector256.LoadUnsafe(ref c1, (nuint)(3 * width));
                }
                else if (fromRow)
                {
                    y0 = x0 = Vector256.LoadUnsafe(ref row, (nuint)j); y1 = x1 = Vector256.LoadUnsafe(ref row, (nuint)(j + width));
                    y2 = x2 = Vector256.LoadUnsafe(ref row, (nuint)(j + 2 * width)); y3 = x3 = Vector256.LoadUnsafe(ref row, (nuint)(j + 3 * width));
                }
                ref Real bp = ref Unsafe.Add(ref b, j);
                for (int p = 0; p < k; p++)
                {
                    var b0 = Vector256.LoadUnsafe(ref bp);
                    var b1 = Vector256.LoadUnsafe(ref bp, (nuint)width);
                    var b2 = Vector256.LoadUnsafe(ref bp, (nuint)(2 * width));
                    var b3 = Vector256.LoadUnsafe(ref bp, (nuint)(3 * width));
                    var s0 = Vector256.Create(Unsafe.Add(ref a0, p * strideP));
                    var s1 = Vector256.Create(Unsafe.Add(ref a1, p * strideP));
                    x0 = Vector256.MultiplyAddEstimate(s0, b0, x0); x1 = Vector256.MultiplyAddEstimate(s0, b1, x1);
                    x2 = Vector256.MultiplyAddEstimate(s0, b2, x2); x3 = Vector256.MultiplyAddEstimate(s0, b3, x3);
                    y0 = Vector256.MultiplyAddEstimate(s1, b0, y0); y1 = Vector256.MultiplyAddEstimate(s1, b1, y1);
                    y2 = Vector256.MultiplyAddEstimate(s1, b2, y2); y3 = Vector256.MultiplyAddEstimate(s1, b3, y3);
                    bp = ref Unsafe.Add(ref bp, ldb);
                }
                x0.StoreUnsafe(ref c0); x1.StoreUnsafe(ref c0, (nuint)width); x2.StoreUnsafe(ref c0, (nuint)(2 * width)); x3.StoreUnsafe(ref c0, (nuint)(3 * width));
                y0.StoreUnsafe(ref c1); y1.StoreUnsafe(ref c1, (nuint)width); y2.StoreUnsafe(ref c1, (nuint)(2 * width)); y3.StoreUnsafe(ref c1, (nuint)(3 * width));
            }
            for (; i < m; i++)
            {
                ref Real c0 = ref Unsafe.Add(ref c, i * ldc + j);
                ref Real a0 = ref Unsafe.Add(ref a, i * strideI);
                Vector256<Real> x0 = default, x1 = default, x2 = default, x3 = default;
                if (accumulate)
                {
                    x0 = Vector256.LoadUnsafe(ref c0); x1 = Vector256.LoadUnsafe(ref c0, (nuint)width);
                    x2 = Vector256.LoadUnsafe(ref c0, (nuint)(2 * width)); x3 = Vector256.LoadUnsafe(ref c0, (nuint)(3 * width));
                }
                else if (fromRow)
                {
                    x0 = Vector256.LoadUnsafe(ref row, (nuint)j); x1 = Vector256.LoadUnsafe(ref row, (nuint)(j + width));
                    x2 = Vector256.LoadUnsafe(ref row, (nuint)(j + 2 * width)); x3 = Vector256.LoadUnsafe(ref row, (nuint)(j + 3 * width));
                }
                ref Real bp = ref Unsafe.Add(ref b, j);
                for (int p = 0; p < k; p++)
                {
                    var s0 = Vector256.Create(Unsafe.Add(ref a0, p * strideP));
                    x0 = Vector256.MultiplyAddEstimate(s0, Vector256.LoadUnsafe(ref bp), x0);
                    x1 = Vector256.MultiplyAddEstimate(s0, Vector256.LoadUnsafe(ref bp, (nuint)width), x1);
                    x2 = Vector256.MultiplyAddEstimate(s0, Vector256.LoadUnsafe(ref bp, (nuint)(2 * width)), x2);
                    x3 = Vector256.MultiplyAddEstimate(s0, Vector256.LoadUnsafe(ref bp, (nuint)(3 * width)), x3);
                    bp = ref Unsafe.Add(ref bp, ldb);
                }
                x0.StoreUnsafe(ref c0); x1.StoreUnsafe(ref c0, (nuint)width); x2.StoreUnsafe(ref c0, (nuint)(2 * width)); x3.StoreUnsafe(ref c0, (nuint)(3 * width));
            }
        }
        // two vectors (∂X of a small layer, n = 16): 4 rows × 2 vectors, 8 independent chains
        for (; j + 2 * width <= n; j += 2 * width)
        {
            int i = 0;
            for (; i + 4 <= m; i += 4)
            {
                ref Real c0 = ref Unsafe.Add(ref c, i * ldc + j);
                ref Real c1 = ref Unsafe.Add(ref c0, ldc);
                ref Real c2 = ref Unsafe.Add(ref c0, 2 * ldc);
                ref Real c3 = ref Unsafe.Add(ref c0, 3 * ldc);
                Vector256<Real> x0, x1, y0, y1, z0, z1, w0, w1;
                if (accumulate)
                {
                    x0 = Vector256.LoadUnsafe(ref c0); x1 = Vector256.LoadUnsafe(ref c0, (nuint)width);
                    y0 = Vector256.LoadUnsafe(ref c1); y1 = Vector256.LoadUnsafe(ref c1, (nuint)width);
                    z0 = Vector256.LoadUnsafe(ref c2); z1 = Vector256.LoadUnsafe(ref c2, (nuint)width);
                    w0 = Vector256.LoadUnsafe(ref c3); w1 = Vector256.LoadUnsafe(ref c3, (nuint)width);
                }
                else if (fromRow)
                {
                    x0 = y0 = z0 = w0 = Vector256.LoadUnsafe(ref row, (nuint)j);
                    x1 = y1 = z1 = w1 = Vector256.LoadUnsafe(ref row, (nuint)(j + width));
                }
                else x0 = x1 = y0 = y1 = z0 = z1 = w0 = w1 = Vector256<Real>.Zero;
                ref Real ap = ref Unsafe.Add(ref a, i * strideI);
                ref Real bp = ref Unsafe.Add(ref b, j);
                for (int p = 0; p < k; p++)
                {
                    var b0 = Vector256.LoadUnsafe(ref bp);
                    var b1 = Vector256.LoadUnsafe(ref bp, (nuint)width);
                    var s0 = Vector256.Create(ap);
                    x0 = Vector256.MultiplyAddEstimate(s0, b0, x0); x1 = Vector256.MultiplyAddEstimate(s0, b1, x1);
                    s0 = Vector256.Create(Unsafe.Add(ref ap, strideI));
                    y0 = Vector256.MultiplyAddEstimate(s0, b0, y0); y1 = Vector256.MultiplyAddEstimate(s0, b1, y1);
                    s0 = Vector256.Create(Unsafe.Add(ref ap, 2 * strideI));
                    z0 = Vector256.MultiplyAddEstimate(s0, b0, z0); z1 = Vector256.MultiplyAddEstimate(s0, b1, z1);
                    s0 = Vector256.Create(Unsafe.Add(ref ap, 3 * strideI));
                    w0 = Vector256.MultiplyAddEstimate(s0, b0, w0); w1 = Vector256.MultiplyAddEstimate(s0, b1, w1);
                    ap = ref Unsafe.Add(ref ap, strideP);
                    bp = ref Unsafe.Add(ref bp, ldb);
                }
                x0.StoreUnsafe(ref c0); x1.StoreUnsafe(ref c0, (nuint)width);
                y0.StoreUnsafe(ref c1); y1.StoreUnsafe(ref c1, (nuint)width);
                z0.StoreUnsafe(ref c2); z1.StoreUnsafe(ref c2, (nuint)width);
                w0.StoreUnsafe(ref c3); w1.StoreUnsafe(ref c3, (nuint)width);
            }
            for (; i < m; i++)
            {
                ref Real c0 = ref Unsafe.Add(ref c, i * ldc + j);
                ref Real ap = ref Unsafe.Add(ref a, i * strideI);
                var x0 = accumulate ? Vector256.LoadUnsafe(ref c0) : fromRow ? Vector256.LoadUnsafe(ref row, (nuint)j) : Vector256<Real>.Zero;
                var x1 = accumulate ? Vector256.LoadUnsafe(ref c0, (nuint)width) : fromRow ? Vector256.LoadUnsafe(ref row, (nuint)(j + width)) : Vector256<Real>.Zero;
                ref Real bp = ref Unsafe.Add(ref b, j);
                for (int p = 0; p < k; p++)
                {
                    var s0 = Vector256.Create(ap);
                    x0 = Vector256.MultiplyAddEstimate(s0, Vector256.LoadUnsafe(ref bp), x0);
                    x1 = Vector256.MultiplyAddEstimate(s0, Vector256.LoadUnsafe(ref bp, (nuint)width), x1);
                    ap = ref Unsafe.Add(ref ap, strideP);
                    bp = ref Unsafe.Add(ref bp, ldb);
                }
                x0.StoreUnsafe(ref c0); x1.StoreUnsafe(ref c0, (nuint)width);
            }
        }
        for (; j + width <= n; j += width)
        {
            int i = 0;
            // one vector wide (∂h̃ = ∂z·Uᵀ with n = H = 8): 8 rows, 8 independent chains over the 4-cycle FMA latency
            for (; i + 8 <= m; i += 8)
            {
                ref Real c0 = ref Unsafe.Add(ref c, i * ldc + j);
                Vector256<Real> x0, x1, x2, x3, x4, x5, x6, x7;
                if (accumulate)
                {
                    x0 = Vector256.LoadUnsafe(ref c0); x1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c0, ldc));
                    x2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c0, 2 * ldc)); x3 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c0, 3 * ldc));
                    x4 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c0, 4 * ldc)); x5 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c0, 5 * ldc));
                    x6 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c0, 6 * ldc)); x7 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c0, 7 * ldc));
                }
                else if (fromRow) x0 = x1 = x2 = x3 = x4 = x5 = x6 = x7 = Vector256.LoadUnsafe(ref row, (nuint)j);
                else x0 = x1 = x2 = x3 = x4 = x5 = x6 = x7 = Vector256<Real>.Zero;
                ref Real ap = ref Unsafe.Add(ref a, i * strideI);
                ref Real bp = ref Unsafe.Add(ref b, j);
                for (int p = 0; p < k; p++)
                {
                    var bv = Vector256.LoadUnsafe(ref bp);
                    x0 = Vector256.MultiplyAddEstimate(Vector256.Create(ap), bv, x0);
                    x1 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref ap, strideI)), bv, x1);
                    x2 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref ap, 2 * strideI)), bv, x2);
                    x3 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref ap, 3 * strideI)), bv, x3);
                    x4 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref ap, 4 * strideI)), bv, x4);
                    x5 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref ap, 5 * strideI)), bv, x5);
                    x6 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref ap, 6 * strideI)), bv, x6);
                    x7 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref ap, 7 * strideI)), bv, x7);
                    ap = ref Unsafe.Add(ref ap, strideP);
                    bp = ref Unsafe.Add(ref bp, ldb);
                }
                x0.StoreUnsafe(ref c0); x1.StoreUnsafe(ref Unsafe.Add(ref c0, ldc));
                x2.StoreUnsafe(ref Unsafe.Add(ref c0, 2 * ldc)); x3.StoreUnsafe(ref Unsafe.Add(ref c0, 3 * ldc));
                x4.StoreUnsafe(ref Unsafe.Add(ref c0, 4 * ldc)); x5.StoreUnsafe(ref Unsafe.Add(ref c0, 5 * ldc));
                x6.StoreUnsafe(ref Unsafe.Add(ref c0, 6 * ldc)); x7.StoreUnsafe(ref Unsafe.Add(ref c0, 7 * ldc));
            }
            for (; i + 4 <= m; i += 4)
            {
                ref Real c0 = ref Unsafe.Add(ref c, i * ldc + j);
                ref Real a0 = ref Unsafe.Add(ref a, i * strideI);
                Vector256<Real> x0 = default, x1 = default, x2 = default, x3 = default;
                if (accumulate)
                {
                    x0 = Vector256.LoadUnsafe(ref c0); x1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c0, ldc));
                    x2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c0, 2 * ldc)); x3 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c0, 3 * ldc));
                }
                else if (fromRow) x0 = x1 = x2 = x3 = Vector256.LoadUnsafe(ref row, (nuint)j);
                ref Real bp = ref Unsafe.Add(ref b, j);
                for (int p = 0; p < k; p++)
                {
                    var bv = Vector256.LoadUnsafe(ref bp);
                    ref Real ap = ref Unsafe.Add(ref a0, p * strideP);
                    x0 = Vector256.MultiplyAddEstimate(Vector256.Create(ap), bv, x0);
                    x1 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref ap, strideI)), bv, x1);
                    x2 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref ap, 2 * strideI)), bv, x2);
                    x3 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref ap, 3 * strideI)), bv, x3);
                    bp = ref Unsafe.Add(ref bp, ldb);
                }
                x0.StoreUnsafe(ref c0); x1.StoreUnsafe(ref Unsafe.Add(ref c0, ldc));
                x2.StoreUnsafe(ref Unsafe.Add(ref c0, 2 * ldc)); x3.StoreUnsafe(ref Unsafe.Add(ref c0, 3 * ldc));
            }
            for (; i < m; i++)
            {
                ref Real c0 = ref Unsafe.Add(ref c, i * ldc + j);
                ref Real a0 = ref Unsafe.Add(ref a, i * strideI);
                var x0 = accumulate ? Vector256.LoadUnsafe(ref c0) : fromRow ? Vector256.LoadUnsafe(ref row, (nuint)j) : Vector256<Real>.Zero;
                for (int p = 0; p < k; p++)
                    x0 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref a0, p * strideP)), Vector256.LoadUnsafe(ref b, (nuint)(p * ldb + j)), x0);
                x0.StoreUnsafe(ref c0);
            }
        }
        for (; j < n; j++)
            for (int i = 0; i < m; i++)
            {
                ref Real cij = ref Unsafe.Add(ref c, i * ldc + j);
                ref Real a0 = ref Unsafe.Add(ref a, i * strideI);
                Real sum = accumulate ? cij : fromRow ? Unsafe.Add(ref row, j) : 0;
                for (int p = 0; p < k; p++)
                    sum += Unsafe.Add(ref a0, p * strideP) * Unsafe.Add(ref b, p * ldb + j);
                cij = sum;
            }
    }

    /// <summary>
    /// C[:, 0..4w) for all m rows (w = one Vector256) in 512-bit registers, four rows at a time: half the FMAs and
    /// B loads of the 256-bit 2 × 4 block (the recurrent layers' 32-wide gate projections). Each lane sums the
    /// same products in the same order from the same start, so C is the same bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Columns4Wide(int m, int k, ref Real a, int strideI, int strideP, ref Real b, int ldb,
        ref Real c, int ldc, bool accumulate, bool fromRow, ref Real row)
    {
        int half = 2 * Vector256<Real>.Count;
        var start0 = fromRow ? Vector512.LoadUnsafe(ref row) : Vector512<Real>.Zero;
        var start1 = fromRow ? Vector512.LoadUnsafe(ref row, (nuint)half) : Vector512<Real>.Zero;
        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            ref Real c0 = ref Unsafe.Add(ref c, i * ldc);
            ref Real c1 = ref Unsafe.Add(ref c0, ldc);
            ref Real c2 = ref Unsafe.Add(ref c1, ldc);
            ref Real c3 = ref Unsafe.Add(ref c2, ldc);
            Vector512<Real> x0 = start0, x1 = start1, y0 = start0, y1 = start1, z0 = start0, z1 = start1, w0 = start0, w1 = start1;
            if (accumulate)
            {
                x0 = Vector512.LoadUnsafe(ref c0); x1 = Vector512.LoadUnsafe(ref c0, (nuint)half);
                y0 = Vector512.LoadUnsafe(ref c1); y1 = Vector512.LoadUnsafe(ref c1, (nuint)half);
                z0 = Vector512.LoadUnsafe(ref c2); z1 = Vector512.LoadUnsafe(ref c2, (nuint)half);
                w0 = Vector512.LoadUnsafe(ref c3); w1 = Vector512.LoadUnsafe(ref c3, (nuint)half);
            }
            ref Real ap = ref Unsafe.Add(ref a, i * strideI);
            ref Real bp = ref b;
            for (int p = 0; p < k; p++)
            {
                var b0 = Vector512.LoadUnsafe(ref bp);
                var b1 = Vector512.LoadUnsafe(ref bp, (nuint)half);
                var s0 = Vector512.Create(ap);
                var s1 = Vector512.Create(Unsafe.Add(ref ap, strideI));
                var s2 = Vector512.Create(Unsafe.Add(ref ap, 2 * strideI));
                var s3 = Vector512.Create(Unsafe.Add(ref ap, 3 * strideI));
                x0 = Vector512.MultiplyAddEstimate(s0, b0, x0); x1 = Vector512.MultiplyAddEstimate(s0, b1, x1);
                y0 = Vector512.MultiplyAddEstimate(s1, b0, y0); y1 = Vector512.MultiplyAddEstimate(s1, b1, y1);
                z0 = Vector512.MultiplyAddEstimate(s2, b0, z0); z1 = Vector512.MultiplyAddEstimate(s2, b1, z1);
                w0 = Vector512.MultiplyAddEstimate(s3, b0, w0); w1 = Vector512.MultiplyAddEstimate(s3, b1, w1);
                ap = ref Unsafe.Add(ref ap, strideP);
                bp = ref Unsafe.Add(ref bp, ldb);
            }
            x0.StoreUnsafe(ref c0); x1.StoreUnsafe(ref c0, (nuint)half);
            y0.StoreUnsafe(ref c1); y1.StoreUnsafe(ref c1, (nuint)half);
            z0.StoreUnsafe(ref c2); z1.StoreUnsafe(ref c2, (nuint)half);
            w0.StoreUnsafe(ref c3); w1.StoreUnsafe(ref c3, (nuint)half);
        }
        for (; i < m; i++)
        {
            ref Real c0 = ref Unsafe.Add(ref c, i * ldc);
            var x0 = accumulate ? Vector512.LoadUnsafe(ref c0) : start0;
            var x1 = accumulate ? Vector512.LoadUnsafe(ref c0, (nuint)half) : start1;
            ref Real ap = ref Unsafe.Add(ref a, i * strideI);
            ref Real bp = ref b;
            for (int p = 0; p < k; p++)
            {
                var s0 = Vector512.Create(ap);
                x0 = Vector512.MultiplyAddEstimate(s0, Vector512.LoadUnsafe(ref bp), x0);
                x1 = Vector512.MultiplyAddEstimate(s0, Vector512.LoadUnsafe(ref bp, (nuint)half), x1);
                ap = ref Unsafe.Add(ref ap, strideP);
                bp = ref Unsafe.Add(ref bp, ldb);
            }
            x0.StoreUnsafe(ref c0); x1.StoreUnsafe(ref c0, (nuint)half);
        }
    }

    /// <summary>
    /// C[0..4, 0..3 vectors] (=|+=) Σ_p a(i, p)·B[p, :]: 12 accumulators, three B vectors and one broadcast fill
    /// the 16 AVX registers; used for wide C (n ≥ 12 vectors: LSTM(128) and up), where it keeps both FMA pipes
    /// busy with slack over the 4-cycle FMA latency.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4x3(int k, ref Real a, int strideI, int strideP, ref Real b, int ldb,
        ref Real c, int ldc, bool accumulate, bool fromRow, ref Real row)
    {
        int width = Vector256<Real>.Count;
        ref Real c1 = ref Unsafe.Add(ref c, ldc);
        ref Real c2 = ref Unsafe.Add(ref c, 2 * ldc);
        ref Real c3 = ref Unsafe.Add(ref c, 3 * ldc);
        Vector256<Real> x00, x01, x02, x10, x11, x12, x20, x21, x22, x30, x31, x32;
        if (accumulate)
        {
            x00 = Vector256.LoadUnsafe(ref c); x01 = Vector256.LoadUnsafe(ref c, (nuint)width); x02 = Vector256.LoadUnsafe(ref c, (nuint)(2 * width));
            x10 = Vector256.LoadUnsafe(ref c1); x11 = Vector256.LoadUnsafe(ref c1, (nuint)width); x12 = Vector256.LoadUnsafe(ref c1, (nuint)(2 * width));
            x20 = Vector256.LoadUnsafe(ref c2); x21 = Vector256.LoadUnsafe(ref c2, (nuint)width); x22 = Vector256.LoadUnsafe(ref c2, (nuint)(2 * width));
            x30 = Vector256.LoadUnsafe(ref c3); x31 = Vector256.LoadUnsafe(ref c3, (nuint)width); x32 = Vector256.LoadUnsafe(ref c3, (nuint)(2 * width));
        }
        else if (fromRow)
        {
            x00 = x10 = x20 = x30 = Vector256.LoadUnsafe(ref row);
            x01 = x11 = x21 = x31 = Vector256.LoadUnsafe(ref row, (nuint)width);
            x02 = x12 = x22 = x32 = Vector256.LoadUnsafe(ref row, (nuint)(2 * width));
        }
        else x00 = x01 = x02 = x10 = x11 = x12 = x20 = x21 = x22 = x30 = x31 = x32 = Vector256<Real>.Zero;
        for (int p = 0; p < k; p++)
        {
            var b0 = Vector256.LoadUnsafe(ref b);
            var b1 = Vector256.LoadUnsafe(ref b, (nuint)width);
            var b2 = Vector256.LoadUnsafe(ref b, (nuint)(2 * width));
            var s = Vector256.Create(a);
            x00 = Vector256.MultiplyAddEstimate(s, b0, x00); x01 = Vector256.MultiplyAddEstimate(s, b1, x01); x02 = Vector256.MultiplyAddEstimate(s, b2, x02);
            s = Vector256.Create(Unsafe.Add(ref a, strideI));
            x10 = Vector256.MultiplyAddEstimate(s, b0, x10); x11 = Vector256.MultiplyAddEstimate(s, b1, x11); x12 = Vector256.MultiplyAddEstimate(s, b2, x12);
            s = Vector256.Create(Unsafe.Add(ref a, 2 * strideI));
            x20 = Vector256.MultiplyAddEstimate(s, b0, x20); x21 = Vector256.MultiplyAddEstimate(s, b1, x21); x22 = Vector256.MultiplyAddEstimate(s, b2, x22);
            s = Vector256.Create(Unsafe.Add(ref a, 3 * strideI));
            x30 = Vector256.MultiplyAddEstimate(s, b0, x30); x31 = Vector256.MultiplyAddEstimate(s, b1, x31); x32 = Vector256.MultiplyAddEstimate(s, b2, x32);
            a = ref Unsafe.Add(ref a, strideP);
            b = ref Unsafe.Add(ref b, ldb);
        }
        x00.StoreUnsafe(ref c); x01.StoreUnsafe(ref c, (nuint)width); x02.StoreUnsafe(ref c, (nuint)(2 * width));
        x10.StoreUnsafe(ref c1); x11.StoreUnsafe(ref c1, (nuint)width); x12.StoreUnsafe(ref c1, (nuint)(2 * width));
        x20.StoreUnsafe(ref c2); x21.StoreUnsafe(ref c2, (nuint)width); x22.StoreUnsafe(ref c2, (nuint)(2 * width));
        x30.StoreUnsafe(ref c3); x31.StoreUnsafe(ref c3, (nuint)width); x32.StoreUnsafe(ref c3, (nuint)(2 * width));
    }

    private const int RowBlock = 64, DepthBlock = 128;

    /// <summary>
    /// Cache blocking around <see cref="RowsTimesMatrix(int, int, int, ref Real, int, int, ref Real, int, ref Real, int, bool, bool, ref Real)"/>:
    /// depth chunks of 128 (a 128×32 panel of B, 16 KB, stays in L1 across all rows) and row chunks of 64 (the A
    /// rows stay in cache across all column blocks). C carries the partial sums between depth chunks, so every
    /// element still sums p = 0 … k−1 in order: results are identical to the unblocked loop.
    /// </summary>
    private static void Blocked(int m, int n, int k, ref Real a, int strideI, int strideP,
        ref Real b, int ldb, ref Real c, int ldc, bool accumulate, bool fromRow, ref Real row)
    {
        if (Kernels.Wide && n >= GemmWide.MinimumColumns)
        {
            int done = GemmWide.Multiply(m, n, k, ref a, strideI, strideP, ref b, ldb, ref c, ldc, accumulate, fromRow, ref row);
            if (done == n) return;
            b = ref Unsafe.Add(ref b, done);
            c = ref Unsafe.Add(ref c, done);
            row = ref Unsafe.Add(ref row, done);
            n -= done;
        }
        for (int p0 = 0; p0 < k; p0 += DepthBlock)
        {
            int kc = Math.Min(DepthBlock, k - p0);
            bool first = p0 == 0;
            for (int i0 = 0; i0 < m; i0 += RowBlock)
                RowsTimesMatrix(Math.Min(RowBlock, m - i0), n, kc, ref Unsafe.Add(ref a, i0 * strideI + p0 * strideP), strideI, strideP,
                    ref Unsafe.Add(ref b, p0 * ldb), ldb, ref Unsafe.Add(ref c, i0 * ldc), ldc, accumulate || !first, fromRow && first, ref row);
        }
    }

    [ThreadStatic] private static Real[]? transposeScratch;

    // op(B) = Bᵀ: B is n×k (row stride ldb). A small Bᵀ is copied into a per-thread scratch (k×n, contiguous) so
    // that the register-blocked RowsTimesMatrix runs instead of n horizontal dot products per row; the scratch
    // grows once and is reused, so steady-state steps allocate nothing.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsTimesTransposed(int m, int n, int k, ref Real a, int strideI, int strideP,
        ReadOnlySpan<Real> b, int ldb, ref Real c, int ldc, bool accumulate)
    {
        var scratch = transposeScratch;
        if (scratch is null || scratch.Length < n * k) transposeScratch = scratch = new Real[Math.Max(n * k, 1024)];
        Kernels.Transpose(b, n, k, ldb, scratch);
        Blocked(m, n, k, ref a, strideI, strideP, ref MemoryMarshal.GetArrayDataReference(scratch), n, ref c, ldc, accumulate, false, ref c);
    }

    // C[i, j] = A[i, :] · B[j, :] (B transposed): dot products along the contiguous k axis.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowDots(int m, int n, int k, ref Real a, int lda, ref Real b, int ldb,
        ref Real c, int ldc, bool accumulate)
    {
        int width = Vector256<Real>.Count;
        for (int i = 0; i < m; i++)
        {
            ref Real aRow = ref Unsafe.Add(ref a, i * lda);
            for (int j = 0; j < n; j++)
            {
                ref Real bRow = ref Unsafe.Add(ref b, j * ldb);
                var acc = Vector256<Real>.Zero;
                int p = 0;
                for (; p + width <= k; p += width)
                    acc = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref aRow, (nuint)p), Vector256.LoadUnsafe(ref bRow, (nuint)p), acc);
                Real sum = Vector256.Sum(acc);
                for (; p < k; p++) sum += Unsafe.Add(ref aRow, p) * Unsafe.Add(ref bRow, p);
                ref Real cij = ref Unsafe.Add(ref c, i * ldc + j);
                cij = accumulate ? cij + sum : sum;
            }
        }
    }
}
