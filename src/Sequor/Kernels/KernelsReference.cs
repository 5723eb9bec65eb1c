namespace Sequor;

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

    public static void ColumnSums(ReadOnlySpan<Real> matrix, int rows, int n, int ld, Span<Real> sums, bool accumulate = false)
    {
        for (int j = 0; j < n; j++)
        {
            Real sum = accumulate ? sums[j] : 0;
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
