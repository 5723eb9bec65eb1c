using Sequor.Layers;

namespace Sequor.Tests.Models;

/// <summary>
/// Inside a model, a recurrent layer right after an Embedding folds the lookup into its projection (a table
/// E·W + b over the vocabulary) and writes ∂E itself. Run alone, the same layers take the plain path
/// (X = E[ids], P = X·W + b, ∂X scattered into ∂E); both must agree.
/// </summary>
[Collection(nameof(KernelChoiceCollection))]
public class EmbeddingFoldTests
{
    public static IEnumerable<object[]> Choices() => KernelChoices.Cross([[]]);

    public static TheoryData<string, bool> Cells => new() { { "lstm", false }, { "lstm", true }, { "gru", false }, { "simplernn", true } };

    [Theory, MemberData(nameof(Choices))]
    public void FoldedChapterLstmIsBitIdenticalOnOneAndThreeThreads(KernelChoice kernels)
    {
        using var _ = KernelChoices.Use(kernels);
        (float[], float[][]) Run(int threads)
        {
            using var model = new Sequential([new Embedding(500, 16), new LSTM(8), new Dense(1, Activation.Sigmoid)], seed: 8);
            model.Build([100]);
            model.Threads = threads;
            var random = new Random(6);
            var x = new Tensor(100, 100);  // shards of 32, 32, 32 and 4 rows: the last one too small to fold
            for (int i = 0; i < x.Length; i++) x.Span[i] = random.Next(500);
            var dy = new Tensor(100, 1);
            for (int i = 0; i < dy.Length; i++) dy.Span[i] = (float)(i % 7) / 7 - 0.4f;
            var y = model.TrainingPass(x, dy).Span.ToArray();
            return (y, model.Weights.Select(w => w.Gradient.Span.ToArray()).ToArray());
        }
        var (y1, g1) = Run(1);
        var (y3, g3) = Run(3);
        Assert.Equal(y1, y3);
        for (int w = 0; w < g1.Length; w++) Assert.Equal(g1[w], g3[w]);
    }

    // Predict forms the fold table once per batch on each worker's replica, not per shard: it must still follow
    // the weights when they change between calls (a training step, SetWeights), and match a fresh model's shards.
    [Theory, MemberData(nameof(Choices))]
    public void PredictFollowsWeightsThatChangeBetweenCalls(KernelChoice kernels)
    {
        using var _ = KernelChoices.Use(kernels);
        var random = new Random(3);
        var x = new Tensor(200, 100);  // 7 shards per batch of 200: the many-shard inference path
        for (int i = 0; i < x.Length; i++) x.Span[i] = random.Next(500);
        var y = new Tensor(200, 1);
        for (int i = 0; i < y.Length; i++) y.Span[i] = random.Next(2);
        using var model = new Sequential([new Embedding(500, 16), new LSTM(8), new Dense(1, Activation.Sigmoid)], seed: 4) { Threads = 2 };
        model.Build([100]);
        model.Compile(new Sequor.Training.RMSprop(0.05f), Sequor.Training.Loss.BinaryCrossentropy);

        float[] Fresh()
        {
            using var copy = new Sequential([new Embedding(500, 16), new LSTM(8), new Dense(1, Activation.Sigmoid)], seed: 9) { Threads = 1 };
            copy.Build([100]);
            copy.SetWeights(model.GetWeights());
            return copy.Predict(x, 32).Span.ToArray();  // one shard per batch: the table is formed every time
        }

        var before = model.Predict(x, 200).Span.ToArray();
        Assert.Equal(Fresh(), before);
        model.Fit(x, y, epochs: 1, batchSize: 64, verbose: 0);
        var afterTraining = model.Predict(x, 200).Span.ToArray();
        Assert.NotEqual(before, afterTraining);
        Assert.Equal(Fresh(), afterTraining);
        var weights = model.GetWeights();
        weights[1].Span.Fill(0.01f);  // the LSTM kernel W
        model.SetWeights(weights);
        var afterSet = model.Predict(x, 200).Span.ToArray();
        Assert.NotEqual(afterTraining, afterSet);
        Assert.Equal(Fresh(), afterSet);
    }

    public static IEnumerable<object[]> CellsByKernels() => KernelChoices.Cross(Cells);

