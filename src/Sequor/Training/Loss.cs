using Sequor.Layers;

namespace Sequor.Training;

/// <summary>
/// Keras's losses, reduced by <c>sum_over_batch_size</c> (the mean of the per-sample losses).
/// <list type="bullet">
/// <item><c>binary_crossentropy</c>: −[y·ln p + (1 − y)·ln(1 − p)], mean over the last axis</item>
/// <item><c>categorical_crossentropy</c>: −Σ y·ln p over the class axis, p normalised to sum 1</item>
/// <item><c>sparse_categorical_crossentropy</c>: −ln p_label</item>
/// <item><c>mean_squared_error</c>: mean of (p − y)² over the last axis</item>
/// </list>
/// When the model ends in the activation a cross-entropy undoes (sigmoid for binary, softmax for the
/// categorical ones), Sequor computes the loss from the pre-activation z, as Keras does on TensorFlow
/// (Keras 2, and Keras 3's TF backend, recover the logits of a sigmoid/softmax output): binary
/// ℓ = max(z, 0) − z·y + ln(1 + e^−|z|), gradient exactly p − y, no clipping. Otherwise probabilities are
/// clipped to [ε, 1 − ε] with ε = 1e-7, as Keras 3 does on JAX and PyTorch (zero gradient where clipped).
/// Sequor uses the logits form because it is the one the chapter's models trained with (TensorFlow), and
/// because its gradient does not vanish on a saturated sigmoid.
/// </summary>
public sealed class Loss
{
    private const double Epsilon = 1e-7;

    private enum Kind { Binary, Categorical, Sparse, MeanSquared }

    private readonly Kind kind;

    private Loss(string name, Kind kind)
    {
        Name = name;
        this.kind = kind;
    }

    public static readonly Loss BinaryCrossentropy = new("binary_crossentropy", Kind.Binary);
    public static readonly Loss CategoricalCrossentropy = new("categorical_crossentropy", Kind.Categorical);
    public static readonly Loss SparseCategoricalCrossentropy = new("sparse_categorical_crossentropy", Kind.Sparse);
    public static readonly Loss MeanSquaredError = new("mean_squared_error", Kind.MeanSquared);

    /// <summary>Keras's name for the loss.</summary>
    public string Name { get; }

    internal bool IsSparse => kind == Kind.Sparse;

    public static Loss FromName(string name) => name.ToLowerInvariant() switch
    {
        "binary_crossentropy" or "binarycrossentropy" or "bce" => BinaryCrossentropy,
        "categorical_crossentropy" or "categoricalcrossentropy" => CategoricalCrossentropy,
        "sparse_categorical_crossentropy" or "sparsecategoricalcrossentropy" => SparseCategoricalCrossentropy,
        "mean_squared_error" or "meansquarederror" or "mse" => MeanSquaredError,
        _ => throw new SequorException($"unknown loss '{name}' (Sequor has binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy, mean_squared_error)"),
    };

    /// <summary>The output activation whose logits this loss uses directly, if any.</summary>
    internal Activation? FusedActivation => kind switch
    {
        Kind.Binary => Activation.Sigmoid,
        Kind.Categorical or Kind.Sparse => Activation.Softmax,
        _ => null,
    };

    /// <summary>Target values per output row: one class id for the sparse loss, else the output width.</summary>
    internal int TargetWidth(int outputWidth) => kind == Kind.Sparse ? 1 : outputWidth;

    /// <summary>Checks that targets fit the loss (shape and domain) before training starts.</summary>
    internal void CheckTargets(Tensor targets, int rows, int outputWidth, string operation)
    {
        int expected = rows * TargetWidth(outputWidth);
        if (targets.Length != expected)
            throw new SequorException($"{operation}: {Name} needs {TargetWidth(outputWidth)} target value(s) per output row of width {outputWidth}, i.e. {expected} values; the targets have shape {Tensor.Format(targets.Shape)}");
        var t = targets.Span;
        for (int i = 0; i < t.Length; i++)
        {
            Real v = t[i];
            bool ok = kind switch
            {
                Kind.Binary or Kind.Categorical => v >= 0 && v <= 1,
                Kind.Sparse => v >= 0 && v < outputWidth && v == Real.Floor(v),
                _ => Real.IsFinite(v),
            };
            if (!ok)
            {
                string domain = kind switch
                {
                    Kind.Sparse => $"a class id in [0, {outputWidth})",
                    Kind.MeanSquared => "a finite number",
                    _ => "a probability in [0, 1]",
                };
                throw new SequorException($"{operation}: target {v} at index {i} is not {domain}, as {Name} requires");
            }
        }
    }

