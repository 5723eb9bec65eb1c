using System.Diagnostics;
using Spectre.Console;
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

/// <summary>Compiles and fits a model the way the chapter does, with live or plain progress.</summary>
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
        var clock = Stopwatch.StartNew();
        History history;
        if (options.Terminal)
        {
            int steps = (x.Dim(0) + settings.BatchSize - 1) / settings.BatchSize;
            History? result = null;
            AnsiConsole.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask(title, maxValue: steps);
                    callbacks.Add(new LiveProgress(task, title, settings.Epochs));
                    result = model.Fit(x, y, settings.Epochs, settings.BatchSize, verbose: 0, validationData: validation,
                        callbacks: callbacks, cancellationToken: options.Cancellation);
                });
            history = result!;
        }
        else
        {
            options.Out.WriteLine(title);
            history = model.Fit(x, y, settings.Epochs, settings.BatchSize, verbose: 2, validationData: validation,
                callbacks: callbacks, output: options.Out, cancellationToken: options.Cancellation);
        }
        double perEpoch = clock.Elapsed.TotalSeconds / Math.Max(1, history.Epoch.Count);
        return new TrainOutcome(history, stopping, perEpoch, options.Cancellation.IsCancellationRequested);
    }

    /// <summary>A Spectre progress bar per epoch and a Keras-like line when it ends.</summary>
    private sealed class LiveProgress(ProgressTask task, string title, int epochs) : ICallback
    {
        public void OnEpochBegin(Sequential model, int epoch)
        {
            task.Value = 0;
            task.Description = Markup.Escape($"{title} · epoch {epoch + 1}/{epochs}");
        }

        public void OnTrainBatchEnd(Sequential model, int batch, IReadOnlyDictionary<string, double> logs)
        {
            task.Value = batch + 1;
            if (logs.TryGetValue("loss", out double loss))
                task.Description = Markup.Escape($"{title} · loss {loss:F4}");
        }

        public void OnEpochEnd(Sequential model, int epoch, IDictionary<string, double> logs) =>
            AnsiConsole.MarkupLine(Markup.Escape($"{title} epoch {epoch + 1}: " + string.Join(" - ", logs.Select(p => $"{p.Key}: {p.Value:F4}"))));
    }
}
