using Sequor.Data;
using Sequor.Layers;
using Sequor.Training;

namespace Sequor.Tests.Training;

/// <summary>
/// The larger models take other paths than the chapter's: GemmWide's blocks, the 512-bit gate passes and the weight
/// gradients formed in blocks inside the reverse loop (Recurrent.BlockSteps, G·H ≥ 64). Whether those paths learn is
/// shown on real reviews no one here wrote: the 5,000-review IMDB subset (ids below 500), held-out test reviews.
/// </summary>
public class WideModelLearningTests
{
    [SkippableTheory, InlineData("lstm"), InlineData("gru")]
    public void WideRecurrentModelLearnsSentimentFromRealReviews(string cell)
    {
        string? path = SharedData.File("data", "imdb-subset", "imdb_subset.npz");
        Skip.IfNot(path is not null && File.Exists(path), "shared/data/imdb-subset/imdb_subset.npz is absent (no ../shared next to the repository)");
        var npz = NpzArchive.Read(path!);
        var xTrain = Sequences.Pad(npz["arr_0"].ToSequences(), maxlen: 100);
        var yTrain = npz["arr_1"].ToInt32Array();
        var xTest = Sequences.Pad(npz["arr_2"].ToSequences(), maxlen: 100);
        var yTest = npz["arr_3"].ToInt32Array();

        // 256 and 192 gate columns: the blocked path. An Embedding of 5,000 rows (ids stay below 500 here), more than
        // a shard's 32 × 100 ids, so the recurrent layer looks the ids up instead of folding E·W (which keeps one block).
        Layer recurrent = cell == "lstm" ? new LSTM(64) : new GRU(64);
        using var model = new Sequential([new Embedding(5000, 32), recurrent, new Dense(1, Activation.Sigmoid)], seed: 7) { Threads = 2 };
        model.Build([100]);
        model.Compile(new RMSprop(1e-3f), Loss.BinaryCrossentropy, Metric.Accuracy);
        var before = model.Evaluate(xTest, yTest, 256);
        model.Fit(xTrain, yTrain, epochs: 6, batchSize: 64, verbose: 0);
        var after = model.Evaluate(xTest, yTest, 256);

        Assert.InRange(before["accuracy"], 0.40, 0.60);
        // 0.77 (LSTM) and 0.79 (GRU) here, the same on every host and thread count (seeded, bit-identical)
        Assert.True(after["accuracy"] >= 0.72, $"{cell}: test accuracy {after["accuracy"]:F3} after 6 epochs (untrained {before["accuracy"]:F3})");
        Assert.True(after.Loss < before.Loss - 0.1, $"{cell}: test loss {before.Loss:F3} → {after.Loss:F3}");
    }
}
