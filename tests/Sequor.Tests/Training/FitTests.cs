using Sequor.Layers;
using Sequor.Training;

namespace Sequor.Tests.Training;

public class FitTests
{
    private static Sequential ChapterLstm(int seed) =>
        new([new Embedding(500, 16), new LSTM(8), new Dense(1, Activation.Sigmoid)], seed);

    [Fact]
    public void TheChapterLstmLearnsAPlantedTokenTaskToOverNinetyPercent()
    {
        var (x, y) = SyntheticSentiment.Make(2400, seed: 3);
        var (valX, valY) = SyntheticSentiment.Make(600, seed: 4);
        using var model = ChapterLstm(seed: 42);
        model.Compile(new Adam(learningRate: 0.01f), Loss.BinaryCrossentropy, Metric.Accuracy);
        var history = model.Fit(x, y, epochs: 8, batchSize: 64, verbose: 0, validationData: (valX, valY),
            callbacks: [new EarlyStopping(monitor: "val_accuracy", patience: 2, restoreBestWeights: true)]);
        var (_, accuracy) = model.Evaluate(valX, valY);
        Assert.True(accuracy > 0.9, $"validation accuracy {accuracy:F4}; history val_accuracy {string.Join(", ", history["val_accuracy"].Select(v => v.ToString("F3")))}");
        Assert.True(history["loss"][^1] < history["loss"][0], "the training loss went down");
    }

    // On several threads each thread sums and applies a share of every weight; the optimizers' element rules must
    // give the one-thread bits whatever state they keep.
    [Theory, InlineData("rmsprop"), InlineData("rmsprop-centered-momentum"), InlineData("adam-amsgrad"), InlineData("sgd-nesterov")]
    public void ASeededFitIsBitIdenticalAcrossRunsAndThreadCounts(string optimizer)
    {
        var (x, y) = SyntheticSentiment.Make(300, steps: 30, seed: 5);
        (double[] History, float[] Weights) Run(int threads)
        {
            using var model = new Sequential([new Embedding(500, 8), new LSTM(6, dropout: 0.3f, returnSequences: true), new GRU(4, recurrentDropout: 0.2f), new Dense(1, Activation.Sigmoid)], seed: 7);
            model.Threads = threads;
            Optimizer chosen = optimizer switch
            {
                "rmsprop" => new RMSprop(learningRate: 1e-3f),
                "rmsprop-centered-momentum" => new RMSprop(learningRate: 1e-3f, momentum: 0.5f, centered: true),
                "adam-amsgrad" => new Adam(learningRate: 1e-3f, amsgrad: true),
                _ => new SGD(learningRate: 0.05f, momentum: 0.9f, nesterov: true),
            };
            model.Compile(chosen, Loss.BinaryCrossentropy, Metric.Accuracy);
            var history = model.Fit(x, y, epochs: 2, batchSize: 64, verbose: 0, validationSplit: 0.2);
            return (history.Keys.SelectMany(k => history[k]).ToArray(), model.GetWeights().SelectMany(t => t.Span.ToArray()).ToArray());
        }
        var first = Run(1);
        var again = Run(1);
        var four = Run(4);
        Assert.Equal(first.History, again.History);
        Assert.Equal(first.Weights, again.Weights);
        Assert.Equal(first.History, four.History);
        Assert.Equal(first.Weights, four.Weights);
    }

    /// <summary>Raises the learning rate from a given epoch on, so validation loss stops improving.</summary>
    private sealed class Sabotage(int fromEpoch, float learningRate) : ICallback
    {
        public void OnEpochBegin(Sequential model, int epoch)
        {
            if (epoch >= fromEpoch) model.Optimizer!.LearningRate = learningRate;
        }
    }

    [Fact]
    public void EarlyStoppingFiresAfterPatienceAndRestoresTheBestEpochExactly()
    {
        var (x, y) = SyntheticSentiment.Make(400, steps: 20, seed: 6);
        var (valX, valY) = SyntheticSentiment.Make(200, steps: 20, seed: 7);
        using var model = ChapterLstm(seed: 3);
        model.Compile(new SGD(learningRate: 0.05f), Loss.BinaryCrossentropy, Metric.Accuracy);
        var stopping = new EarlyStopping(patience: 3, restoreBestWeights: true);
        // From epoch 2 on the learning rate is zero: val_loss stays exactly on a plateau, never improving.
        var history = model.Fit(x, y, epochs: 20, batchSize: 32, verbose: 0, validationData: (valX, valY),
            callbacks: [new Sabotage(fromEpoch: 2, learningRate: 0f), stopping]);

        var valLoss = history["val_loss"];
        int best = valLoss.Select((v, i) => (v, i)).MinBy(p => p.v).i;
        Assert.Equal(best, stopping.BestEpoch);
        Assert.Equal(best + 3, stopping.StoppedEpoch);
        Assert.Equal(best + 4, valLoss.Count);
        Assert.Equal(valLoss[best], model.Evaluate(valX, valY).Loss);
    }

