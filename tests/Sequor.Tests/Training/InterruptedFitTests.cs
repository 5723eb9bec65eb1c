using Sequor.Layers;
using Sequor.Training;

namespace Sequor.Tests.Training;

/// <summary>Fit's interrupt and divergence rules: what an interrupted or diverged epoch may never do to the files.</summary>
public sealed class InterruptedFitTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sequor-interrupt-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>Cancels the token after a given number of batches of the whole run.</summary>
    private sealed class CancelAfter(CancellationTokenSource source, int batches) : ICallback
    {
        private int seen;
        public readonly List<int> EpochsEnded = [];

        public void OnTrainBatchEnd(Sequential model, int batch, IReadOnlyDictionary<string, double> logs)
        {
            if (++seen == batches) source.Cancel();
        }

        public void OnEpochEnd(Sequential model, int epoch, IDictionary<string, double> logs) => EpochsEnded.Add(epoch);
    }

    private static Sequential Model() => new([new Embedding(500, 8), new LSTM(4), new Dense(1, Activation.Sigmoid)], seed: 1);

    [Theory]
    [InlineData(2)]   // in the first epoch
    [InlineData(9)]   // in the third epoch (4 batches an epoch)
    [InlineData(12)]  // after the last batch of the third epoch, before its validation
    public void AnInterruptedEpochIsNeverValidatedLoggedOrCheckpointed(int cancelAfterBatches)
    {
        var (x, y) = SyntheticSentiment.Make(128, steps: 12, seed: 2);
        var (valX, valY) = SyntheticSentiment.Make(64, steps: 12, seed: 3);
        string path = Path.Combine(folder, "best.keras");
        File.WriteAllText(path, "earlier");
        using var cancel = new CancellationTokenSource();
        var watcher = new CancelAfter(cancel, cancelAfterBatches);
        using var model = Model();
        model.Compile(new Adam(learningRate: 0.01f), Loss.BinaryCrossentropy, Metric.Accuracy);
        var history = model.Fit(x, y, epochs: 10, batchSize: 32, verbose: 0, validationData: (valX, valY),
            callbacks: [new ModelCheckpoint(path, saveBestOnly: true), watcher], cancellationToken: cancel.Token);

        int completed = (cancelAfterBatches - 1) / 4;
        Assert.Equal(completed, history.Epoch.Count);
        Assert.Equal(Enumerable.Range(0, completed), watcher.EpochsEnded);
        if (completed == 0) Assert.Equal("earlier", File.ReadAllText(path));
        else
        {
            // the checkpoint is the one an uninterrupted run of the completed epochs leaves
            string reference = Path.Combine(folder, "reference.keras");
            using var again = Model();
            again.Compile(new Adam(learningRate: 0.01f), Loss.BinaryCrossentropy, Metric.Accuracy);
            again.Fit(x, y, epochs: completed, batchSize: 32, verbose: 0, validationData: (valX, valY), callbacks: [new ModelCheckpoint(reference, saveBestOnly: true)]);
            Assert.Equal(EntriesBesidesTheSaveTime(reference), EntriesBesidesTheSaveTime(path));
        }
    }

    // Two runs save a second apart: every entry of the archive must be the same, but for the time each was saved
    // (metadata.json's date_saved and the zip's entry times).
    private static SortedDictionary<string, string> EntriesBesidesTheSaveTime(string path)
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(path);
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in zip.Entries)
        {
            using var stream = entry.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            string content = Convert.ToBase64String(copy.ToArray());
            if (entry.FullName == "metadata.json")
                content = System.Text.RegularExpressions.Regex.Replace(System.Text.Encoding.UTF8.GetString(copy.ToArray()), "\"date_saved\":\\s*\"[^\"]*\"", "");
            entries[entry.FullName] = content;
        }
        return entries;
    }

    [Fact]
    public void ModelCheckpointNeverSavesNonFiniteWeights()
    {
        var (x, y) = SyntheticSentiment.Make(64, steps: 12, seed: 2);
        string path = Path.Combine(folder, "best.keras");
        File.WriteAllText(path, "earlier");
        using var model = Model();
        model.Compile(new Adam(), Loss.BinaryCrossentropy, Metric.Accuracy);
        model.Fit(x, y, epochs: 1, batchSize: 32, verbose: 0);
        var weights = model.GetWeights();
        weights[^2].Span[0] = float.NaN;  // a NaN in the Dense kernel
        model.SetWeights(weights);
        var callback = (ICallback)new ModelCheckpoint(path);  // saves every epoch
        callback.OnTrainBegin(model);
        callback.OnEpochEnd(model, 0, new Dictionary<string, double> { ["loss"] = 0.5 });
        Assert.Equal("earlier", File.ReadAllText(path));
    }

}
