using System.CommandLine;
using System.Globalization;
using System.Text;
using Sequor.Cli.Plots;
using Sequor.Data;
using Sequor.Training;

namespace Sequor.Cli.Commands;

/// <summary>
/// <c>sequor reproduce</c>: the chapter end to end — data statistics and histogram, the six models with the
/// notebook's settings (RMSprop 1e-4, batch 64, up to 100 epochs, early stopping with patience 3 restoring the
/// best weights, best checkpoints), the test evaluation of the best two-layer LSTM loaded back from its file,
/// and report.md with curves, set beside the notebook's published figures.
/// </summary>
internal static class ReproduceCommand
{
    private const int Maxlen = 100;

    public static Command Create(CliOptions options)
    {
        var data = Shared.Data();
        var outFolder = new Option<string>("--out") { Description = "Folder for report.md, curves, checkpoints and histories", DefaultValueFactory = _ => "reproduce" };
        var epochs = new Option<int>("--epochs") { Description = "Maximum epochs per model (the chapter: 100)", DefaultValueFactory = _ => 100 };
        var seed = Shared.Seed();
        var threads = Shared.Threads();
        var models = new Option<string?>("--models") { Description = "Comma-separated presets to run [default: all six]" };
        var (textColumn, labelColumn) = Shared.Columns();
        var command = new Command("reproduce", "Run the whole chapter and write report.md with its curves") { data, outFolder, epochs, seed, threads, models, textColumn, labelColumn };
        command.SetAction(Shared.Run(options, result =>
        {
            string folder = result.GetValue(outFolder)!;
            string source = result.GetValue(data)!;
            var presets = (result.GetValue(models) ?? string.Join(",", Presets.Names)).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            foreach (var p in presets) if (!Presets.Exists(p)) throw new SequorException($"--models: unknown preset '{p}' (presets: {string.Join(", ", Presets.Names)})");
            var settings = new TrainSettings(Epochs: Shared.Positive(result.GetValue(epochs), "--epochs"), Seed: result.GetValue(seed), Threads: result.GetValue(threads));
            var columns = new TextColumns(result.GetValue(textColumn)!, result.GetValue(labelColumn)!);
            var figures = NotebookFigures.Load();
            var datasets = new Dictionary<int, Dataset>();
            Dataset DataFor(int words) => datasets.TryGetValue(words, out var d) ? d : datasets[words] = Dataset.Load(source, words, options, columns);

            var report = new StringBuilder();
            report.AppendLine("# The IMDB recurrent-network chapter, reproduced by Sequor").AppendLine();
            report.AppendLine($"Data: {DataFor(500).Description}. Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores, " +
                $"threads {(settings.Threads?.ToString(CultureInfo.InvariantCulture) ?? "all")}, seed {settings.Seed}, at most {settings.Epochs} epochs.").AppendLine();
            // only once the data has loaded: a command that fails on its arguments or data leaves no empty folder
            Directory.CreateDirectory(folder);

            // 1. lengths of the training part after the notebook's split
            var (lengthTrain, _) = DataFor(500).SplitValidation(0.2);
            var lengthText = new StringWriter();
            var statistics = DataCommand.Write(lengthTrain, DataFor(500).Description, lengthText);
            options.Out.Write(lengthText.ToString());
            HistogramPlot.SavePng(Path.Combine(folder, "lengths.png"), Histogram.Of(lengthTrain.X), "Review lengths (training part)");
            var (bookMean, bookMedian) = figures.Lengths;
            report.AppendLine("## Review lengths").AppendLine();
            report.AppendLine($"Training part after `train_test_split(test_size=0.2, random_state=42)`: {statistics.Count} reviews, " +
                $"mean {statistics.Mean:F5} (notebook {bookMean}), median {statistics.Median} (notebook {bookMedian}).").AppendLine();
            report.AppendLine("![length histogram](lengths.png)").AppendLine();

            // 2. the six models
            report.AppendLine("## Models").AppendLine();
            report.AppendLine("| model | params | epochs run | best epoch | best val_loss | val_accuracy | s/epoch | notebook: epochs, best epoch, val_loss, val_accuracy, s/epoch | curves |");
            report.AppendLine("|---|---:|---:|---:|---:|---:|---:|---|---|");
            bool interrupted = false;
            foreach (var preset in presets)
            {
                if (options.Cancellation.IsCancellationRequested) { interrupted = true; break; }
                int words = Presets.ChapterNumWords(preset);
                var dataset = DataFor(words);
                var (train, validation) = dataset.SplitValidation(0.2);
                using var model = Presets.Create(preset, words, Maxlen, 2, settings.Seed);
                string checkpoint = Path.Combine(folder, Presets.ChapterFileName(preset));
                var outcome = Trainer.Fit(model, Sequences.PadToTensor(train.X, Maxlen), Dataset.Labels(train.Y),
                    (Sequences.PadToTensor(validation.X, Maxlen), Dataset.Labels(validation.Y)), 2,
                    settings with { Checkpoint = checkpoint, HistoryCsv = Path.Combine(folder, preset + "-history.csv") }, options, preset);
                interrupted |= outcome.Interrupted;
                CurvesPlot.SavePng(Path.Combine(folder, preset + "-loss.png"), outcome.History, "loss", $"{preset}: loss");
                CurvesPlot.SavePng(Path.Combine(folder, preset + "-accuracy.png"), outcome.History, "accuracy", $"{preset}: accuracy");
                var h = outcome.History;
                int best = outcome.BestEpoch;
                var book = figures.Model(preset);
                string published = book is null ? "" : $"{book["epochs_run"]}, {book["best_epoch"]}, {book["best_val_loss"]}, {book["best_val_accuracy"]}, {book["seconds_per_epoch"]}";
                report.AppendLine(CultureInfo.InvariantCulture, $"| {preset} | {model.CountParams():N0} | {outcome.EpochsRun} | {best + 1} | {h["val_loss"][best]:F4} | {h["val_accuracy"][best]:F4} | {outcome.SecondsPerEpoch:F2} | {published} | [loss]({preset}-loss.png), [accuracy]({preset}-accuracy.png) |");
            }
            report.AppendLine().AppendLine($"Notebook figures: {figures.Source} (its TF 2.3 runs used num_words=500 for every model; Sequor uses the chapter's 300 for the two SimpleRNN models).").AppendLine();

            // 3. the best two-layer LSTM, loaded back from its checkpoint as the notebook does, on the test set
            string twoLayer = Path.Combine(folder, Presets.ChapterFileName("lstm-2layer"));
            if (File.Exists(twoLayer) && DataFor(500).Test is { } test)
            {
                using var best = Sequential.Load(twoLayer);
                best.Compile(new RMSprop(1e-4f), Loss.BinaryCrossentropy, Metric.Accuracy);
                var (loss, accuracy) = best.Evaluate(Sequences.PadToTensor(test.X, Maxlen), Dataset.Labels(test.Y), batchSize: 512);
                var (bookLoss, bookAccuracy) = figures.TestTwoLayer;
                options.Out.WriteLine($"test ({test.Count} reviews), best 2-layer LSTM: loss {loss:F4}, accuracy {accuracy:F4}");
                report.AppendLine("## Test set").AppendLine();
                report.AppendLine($"The best two-layer LSTM, loaded from `{Path.GetFileName(twoLayer)}`, on {test.Count} test reviews: loss {loss:F4}, accuracy {accuracy:F4} " +
                    $"(notebook: loss {bookLoss}, accuracy {bookAccuracy}).").AppendLine();
            }
            if (interrupted) report.AppendLine("_Interrupted with Ctrl-C: the table holds the models that ran._").AppendLine();
            string reportPath = Path.Combine(folder, "report.md");
            AtomicFile.Write(reportPath, s => s.Write(Encoding.UTF8.GetBytes(report.ToString())));
            options.Out.WriteLine($"report: {reportPath}");
            return interrupted ? 130 : 0;
        }));
        return command;
    }
}