    [Theory, MemberData(nameof(CellsByKernels))]
    public void FoldedModelStepMatchesTheLayersRunOneByOne(KernelChoice kernels, string cell, bool maskZero)
    {
        using var _ = KernelChoices.Use(kernels);
        Layer recurrent = cell switch { "lstm" => new LSTM(8), "gru" => new GRU(8), _ => new SimpleRNN(8) };
        using var model = new Sequential([new Embedding(20, 4, maskZero), recurrent, new Dense(1, Activation.Sigmoid)], seed: 3);
        model.Build([12]);
        model.Threads = 1;
        var random = new Random(4);
        var x = new Tensor(16, 12);  // 192 rows over a vocabulary of 20: the folded path
        for (int i = 0; i < x.Length; i++) x.Span[i] = i % 12 < 3 ? 0 : random.Next(20);
        var dy = new Tensor(16, 1);
        for (int i = 0; i < dy.Length; i++) dy.Span[i] = (float)(i % 5) / 5 - 0.3f;

        var y = model.TrainingPass(x, dy).Span.ToArray();
        var folded = model.Weights.Select(w => w.Gradient.Span.ToArray()).ToArray();

        // the model's own layers have no fold set up: the plain path, on the same weights
        Tensor current = x;
        Tensor? mask = null;
        foreach (var layer in model.Layers)
        {
            var next = layer.Forward(current, mask, true);
            mask = layer.OutputMask(current, mask);
            current = next;
        }
        Assert.Equal(y, current.Span.ToArray());
        Tensor? gradient = dy;
        for (int l = model.Layers.Count - 1; l >= 0 && gradient is not null; l--) gradient = model.Layers[l].Backward(gradient);
        var plain = model.Weights.Select(w => w.Gradient.Span.ToArray()).ToArray();

        for (int w = 0; w < plain.Length; w++)
            for (int i = 0; i < plain[w].Length; i++)
                Assert.True(Math.Abs(plain[w][i] - folded[w][i]) <= 1e-6 + 1e-5 * Math.Abs(plain[w][i]),
                    $"weight {w}[{i}]: plain {plain[w][i]}, folded {folded[w][i]}");
    }

    public static TheoryData<string, float> LookUpCases => new() { { "lstm", 0f }, { "lstm", 0.3f }, { "gru", 0.3f }, { "simplernn", 0f } };

    /// <summary>
    /// Without the fold (a vocabulary larger than the batch's rows, or input dropout), the recurrent layer still
    /// looks the ids up itself, time-major, and scatters ∂X into ∂E: the same numbers as the Embedding's output
    /// and Backward, exactly. Embedding width 16 (two vectors), where a stale Embedding output could pass for one-hot rows.
    /// </summary>
    public static IEnumerable<object[]> LookUpCasesByKernels() => KernelChoices.Cross(LookUpCases);

    [Theory, MemberData(nameof(LookUpCasesByKernels))]
    public void LookedUpModelStepMatchesTheLayersRunOneByOne(KernelChoice kernels, string cell, float dropout)
    {
        using var _ = KernelChoices.Use(kernels);
        Layer recurrent = cell switch { "lstm" => new LSTM(8, dropout: dropout), "gru" => new GRU(8, dropout: dropout), _ => new SimpleRNN(8, dropout: dropout) };
        using var model = new Sequential([new Embedding(500, 16, maskZero: true), recurrent, new Dense(1, Activation.Sigmoid)], seed: 3);
        model.Build([12]);
        model.Threads = 1;
        var random = new Random(4);
        var x = new Tensor(5, 12);  // 60 rows, a vocabulary of 500: no fold
        for (int i = 0; i < x.Length; i++) x.Span[i] = i % 12 < 2 ? 0 : random.Next(500);
        var dy = new Tensor(5, 1);
        for (int i = 0; i < dy.Length; i++) dy.Span[i] = (float)(i % 5) / 5 - 0.3f;

        var y = model.TrainingPass(x, dy).Span.ToArray();
        var lookedUp = model.Weights.Select(w => w.Gradient.Span.ToArray()).ToArray();
        var predicted = model.Predict(x).Span.ToArray();

        Tensor Plain(bool training)
        {
            Tensor current = x;
            Tensor? mask = null;
            for (int l = 0; l < model.Layers.Count; l++)
            {
                model.Layers[l].Random.Reseed(RandomGenerator.Derive((ulong)model.Seed, 1, 0, (ulong)l));  // step 1, shard 0
                var next = model.Layers[l].Forward(current, mask, training);
                mask = model.Layers[l].OutputMask(current, mask);
                current = next;
            }
            return current;
        }
        Assert.Equal(Plain(training: false).Span.ToArray(), predicted);
        Assert.Equal(Plain(training: true).Span.ToArray(), y);
        Tensor? gradient = dy;
        for (int l = model.Layers.Count - 1; l >= 0 && gradient is not null; l--) gradient = model.Layers[l].Backward(gradient);
        var plain = model.Weights.Select(w => w.Gradient.Span.ToArray()).ToArray();
        for (int w = 0; w < plain.Length; w++) Assert.Equal(plain[w], lookedUp[w]);
    }
}
