using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sequor;

/// <summary>
/// General matrix product C (=|+=) op(A)·op(B) for the engine: op(A) is m×k, op(B) is k×n, row-major
/// with leading dimensions (so a time step of a <c>[B, T, G]</c> buffer is a matrix with ld = T·G).
/// Vectorised along the contiguous output row (Vector256, scalar fallback); <see cref="GemmReference"/>
/// is the plain loop it is tested against.
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

        if (!Vector256.IsHardwareAccelerated)
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
        if (!Vector256.IsHardwareAccelerated || m == 0 || n == 0 || k == 0)
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
        for (; j + width <= n; j += width)
        {
            int i = 0;
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
        for (int jj = 0; jj < n; jj++)
        {
            var row = b.Slice(jj * ldb, k);
            for (int p = 0; p < k; p++) scratch[p * n + jj] = row[p];
        }
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
