using Sequor.Layers;

namespace Sequor.Tests.Models;

/// <summary>
/// Inside a model, a recurrent layer that returns sequences hands its states to the recurrent layer after it
/// time-major, and takes ∂X back time-major. Run alone, the same layers pass batch-major tensors; both must
/// give the same numbers (the same products on the same values, so exactly).
/// </summary>
[Collection(nameof(KernelChoiceCollection))]
public class SequenceHandOverTests
{
    public static TheoryData<string, bool, bool> Stacks => new()
    {
        { "lstm", false, false }, { "lstm", true, true }, { "gru", true, false }, { "simplernn", false, true },
    };

    public static IEnumerable<object[]> StacksByKernels() => KernelChoices.Cross(Stacks);

    [Theory, MemberData(nameof(StacksByKernels))]
    public void StackedModelStepMatchesTheLayersRunOneByOne(KernelChoice kernels, string second, bool maskZero, bool dropout)
    {
        using var _ = KernelChoices.Use(kernels);
        float rate = dropout ? 0.3f : 0;
        Layer top = second switch
        {
            "lstm" => new LSTM(8, dropout: rate, goBackwards: maskZero),
            "gru" => new GRU(8, dropout: rate),
            _ => new SimpleRNN(8, dropout: rate),
        };
        using var model = new Sequential(
            [new Embedding(20, 4, maskZero), new LSTM(8, dropout: rate, returnSequences: true), top, new Dense(1, Activation.Sigmoid)], seed: 3);
        model.Build([12]);
        model.Threads = 1;
        var random = new Random(4);
        var x = new Tensor(16, 12);  // one shard
        for (int i = 0; i < x.Length; i++) x.Span[i] = i % 12 < 3 ? 0 : random.Next(20);
        var dy = new Tensor(16, 1);
        for (int i = 0; i < dy.Length; i++) dy.Span[i] = (float)(i % 5) / 5 - 0.3f;

        var y = model.TrainingPass(x, dy).Span.ToArray();
        var handedOver = model.Weights.Select(w => w.Gradient.Span.ToArray()).ToArray();

        // the model's own layers are not linked: batch-major between them, with the dropout masks of step 1, shard 0
        Tensor current = x;
        Tensor? mask = null;
        for (int l = 0; l < model.Layers.Count; l++)
        {
            var layer = model.Layers[l];
            layer.Random.Reseed(RandomGenerator.Derive((ulong)model.Seed, 1, 0, (ulong)l));
            var next = layer.Forward(current, mask, true);
            mask = layer.OutputMask(current, mask);
            current = next;
        }
        Assert.Equal(y, current.Span.ToArray());
        Tensor? gradient = dy;
        for (int l = model.Layers.Count - 1; l >= 0 && gradient is not null; l--) gradient = model.Layers[l].Backward(gradient);
        var plain = model.Weights.Select(w => w.Gradient.Span.ToArray()).ToArray();

        // Without dropout the Embedding also folds into the first LSTM in the model, which sums ∂E and that LSTM's
        // ∂W in another order (EmbeddingFoldTests); every other gradient is exact.
        for (int w = 0; w < plain.Length; w++)
            if (w <= 1 && !dropout)
                for (int i = 0; i < plain[w].Length; i++)
                    Assert.True(Math.Abs(plain[w][i] - handedOver[w][i]) <= 1e-6 + 1e-5 * Math.Abs(plain[w][i]), $"weight {w}[{i}]: plain {plain[w][i]}, model {handedOver[w][i]}");
            else Assert.Equal(plain[w], handedOver[w]);
    }
}
