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
            var (splitTrain, splitValidation) = DataFor(500).SplitValidation(0.2);
            string testPart = DataFor(500).Test is { } t ? $", {t.Count:N0} test reviews" : ", no test part";
            report.AppendLine(CultureInfo.InvariantCulture, $"Data: {DataFor(500).Description}: {splitTrain.Count:N0} training and {splitValidation.Count:N0} validation reviews " +
                $"after `train_test_split(test_size=0.2, random_state=42)`{testPart}; every review padded and cut at the front to {Maxlen} ids.").AppendLine();
            report.AppendLine(CultureInfo.InvariantCulture, $"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores, " +
                $"threads {(settings.Threads?.ToString(CultureInfo.InvariantCulture) ?? "all")}, seed {settings.Seed}, at most {settings.Epochs} epochs per model.").AppendLine();
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
            report.AppendLine("Lengths in tokens of the training part (the notebook's `np.mean`/`np.median` of `train_input`):").AppendLine();
            report.AppendLine("| | reviews | mean | median | notebook reviews | notebook mean | notebook median |");
            report.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
            report.AppendLine(CultureInfo.InvariantCulture, $"| training part | {statistics.Count:N0} | {statistics.Mean:F5} | {DataCommand.Number(statistics.Median)} | 20,000 | {bookMean:F5} | {DataCommand.Number(bookMedian)} |").AppendLine();
            report.AppendLine("![length histogram](lengths.png)").AppendLine();

            // 2. the six models, each beside the notebook's run of it: accuracies and losses as fractions with 4 decimals,
            // times in seconds per epoch, epochs counted from 1, on both sides
            report.AppendLine("## Models").AppendLine();
            report.AppendLine("| model | num_words | params | epochs run | best epoch | val loss | val accuracy | s/epoch | notebook epochs run | notebook best epoch | notebook val loss | notebook val accuracy | notebook s/epoch | curves |");
            report.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
            var chance = new List<string>();
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
                if (outcome.EpochsRun == 0) break;  // interrupted in its first epoch: no row, no curves
                int best = outcome.BestEpoch;
                CurvesPlot.SavePng(Path.Combine(folder, preset + "-loss.png"), outcome.History, "loss", $"{preset}: loss", best);
                CurvesPlot.SavePng(Path.Combine(folder, preset + "-accuracy.png"), outcome.History, "accuracy", $"{preset}: accuracy", best);
                var h = outcome.History;
                double accuracy = h["val_accuracy"][best];
                // chance: what always answering the validation part's majority class scores, plus 2 points of noise
                double majority = (double)validation.Y.GroupBy(v => v).Max(g => g.Count()) / validation.Count;
                bool atChance = accuracy < majority + 0.02;
                string ended = outcome.Interrupted ? "interrupted" : outcome.EpochsRun < settings.Epochs ? $"early stopping ended it after {outcome.EpochsRun} epochs" : $"it used all {settings.Epochs} epochs";
                if (atChance) chance.Add(string.Create(CultureInfo.InvariantCulture, $"{preset}: best val accuracy {accuracy:F4} against {majority:F4} for always answering the majority class; {ended}."));
                var book = figures.Model(preset);
                string Book(string key) => book?[key] is { } v ? v.ToString().TrimEnd('s') : "";
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"| {preset} | {words} | {model.CountParams():N0} | {outcome.EpochsRun} | {h.Epoch[best] + 1} | {h["val_loss"][best]:F4} | {accuracy:F4}{(atChance ? " (chance)" : "")} | {outcome.SecondsPerEpoch:F2} " +
                    $"| {Book("epochs_run")} | {Book("best_epoch")} | {Book("best_val_loss")} | {Book("best_val_accuracy")} | {Book("seconds_per_epoch")} " +
                    $"| [loss]({preset}-loss.png), [accuracy]({preset}-accuracy.png) |");
            }
            report.AppendLine();
            if (chance.Count > 0)
            {
                report.AppendLine("**At chance level**: these models did not learn in the epochs they ran, so their rows say nothing about the architecture " +
                    "(at RMSprop 1e-4 the SimpleRNN models learn slowly, and a smaller training set gives fewer steps per epoch; more data, `--data /path/to/imdb.npz`, or more `--epochs` helps).").AppendLine();
                foreach (var line in chance) report.AppendLine("- " + line);
                report.AppendLine();
            }
            report.AppendLine($"Notebook figures: {figures.Source}, TensorFlow 2.3 on 20,000 training and 5,000 validation reviews, num_words=500 for every model " +
                "(Sequor uses the chapter text's 300 for the two SimpleRNN models); its seconds per epoch are from its own machine, not comparable with this one.").AppendLine();

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
                report.AppendLine("| model | test reviews | loss | accuracy | notebook test reviews | notebook loss | notebook accuracy |");
                report.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
                report.AppendLine(CultureInfo.InvariantCulture, $"| best lstm-2layer, loaded from `{Path.GetFileName(twoLayer)}` | {test.Count:N0} | {loss:F4} | {accuracy:F4} | 25,000 | {bookLoss:F4} | {bookAccuracy:F4} |").AppendLine();
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