    /// <summary>
    /// Sums the per-row losses of <paramref name="rows"/> output rows and writes the gradient of
    /// (that sum × <paramref name="scale"/>) with respect to the logits when <paramref name="logits"/> is
    /// given (fused), else to the outputs.
    /// </summary>
    internal double Compute(ReadOnlySpan<Real> output, ReadOnlySpan<Real> logits, ReadOnlySpan<Real> targets,
        int rows, int width, Span<Real> gradient, double scale)
    {
        bool fused = !logits.IsEmpty;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            var p = output.Slice(r * width, width);
            var z = fused ? logits.Slice(r * width, width) : default;
            var g = gradient.Slice(r * width, width);
            total += kind switch
            {
                Kind.Binary => fused ? BinaryFromLogits(z, p, targets.Slice(r * width, width), g, scale) : Binary(p, targets.Slice(r * width, width), g, scale),
                Kind.Categorical => fused ? CategoricalFromLogits(z, p, targets.Slice(r * width, width), g, scale) : Categorical(p, targets.Slice(r * width, width), g, scale),
                Kind.Sparse => SparseRow(p, z, (int)targets[r], g, scale, fused),
                _ => MeanSquaredRow(p, targets.Slice(r * width, width), g, scale),
            };
        }
        return total;
    }

    private static double BinaryFromLogits(ReadOnlySpan<Real> z, ReadOnlySpan<Real> p, ReadOnlySpan<Real> y, Span<Real> g, double scale)
    {
        double sum = 0;
        for (int j = 0; j < z.Length; j++)
        {
            double zj = z[j], yj = y[j];
            sum += Math.Max(zj, 0) - zj * yj + Math.Log(1 + Math.Exp(-Math.Abs(zj)));
            g[j] = (Real)((p[j] - yj) * scale / z.Length);
        }
        return sum / z.Length;
    }

    private static double Binary(ReadOnlySpan<Real> p, ReadOnlySpan<Real> y, Span<Real> g, double scale)
    {
        double sum = 0;
        for (int j = 0; j < p.Length; j++)
        {
            double pj = Math.Clamp((double)p[j], Epsilon, 1 - Epsilon), yj = y[j];
            sum -= yj * Math.Log(pj) + (1 - yj) * Math.Log(1 - pj);
            bool clipped = p[j] < Epsilon || p[j] > 1 - Epsilon;
            g[j] = clipped ? 0 : (Real)((-yj / pj + (1 - yj) / (1 - pj)) * scale / p.Length);
        }
        return sum / p.Length;
    }

    private static double CategoricalFromLogits(ReadOnlySpan<Real> z, ReadOnlySpan<Real> p, ReadOnlySpan<Real> y, Span<Real> g, double scale)
    {
        double max = double.NegativeInfinity, sumExp = 0, sumY = 0, loss = 0;
        foreach (var v in z) max = Math.Max(max, v);
        foreach (var v in z) sumExp += Math.Exp(v - max);
        double logSumExp = max + Math.Log(sumExp);
        for (int j = 0; j < z.Length; j++) { loss += y[j] * (logSumExp - z[j]); sumY += y[j]; }
        for (int j = 0; j < z.Length; j++) g[j] = (Real)((p[j] * sumY - y[j]) * scale);
        return loss;
    }

    // q = p / Σp clipped; ℓ = −Σ y·ln q; ∂ℓ/∂p_i = (γ_i − Σ_j γ_j q_j) / Σp with γ = −y/q where unclipped.
    private static double Categorical(ReadOnlySpan<Real> p, ReadOnlySpan<Real> y, Span<Real> g, double scale)
    {
        double s = 0;
        foreach (var v in p) s += v;
        double loss = 0, weighted = 0;
        for (int j = 0; j < p.Length; j++)
        {
            double raw = p[j] / s, q = Math.Clamp(raw, Epsilon, 1 - Epsilon);
            loss -= y[j] * Math.Log(q);
            double gamma = raw < Epsilon || raw > 1 - Epsilon ? 0 : -y[j] / q;
            g[j] = (Real)gamma;
            weighted += gamma * raw;
        }
        for (int j = 0; j < p.Length; j++) g[j] = (Real)((g[j] - weighted) / s * scale);
        return loss;
    }

    private static double SparseRow(ReadOnlySpan<Real> p, ReadOnlySpan<Real> z, int label, Span<Real> g, double scale, bool fused)
    {
        if (fused)
        {
            double max = double.NegativeInfinity, sumExp = 0;
            foreach (var v in z) max = Math.Max(max, v);
            foreach (var v in z) sumExp += Math.Exp(v - max);
            for (int j = 0; j < z.Length; j++) g[j] = (Real)((p[j] - (j == label ? 1 : 0)) * scale);
            return max + Math.Log(sumExp) - z[label];
        }
        Span<Real> oneHot = stackalloc Real[p.Length];
        oneHot.Clear();
        oneHot[label] = 1;
        return Categorical(p, oneHot, g, scale);
    }

    private static double MeanSquaredRow(ReadOnlySpan<Real> p, ReadOnlySpan<Real> y, Span<Real> g, double scale)
    {
        double sum = 0;
        for (int j = 0; j < p.Length; j++)
        {
            double d = (double)p[j] - y[j];
            sum += d * d;
            g[j] = (Real)(2 * d * scale / p.Length);
        }
        return sum / p.Length;
    }

    public override string ToString() => Name;
}
