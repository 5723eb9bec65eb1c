using Sequor.Layers;

namespace Sequor.Tests;

/// <summary>
/// Recurrent.BlockSteps: wide layers form their weight gradients and ∂X in blocks of time inside the reverse loop.
/// Inside a model that covers the paths a single layer's gradient check does not: a layer taking the previous layer's
/// states time-major (with input dropout), an Embedding's ∂E from a layer after it, masks from mask_zero, two shards.
/// The blocked sums must agree with one whole-pass block (the same sums in another order) to float rounding.
/// </summary>
[Collection(nameof(KernelChoiceCollection))]
public class RecurrentBlockTests
{
    public static IEnumerable<object[]> Choices() => KernelChoices.Cross([[false], [true]]);

    [Theory, MemberData(nameof(Choices))]
    public void WeightGradientsInBlocksAgreeWithTheWholePass(KernelChoice kernels, bool maskZero)
    {
        using var _ = KernelChoices.Use(kernels);
        var random = new Random(12);
        var x = new Tensor(64, 20);  // two shards of 32 rows; blocks of 8 steps: 16–19, 8–15, 0–7
        for (int b = 0; b < 64; b++)
            for (int t = 0; t < 20; t++) x[b, t] = t < b % 7 ? 0 : random.Next(1, 50);
        var dy = new Tensor(64, 1);
        for (int i = 0; i < dy.Length; i++) dy.Span[i] = (float)(i % 5) / 5 - 0.3f;

        (float[] Output, float[][] Gradients) Run(int blockRows)
        {
            Layer[] layers = [new Embedding(50, 12, maskZero), new LSTM(16, dropout: 0.2f, returnSequences: true), new GRU(24, dropout: 0.1f, returnSequences: true),
                new LSTM(16, goBackwards: true), new Dense(1, Activation.Sigmoid)];
            foreach (var layer in layers.OfType<Recurrent>()) layer.BlockRows = blockRows;
            using var model = new Sequential(layers, seed: 3) { Threads = 2 };
            model.Build([20]);
            var y = model.TrainingPass(x, dy).Span.ToArray();
            return (y, model.Weights.Select(w => w.Gradient.Span.ToArray()).ToArray());
        }

        var whole = Run(int.MaxValue);
        var blocked = Run(256);
        Assert.Equal(whole.Output, blocked.Output);
        for (int w = 0; w < whole.Gradients.Length; w++)
            for (int i = 0; i < whole.Gradients[w].Length; i++)
            {
                float a = whole.Gradients[w][i], b = blocked.Gradients[w][i];
                Assert.True(Math.Abs(a - b) <= 1e-5f * Math.Max(1e-2f, Math.Abs(a)), $"weight {w} [{i}]: whole pass {a}, blocks {b}");
            }
        // the blocks do change the order of the sums (else this test would not test them)
        Assert.Contains(Enumerable.Range(0, whole.Gradients.Length), w => !whole.Gradients[w].SequenceEqual(blocked.Gradients[w]));
    }
}
