extern alias Float64;
using D = Float64::Sequor;
using Float64::Sequor.Layers;

namespace Sequor.Tests.Layers;

/// <summary>
/// Central-difference gradient checks on the double-precision build of the engine (Sequor.Double: the
/// very same layer sources with Real = double). The loss is L = Σ y ⊙ R for a fixed random R, so
/// ∂L/∂y = R; every input value and every weight value (up to a sample of each) is perturbed by ±ε.
/// </summary>
internal static class GradientCheck
{
    private const double Epsilon = 1e-6;
    private const double Tolerance = 1e-7;

    /// <summary>A layer built on [batch, …] float inputs (or ids below <paramref name="vocabulary"/>).</summary>
    public static void Check(Layer layer, int[] batchShape, int vocabulary = 0, D.Tensor? mask = null, bool training = false, int seed = 1)
    {
        var random = new Random(seed);
        var x = new D.Tensor(batchShape);
        for (int i = 0; i < x.Length; i++)
            x.Span[i] = vocabulary > 0 ? random.Next(vocabulary) : random.NextDouble() * 2 - 1;
        layer.Build(batchShape[1..], new D.RandomGenerator((ulong)seed));
        // Perturb every weight so zero biases and unit forget biases do not hide a term.
        foreach (var w in layer.Weights)
            for (int i = 0; i < w.Value.Length; i++) w.Value.Span[i] += (random.NextDouble() - 0.5) * 0.4;

        double Loss(D.Tensor r)
        {
            layer.Random.Reseed(99);  // the same dropout masks on every evaluation
            var y = layer.Forward(x, mask, training);
            double sum = 0;
            for (int i = 0; i < y.Length; i++) sum += y.Span[i] * r.Span[i];
            return sum;
        }

        layer.Random.Reseed(99);
        var output = layer.Forward(x, mask, training);
        var projection = new D.Tensor(output.Shape.ToArray());
        for (int i = 0; i < projection.Length; i++) projection.Span[i] = random.NextDouble() * 2 - 1;
        var inputGradient = layer.Backward(projection)?.Clone();
        var weightGradients = layer.Weights.Select(w => w.Gradient.Clone()).ToArray();

        if (vocabulary == 0)
        {
            Assert.NotNull(inputGradient);
            Compare("input", x.Span.Length, i => Numeric(x, i, () => Loss(projection)), i => inputGradient!.Span[i], random);
        }
        for (int w = 0; w < layer.Weights.Count; w++)
        {
            var weight = layer.Weights[w];
            var analytic = weightGradients[w];
            Compare($"weight {w} '{weight.Name}'", weight.Value.Length, i => Numeric(weight.Value, i, () => Loss(projection)), i => analytic.Span[i], random);
        }
    }

    private static double Numeric(D.Tensor t, int i, Func<double> loss)
    {
        double saved = t.Span[i];
        t.Span[i] = saved + Epsilon;
        double plus = loss();
        t.Span[i] = saved - Epsilon;
        double minus = loss();
        t.Span[i] = saved;
        return (plus - minus) / (2 * Epsilon);
    }

    private static void Compare(string what, int length, Func<int, double> numeric, Func<int, double> analytic, Random random)
    {
        // Every index of small tensors; a random sample of 150 (plus both ends) of large ones.
        IEnumerable<int> indices = length <= 200
            ? Enumerable.Range(0, length)
            : Enumerable.Range(0, 150).Select(_ => random.Next(length)).Append(0).Append(length - 1);
        foreach (int i in indices)
        {
            double n = numeric(i), a = analytic(i);
            double error = Math.Abs(n - a) / Math.Max(1, Math.Abs(n));
            Assert.True(error < Tolerance, $"{what}[{i}]: analytic {a:R}, central difference {n:R} (error {error:E2})");
        }
    }

    /// <summary>A [batch, time] mask with some steps off in every row (padding-like and holes).</summary>
    public static D.Tensor Mask(int batch, int steps, int seed = 5)
    {
        var random = new Random(seed);
        var mask = new D.Tensor(batch, steps);
        for (int b = 0; b < batch; b++)
        {
            int padding = random.Next(steps / 2);
            for (int t = 0; t < steps; t++) mask[b, t] = t < padding || random.NextDouble() < 0.15 ? 0 : 1;
        }
        mask[0, steps - 1] = 0;  // a row whose last step is masked
        return mask;
    }
}
