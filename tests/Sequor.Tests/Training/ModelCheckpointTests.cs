using Sequor.Layers;
using Sequor.Training;

namespace Sequor.Tests.Training;

public class ModelCheckpointTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sequor-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void PathPlaceholdersFollowPythonFormat()
    {
        var logs = new Dictionary<string, double> { ["val_loss"] = 0.34567, ["accuracy"] = 0.5 };
        Assert.Equal("model.03-0.35.keras", ModelCheckpoint.FormatPath("model.{epoch:02d}-{val_loss:.2f}.keras", 3, logs));
        Assert.Equal("m-12-3.4567e-01.h5", ModelCheckpoint.FormatPath("m-{epoch}-{val_loss:.4e}.h5", 12, logs));
        var e = Assert.Throws<SequorException>(() => ModelCheckpoint.FormatPath("m-{val_auc}.keras", 1, logs));
        Assert.Contains("val_auc", e.Message);
    }

    [Fact]
    public void SaveBestOnlyWritesOnlyImprovingEpochsAndTheFileLoadsBack()
    {
        var (x, y) = SyntheticSentiment.Make(128, steps: 12, seed: 2);
        var (valX, valY) = SyntheticSentiment.Make(64, steps: 12, seed: 3);
        using var model = new Sequential([new Embedding(500, 8), new LSTM(4), new Dense(1, Activation.Sigmoid)], seed: 1);
        model.Compile(new Adam(learningRate: 0.01f), Loss.BinaryCrossentropy, Metric.Accuracy);
        var checkpoint = new ModelCheckpoint(Path.Combine(folder, "best-{epoch:02d}.keras"), saveBestOnly: true);
        var history = model.Fit(x, y, epochs: 4, batchSize: 32, verbose: 0, validationData: (valX, valY), callbacks: [checkpoint]);

        var valLoss = history["val_loss"];
        var improving = Enumerable.Range(0, valLoss.Count).Where(i => valLoss.Take(i).All(v => valLoss[i] < v)).Select(i => $"best-{i + 1:00}.keras");
        Assert.Equal(improving.Order(), Directory.GetFiles(folder).Select(Path.GetFileName).Order());

        using var reloaded = Sequential.Load(checkpoint.LastSaved!);
        reloaded.Compile(new Adam(), Loss.BinaryCrossentropy, Metric.Accuracy);
        int best = valLoss.Select((v, i) => (v, i)).MinBy(p => p.v).i;
        Assert.Equal(valLoss[best], reloaded.Evaluate(valX, valY).Loss, 6);
    }

    [Fact]
    public void WeightsOnlyCheckpointsNeedAWeightsPath()
    {
        Assert.Throws<SequorException>(() => new ModelCheckpoint(Path.Combine(folder, "w.keras"), saveWeightsOnly: true));
        Assert.Throws<SequorException>(() => new ModelCheckpoint(Path.Combine(folder, "w.weights.h5")));
        Assert.Throws<SequorException>(() => new ModelCheckpoint(Path.Combine(folder, "model.txt")));
    }

    [Fact]
    public void WeightsOnlyCheckpointsLoadIntoTheSameArchitecture()
    {
        var (x, y) = SyntheticSentiment.Make(64, steps: 8, seed: 2);
        using var model = new Sequential([new Embedding(500, 4), new GRU(3), new Dense(1, Activation.Sigmoid)], seed: 1);
        model.Compile(new RMSprop(), Loss.BinaryCrossentropy);
        var path = Path.Combine(folder, "last.weights.h5");
        model.Fit(x, y, epochs: 2, verbose: 0, callbacks: [new ModelCheckpoint(path, saveWeightsOnly: true)]);
        using var copy = new Sequential([new Embedding(500, 4), new GRU(3), new Dense(1, Activation.Sigmoid)], seed: 9);
        copy.Build([8]);
        copy.LoadWeights(path);
        Assert.Equal(model.Predict(x).Span.ToArray(), copy.Predict(x).Span.ToArray());
    }
}
