using System.Diagnostics;
using Sequor.Training;

namespace Sequor.Cli;

/// <summary>The settings of one training run, as the chapter's notebook uses them by default.</summary>
/// <param name="KeepOptimizer">Continue with the optimizer (and its state) a loaded model file was compiled with.</param>
internal sealed record TrainSettings(int Epochs = 100, int BatchSize = 64, string Optimizer = "rmsprop", float LearningRate = 1e-4f,
    int Patience = 3, string? Checkpoint = null, int Seed = 42, int? Threads = null, string? HistoryCsv = null, bool KeepOptimizer = false);

/// <summary>What a run gave: its history, the early-stopping verdict and the time per epoch.</summary>
internal sealed record TrainOutcome(History History, EarlyStopping Stopping, double SecondsPerEpoch, bool Interrupted)
{
    public int EpochsRun => History.Epoch.Count;

    public int BestEpoch => History.Contains("val_loss") ? History["val_loss"].Select((v, i) => (v, i)).MinBy(p => p.v).i : EpochsRun - 1;
}

/// <summary>Compiles and fits a model the way the chapter does, with a progress line redrawn on a terminal or a line per epoch.</summary>
internal static class Trainer
{
    public static TrainOutcome Fit(Sequential model, Tensor x, Tensor y, (Tensor X, Tensor Y) validation, int classes,
        TrainSettings settings, CliOptions options, string title)
    {
        if (settings.Threads is { } threads)
        {
            if (threads < 1 || threads > Environment.ProcessorCount)
                throw new SequorException($"--threads must be between 1 and the processor count ({Environment.ProcessorCount}), got {threads}");
            model.Threads = threads;
        }
        var loss = classes > 2 ? Loss.SparseCategoricalCrossentropy : Loss.BinaryCrossentropy;
        if (settings.KeepOptimizer && model.Optimizer is { } restored)
        {
            options.Status($"continuing with the file's {restored.Name} optimizer (learning rate {restored.LearningRate}, {restored.Iterations} steps taken)");
            model.Compile(restored, loss, Metric.Accuracy);
        }
        else model.Compile(Optimizer.FromName(settings.Optimizer, settings.LearningRate), loss, Metric.Accuracy);

        var stopping = new EarlyStopping(patience: settings.Patience, restoreBestWeights: true);
        var callbacks = new List<ICallback> { stopping };
        if (settings.Checkpoint is { } checkpoint) callbacks.Insert(0, new ModelCheckpoint(checkpoint, saveBestOnly: true));
        if (settings.HistoryCsv is { } csv) callbacks.Add(new CSVLogger(csv));
        int steps = (x.Dim(0) + settings.BatchSize - 1) / settings.BatchSize;
        callbacks.Insert(0, new TrainingProgress(title, settings.Epochs, steps, options.Out, options.Terminal));
        var clock = Stopwatch.StartNew();
        var history = model.Fit(x, y, settings.Epochs, settings.BatchSize, verbose: 0, validationData: validation,
            callbacks: callbacks, output: options.Out, cancellationToken: options.Cancellation);
        double perEpoch = clock.Elapsed.TotalSeconds / Math.Max(1, history.Epoch.Count);
        return new TrainOutcome(history, stopping, perEpoch, options.Cancellation.IsCancellationRequested);
    }
}
