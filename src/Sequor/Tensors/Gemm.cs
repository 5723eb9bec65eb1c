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
            RowsTimesMatrix(m, n, k, ref MemoryMarshal.GetReference(a), transposeA ? 1 : lda, transposeA ? lda : 1,
                ref MemoryMarshal.GetReference(b), ldb, ref MemoryMarshal.GetReference(c), ldc, accumulate);
        else if (!transposeA)
            RowDots(m, n, k, ref MemoryMarshal.GetReference(a), lda, ref MemoryMarshal.GetReference(b), ldb,
                ref MemoryMarshal.GetReference(c), ldc, accumulate);
        else
            GemmReference.Multiply(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
    }

    private static void CheckExtent(ReadOnlySpan<Real> span, int rows, int columns, int ld, string name)
    {
        if (ld < columns || (long)(rows - 1) * ld + columns > span.Length)
            throw new ArgumentException($"GEMM operand {name}: {rows}×{columns} with leading dimension {ld} needs more than the {span.Length} values given");
    }

    // C[i, :] = Σ_p a(i, p) · B[p, :], with a(i, p) = a[i·strideI + p·strideP] (A or Aᵀ);
    // four vectors of C stay in registers across the whole k loop.
    private static void RowsTimesMatrix(int m, int n, int k, ref Real a, int strideI, int strideP,
        ref Real b, int ldb, ref Real c, int ldc, bool accumulate)
    {
        int width = Vector256<Real>.Count;
        for (int i = 0; i < m; i++)
        {
            ref Real cRow = ref Unsafe.Add(ref c, i * ldc);
            ref Real aRow = ref Unsafe.Add(ref a, i * strideI);
            int j = 0;
            for (; j + 4 * width <= n; j += 4 * width)
            {
                ref Real cj = ref Unsafe.Add(ref cRow, j);
                var acc0 = accumulate ? Vector256.LoadUnsafe(ref cj) : Vector256<Real>.Zero;
                var acc1 = accumulate ? Vector256.LoadUnsafe(ref cj, (nuint)width) : Vector256<Real>.Zero;
                var acc2 = accumulate ? Vector256.LoadUnsafe(ref cj, (nuint)(2 * width)) : Vector256<Real>.Zero;
                var acc3 = accumulate ? Vector256.LoadUnsafe(ref cj, (nuint)(3 * width)) : Vector256<Real>.Zero;
                for (int p = 0; p < k; p++)
                {
                    var ap = Vector256.Create(Unsafe.Add(ref aRow, p * strideP));
                    ref Real bp = ref Unsafe.Add(ref b, p * ldb + j);
                    acc0 = Vector256.MultiplyAddEstimate(ap, Vector256.LoadUnsafe(ref bp), acc0);
                    acc1 = Vector256.MultiplyAddEstimate(ap, Vector256.LoadUnsafe(ref bp, (nuint)width), acc1);
                    acc2 = Vector256.MultiplyAddEstimate(ap, Vector256.LoadUnsafe(ref bp, (nuint)(2 * width)), acc2);
                    acc3 = Vector256.MultiplyAddEstimate(ap, Vector256.LoadUnsafe(ref bp, (nuint)(3 * width)), acc3);
                }
                acc0.StoreUnsafe(ref cj);
                acc1.StoreUnsafe(ref cj, (nuint)width);
                acc2.StoreUnsafe(ref cj, (nuint)(2 * width));
                acc3.StoreUnsafe(ref cj, (nuint)(3 * width));
            }
            for (; j + width <= n; j += width)
            {
                ref Real cj = ref Unsafe.Add(ref cRow, j);
                var acc = accumulate ? Vector256.LoadUnsafe(ref cj) : Vector256<Real>.Zero;
                for (int p = 0; p < k; p++)
                    acc = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref aRow, p * strideP)),
                        Vector256.LoadUnsafe(ref Unsafe.Add(ref b, p * ldb + j)), acc);
                acc.StoreUnsafe(ref cj);
            }
            for (; j < n; j++)
            {
                Real sum = accumulate ? Unsafe.Add(ref cRow, j) : 0;
                for (int p = 0; p < k; p++)
                    sum += Unsafe.Add(ref aRow, p * strideP) * Unsafe.Add(ref b, p * ldb + j);
                Unsafe.Add(ref cRow, j) = sum;
            }
        }
    }

    // C[i, j] = A[i, :] · B[j, :] (B transposed): dot products along the contiguous k axis.
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
