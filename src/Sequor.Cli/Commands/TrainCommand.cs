using System.CommandLine;
using Sequor.Cli.Plots;
using Sequor.Data;

namespace Sequor.Cli.Commands;

/// <summary><c>sequor train</c>: the notebook's training of one model, from data to best checkpoint.</summary>
internal static class TrainCommand
{
    public static Command Create(CliOptions options)
    {
        var model = new Option<string>("--model") { Description = $"A preset ({string.Join(", ", Presets.Names)}), a Keras config .json, or a .keras/.h5 model to continue training", Required = true };
        var data = Shared.Data();
        var numWords = Shared.NumWords();
        var maxlen = Shared.Maxlen();
        var epochs = new Option<int>("--epochs") { Description = "Maximum epochs (early stopping usually ends sooner)", DefaultValueFactory = _ => 100 };
        var batchSize = new Option<int>("--batch-size") { Description = "Samples per batch", DefaultValueFactory = _ => 64 };
        var optimizer = new Option<string>("--optimizer") { Description = "rmsprop, adam or sgd", DefaultValueFactory = _ => "rmsprop" };
        optimizer.AcceptOnlyFromAmong("rmsprop", "adam", "sgd");
        var learningRate = new Option<float>("--lr") { Description = "Learning rate", DefaultValueFactory = _ => 1e-4f };
        var patience = new Option<int>("--patience") { Description = "Early-stopping patience in epochs (best weights are restored)", DefaultValueFactory = _ => 3 };
        var validationSplit = new Option<double>("--validation-split") { Description = "Fraction of the training part held out, as train_test_split(test_size=…, random_state=42)", DefaultValueFactory = _ => 0.2 };
        var checkpoint = new Option<string>("--checkpoint") { Description = "Where the best model is saved (.keras or .h5)", DefaultValueFactory = _ => "best.keras" };
        var seed = Shared.Seed();
        var threads = Shared.Threads();
        var plot = new Option<string?>("--plot") { Description = "Write the loss curves to this PNG (accuracy beside it, *-accuracy.png) [default: none]" };
        var historyCsv = new Option<string?>("--history") { Description = "Write the per-epoch history to this CSV [default: none]" };
        var (textColumn, labelColumn) = Shared.Columns();

        var command = new Command("train", "Train a model on IMDB or your own texts, as the chapter does")
        {
            model, data, numWords, maxlen, epochs, batchSize, optimizer, learningRate, patience, validationSplit, checkpoint, seed, threads, plot, historyCsv, textColumn, labelColumn,
        };
        command.SetAction(Shared.Run(options, result =>
        {
            var columns = new TextColumns(result.GetValue(textColumn)!, result.GetValue(labelColumn)!);
            string modelName = result.GetValue(model)!;
            int words = result.GetValue(numWords) ?? (Presets.Exists(modelName) ? Presets.ChapterNumWords(modelName) : 500);
            int length = Shared.Positive(result.GetValue(maxlen), "--maxlen");
            double split = result.GetValue(validationSplit);
            if (!(split > 0 && split < 1)) throw new SequorException($"--validation-split must be between 0 and 1, got {split}");
            var settings = new TrainSettings(Shared.Positive(result.GetValue(epochs), "--epochs"), Shared.Positive(result.GetValue(batchSize), "--batch-size"),
                result.GetValue(optimizer)!, Shared.PositiveFloat(result.GetValue(learningRate), "--lr"), Shared.NonNegative(result.GetValue(patience), "--patience"),
                result.GetValue(checkpoint), result.GetValue(seed), result.GetValue(threads), result.GetValue(historyCsv),
                // a model file resumes with its own optimizer state unless the optimizer is given again
                KeepOptimizer: ModelSource.IsFile(modelName) && result.GetResult(optimizer) is null or { Implicit: true } && result.GetResult(learningRate) is null or { Implicit: true });
            if (settings.Checkpoint is { } path && !ModelSource.IsFile(path)) throw new SequorException($"--checkpoint '{path}' must end in .keras or .h5");

            ModelSource.CheckNamed(modelName);

            string source = result.GetValue(data)!;
            // a model file goes on with its own vocabulary and class names: its ids and outputs mean what they meant
            using var continued = ModelSource.IsFile(modelName) ? ModelSource.Load(modelName) : null;
            // a continued model reads its own number of ids: an explicit --num-words must agree with it
            int ModelVocabulary(int own, string why) =>
                result.GetResult(numWords) is { Implicit: false } && words != own
                    ? throw new SequorException($"--num-words {words}: '{modelName}' reads {own} ids{why}")
                    : own;
            Dataset dataset;
            if (continued?.Vectorizer is { } vectorizer)
            {
                words = ModelVocabulary(ModelSource.Vocabulary(continued) ?? vectorizer.MaxTokens ?? vectorizer.VocabularySize, " of its own vocabulary, which continued training keeps");
                dataset = OnModelVocabulary(continued, vectorizer, modelName, source, options, columns);
            }
            else
            {
                // A model file with no vocabulary of its own (a Keras architecture, or a model of token ids) can learn
                // raw text only on a vocabulary built from this data: said on the console, since its Embedding rows
                // then stand for other words than any it learnt before.
                if (continued is not null && Dataset.IsText(source))
                {
                    int own = ModelSource.Vocabulary(continued) ?? words;
                    words = ModelVocabulary(own, $", so its vocabulary has {own} tokens");
                    options.Status($"'{modelName}' carries no vocabulary: building one of {own} tokens from '{source}'; its Embedding rows now stand for these words");
                }
                dataset = Dataset.Load(source, words, options, columns);
            }
            int classes = Math.Max(2, dataset.ClassNames.Length);
            using var created = continued is null ? ModelSource.Create(modelName, words, length, classes, settings.Seed) : null;
            var network = continued ?? created!;
            if (continued is not null) ModelSource.CheckHead(continued, classes, modelName);
            // a model of open length (Keras's Input(shape=(None,))) trains on --maxlen and keeps it for its texts
            int modelLength = network.HasOpenLength ? length : network.InputShape[0];
            if (network.HasOpenLength) network.Maxlen = length;
            var (train, validation) = dataset.SplitValidation(split);
            var x = Sequences.PadToTensor(train.X, modelLength);
            var valX = Sequences.PadToTensor(validation.X, modelLength);
            options.Status($"{dataset.Description}: {train.Count} training and {validation.Count} validation sequences of length {modelLength}");

            // every checkpoint carries the class names and vectorizer of this run, written with its weights
            network.ClassNames = dataset.ClassNames;
            network.Vectorizer = dataset.Vectorizer;
            var outcome = Trainer.Fit(network, x, Dataset.Labels(train.Y), (valX, Dataset.Labels(validation.Y)), classes, settings, options, $"{modelName}");
            if (outcome.EpochsRun == 0)
            {
                options.Error.WriteLine($"sequor: interrupted before the first epoch ended; no checkpoint was written by this run");
                return 130;
            }
            // a legacy .h5 file has no place for them: side files, as before
            if (!settings.Checkpoint!.EndsWith(".keras", StringComparison.OrdinalIgnoreCase))
                new ModelMetadata(dataset.ClassNames, modelLength, words, dataset.Vectorizer).Save(settings.Checkpoint);
            if (result.GetValue(plot) is { } png)
            {
                CurvesPlot.SavePng(png, outcome.History, "loss", $"{modelName}: loss", outcome.BestEpoch);
                CurvesPlot.SavePng(Shared.Beside(png, "-accuracy"), outcome.History, "accuracy", $"{modelName}: accuracy", outcome.BestEpoch);
            }
            var h = outcome.History;
            int best = outcome.BestEpoch;
            options.Out.WriteLine($"best epoch {best + 1} of {outcome.EpochsRun}: val_loss {h["val_loss"][best]:F4}, val_accuracy {h["val_accuracy"][best]:F4}; " +
                $"{outcome.SecondsPerEpoch:F2} s per epoch; best model in {settings.Checkpoint}");
            if (outcome.Interrupted)
            {
                options.Error.WriteLine($"sequor: interrupted; the best checkpoint so far is intact in {settings.Checkpoint}");
                return 130;
            }
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// The texts of <paramref name="source"/> in the ids of the model's own vectorizer, their labels in the model's
    /// own class order; a label the model has no class for is refused.
    /// </summary>
    private static Dataset OnModelVocabulary(Sequential model, TextVectorizer vectorizer, string modelName, string source, CliOptions options, TextColumns columns)
    {
        if (!Dataset.IsText(source))
            throw new SequorException($"--data '{source}': '{modelName}' was trained on raw text and reads text (an aclImdb folder or a CSV/TSV file), not token ids");
        var texts = Directory.Exists(source) ? TextDataset.FromAclImdb(source, "train") : TextDataset.FromCsv(source, columns.Text, columns.Label);
        var names = model.ClassNames ?? texts.ClassNames;
        var missing = texts.ClassNames.Where(c => !names.Contains(c)).ToArray();
        if (missing.Length > 0)
            throw new SequorException($"--data '{source}': label{(missing.Length > 1 ? "s" : "")} {string.Join(", ", missing)} {(missing.Length > 1 ? "are" : "is")} not among the classes of '{modelName}' ({string.Join(", ", names)})");
        options.Status($"continuing '{modelName}' with its own vocabulary of {vectorizer.VocabularySize} tokens and its classes ({string.Join(", ", names)})");
        var labels = texts.Labels.Select(l => Array.IndexOf(names, texts.ClassNames[l])).ToArray();
        return new Dataset($"'{source}'", new LabeledSequences(vectorizer.TransformEach(texts.Texts), labels), null, names, vectorizer)
            { ClassesOfAModel = true };
    }
}