    [Fact]
    public void ValidationSplitTakesTheLastFractionBeforeShuffling()
    {
        var (x, y) = SyntheticSentiment.Make(100, steps: 10, seed: 8);
        using var model = ChapterLstm(seed: 3);
        model.Compile(new RMSprop(learningRate: 0), Loss.BinaryCrossentropy, Metric.Accuracy);
        var history = model.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0, validationSplit: 0.2);
        // the same batch size as Fit's validation pass, so the per-batch loss sums group identically (exact equality)
        var lastFifth = model.Evaluate(new Tensor(x.Span[(80 * 10)..].ToArray(), 20, 10), new Tensor(y.Span[80..].ToArray(), 20), batchSize: 16);
        Assert.Equal(lastFifth.Loss, history["val_loss"][0]);
    }

    [Fact]
    public void EpochLossIsTheSampleWeightedMeanOfBatchLosses()
    {
        // With a zero learning rate every batch sees the same weights, so the epoch loss must equal Evaluate's.
        var (x, y) = SyntheticSentiment.Make(70, steps: 10, seed: 9);
        using var model = ChapterLstm(seed: 3);
        model.Compile(new SGD(learningRate: 0), Loss.BinaryCrossentropy, Metric.Accuracy);
        var history = model.Fit(x, y, epochs: 1, batchSize: 32, verbose: 0, shuffle: false);
        var evaluation = model.Evaluate(x, y, batchSize: 7);
        Assert.Equal(evaluation.Loss, history["loss"][0], 6);
        Assert.Equal(evaluation["accuracy"], history["accuracy"][0], 12);
    }

    [Fact]
    public void HistoryKeysAreSortedAsKeras3SortsThem()
    {
        var (x, y) = SyntheticSentiment.Make(64, steps: 10, seed: 1);
        using var model = ChapterLstm(seed: 1);
        model.Compile(new RMSprop(), Loss.BinaryCrossentropy, Metric.Accuracy);
        var history = model.Fit(x, y, epochs: 2, batchSize: 32, verbose: 0, validationSplit: 0.25);
        Assert.Equal(["accuracy", "loss", "val_accuracy", "val_loss"], history.Keys);
        Assert.Equal([0, 1], history.Epoch);
    }

    [Fact]
    public void InitialEpochResumesTheCount()
    {
        var (x, y) = SyntheticSentiment.Make(64, steps: 10, seed: 1);
        using var model = ChapterLstm(seed: 1);
        model.Compile(new RMSprop(), Loss.BinaryCrossentropy, Metric.Accuracy);
        var history = model.Fit(x, y, epochs: 5, initialEpoch: 3, verbose: 0);
        Assert.Equal([3, 4], history.Epoch);
    }

    [Fact]
    public void VerboseTwoPrintsOneKerasLinePerEpoch()
    {
        var (x, y) = SyntheticSentiment.Make(100, steps: 10, seed: 1);
        using var model = ChapterLstm(seed: 1);
        model.Compile(new RMSprop(), Loss.BinaryCrossentropy, Metric.Accuracy);
        var output = new StringWriter();
        model.Fit(x, y, epochs: 2, batchSize: 32, verbose: 2, validationSplit: 0.2, output: output);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Epoch 1/2", lines[0]);
        Assert.Matches(@"^3/3 - \d+s \d+(ms|us)/step - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}$", lines[1]);
        Assert.Equal("Epoch 2/2", lines[2]);
    }

    [Fact]
    public void SoftmaxModelsTrainWithSparseAndCategoricalTargets()
    {
        var (x, y) = SyntheticSentiment.Make(256, steps: 20, seed: 2);
        var oneHot = new Tensor(256, 2);
        for (int i = 0; i < 256; i++) oneHot[i, (int)y[i]] = 1;
        foreach (var (loss, targets) in new[] { (Loss.SparseCategoricalCrossentropy, y), (Loss.CategoricalCrossentropy, oneHot) })
        {
            using var model = new Sequential([new Embedding(500, 8), new GRU(8), new Dense(2, Activation.Softmax)], seed: 4);
            model.Compile(new Adam(learningRate: 0.01f), loss, Metric.Accuracy);
            var history = model.Fit(x, targets, epochs: 6, batchSize: 32, verbose: 0);
            Assert.True(history["loss"][^1] < history["loss"][0] * 0.8, $"{loss.Name}: loss {history["loss"][0]:F4} → {history["loss"][^1]:F4}");
        }
    }
}
