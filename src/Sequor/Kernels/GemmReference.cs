namespace Sequor;

/// <summary>
/// The plain triple loop that <see cref="Gemm"/> must agree with: C (=|+=) op(A)·op(B), where op(A) is
/// m×k and op(B) is k×n, all row-major with leading dimensions lda, ldb, ldc.
/// </summary>
internal static class GemmReference
{
    public static void Multiply(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<Real> a, int lda, ReadOnlySpan<Real> b, int ldb, Span<Real> c, int ldc, bool accumulate)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                Real sum = 0;
                for (int p = 0; p < k; p++)
                    sum += (transposeA ? a[p * lda + i] : a[i * lda + p]) * (transposeB ? b[j * ldb + p] : b[p * ldb + j]);
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + sum : sum;
            }
    }
}
