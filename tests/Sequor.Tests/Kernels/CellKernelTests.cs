using Sequor.Layers;

namespace Sequor.Tests;

/// <summary>
/// Each fast cell kernel (Kernels/Cells: LstmKernels, GruKernels, SimpleRnnKernels) against its cell's plain per-row
/// reference step: the same layer, weights, input, mask and dropout masks run under <see cref="KernelChoice.Reference"/>
/// and under each vector choice must give the same outputs, ∂input and weight gradients to float rounding. The unit
/// counts take each kernel: 8 the one-vector LSTM step (forward and backward with the hand-over), 16 the general fused
/// steps; 5 and 7 rows the kernels' two- and four-row blocks and their tails.
/// </summary>
[Collection(nameof(KernelChoiceCollection))]
public class CellKernelTests
{
    private const int Steps = 6, Features = 5;

    public static IEnumerable<object[]> Cases()
    {
        foreach (var kernels in Kernels.Available.Where(k => k != KernelChoice.Reference))
            foreach (var cell in new[] { "lstm", "gru", "simple_rnn" })
                foreach (int units in new[] { 8, 16 })
                    foreach (var option in new[] { "default", "go_backwards_sequences", "mask_sequences", "recurrent_dropout", "dropout" })
                        yield return [kernels, cell, units, option];
    }

    private static Recurrent Make(string cell, int units, string option)
    {
        bool sequences = option.EndsWith("sequences"), backwards = option.StartsWith("go_backwards");
        float dropout = option == "dropout" ? 0.3f : 0, recurrentDropout = option == "recurrent_dropout" ? 0.4f : 0;
        return cell switch
        {
            "lstm" => new LSTM(units, dropout: dropout, recurrentDropout: recurrentDropout, returnSequences: sequences, goBackwards: backwards),
            "gru" => new GRU(units, dropout: dropout, recurrentDropout: recurrentDropout, returnSequences: sequences, goBackwards: backwards),
            _ => new SimpleRNN(units, dropout: dropout, recurrentDropout: recurrentDropout, returnSequences: sequences, goBackwards: backwards),
        };
    }

    private static (float[] Output, float[] InputGradient, float[][] WeightGradients) Run(KernelChoice kernels, string cell, int units, string option, int batch)
    {
        using var _ = KernelChoices.Use(kernels);
        var layer = Make(cell, units, option);
        layer.Build([Steps, Features], new RandomGenerator(3));
        var random = new Random(7);
        foreach (var w in layer.Weights)
            for (int i = 0; i < w.Value.Length; i++) w.Value.Span[i] += (float)(random.NextDouble() - 0.5);  // livelier gates, non-zero biases
        var x = new Tensor(batch, Steps, Features);
        for (int i = 0; i < x.Length; i++) x.Span[i] = (float)(random.NextDouble() * 2 - 1);
        Tensor? mask = null;
        if (option.StartsWith("mask"))
        {
            mask = new Tensor(batch, Steps);
            for (int b = 0; b < batch; b++)
                for (int t = 0; t < Steps; t++) mask.Span[b * Steps + t] = t < b % 3 || (b == 1 && t == 4) ? 0 : 1;  // padding and a hole
        }
        layer.Random.Reseed(11);  // the same dropout masks under both kernel choices
        var y = layer.Forward(x, mask, training: option.Contains("dropout"));
        var output = y.Span.ToArray();
        var dy = new Tensor(y.Shape.ToArray());
        for (int i = 0; i < dy.Length; i++) dy.Span[i] = (float)(random.NextDouble() - 0.5);
        var dx = layer.Backward(dy)!;
        return (output, dx.Span.ToArray(), layer.Weights.Select(w => w.Gradient.Span.ToArray()).ToArray());
    }

    [Theory, MemberData(nameof(Cases))]
    public void FastStepMatchesTheCellsReferenceStep(KernelChoice kernels, string cell, int units, string option)
    {
        foreach (int batch in new[] { 5, 7 })
        {
            var reference = Run(KernelChoice.Reference, cell, units, option, batch);
            var fast = Run(kernels, cell, units, option, batch);
            AssertClose(reference.Output, fast.Output, $"{cell} {units} {option}, {batch} rows: output");
            AssertClose(reference.InputGradient, fast.InputGradient, $"{cell} {units} {option}, {batch} rows: input gradient");
            for (int w = 0; w < reference.WeightGradients.Length; w++)
                AssertClose(reference.WeightGradients[w], fast.WeightGradients[w], $"{cell} {units} {option}, {batch} rows: weight gradient {w}");
        }
    }

    // float rounding of a few dozen operations per value, and the vector sigmoid/tanh (≤ 1e-6 relative)
    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 2e-5 * Math.Max(1, Math.Abs(expected[i])),
                $"{what}[{i}]: reference {expected[i]}, fast {actual[i]}");
    }
}
