using System.Numerics.Tensors;

namespace Sequor;

/// <summary>
/// Vectorised element-wise kernels (TensorPrimitives) used by activations and optimizers. Each has a
/// plain loop in <see cref="KernelsReference"/> that tests hold it to.
/// </summary>
internal static class Kernels
{
    public static void Sigmoid(ReadOnlySpan<Real> x, Span<Real> y) => TensorPrimitives.Sigmoid(x, y);

    public static void Tanh(ReadOnlySpan<Real> x, Span<Real> y) => TensorPrimitives.Tanh(x, y);

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
