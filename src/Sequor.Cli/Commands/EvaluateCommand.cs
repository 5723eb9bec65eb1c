using System.CommandLine;
using Sequor.Data;
using Sequor.Training;

namespace Sequor.Cli.Commands;

/// <summary><c>sequor evaluate</c>: loss and accuracy of a saved model on the test part of the data.</summary>
internal static class EvaluateCommand
{
    public static Command Create(CliOptions options)
    {
        var modelPath = new Argument<string>("model") { Description = "A .keras or .h5 model file" };
        var data = Shared.Data();
        var (textColumn, labelColumn) = Shared.Columns();
        var command = new Command("evaluate", "Loss and accuracy on the test part: x_test/y_test of an npz, test/ of an aclImdb folder, or every row of a CSV/TSV file")
        {
            modelPath, data, textColumn, labelColumn,
        };
        command.SetAction(Shared.Run(options, result =>
        {
            var columns = new TextColumns(result.GetValue(textColumn)!, result.GetValue(labelColumn)!);
            string path = result.GetValue(modelPath)!;
            using var model = Sequential.Load(path);
            var metadata = ModelMetadata.Load(path);
            ModelMetadata.Attach(model, path);
            var (x, y) = TestPart(model, metadata, result.GetValue(data)!, options, columns);
            var loss = model.OutputShape[^1] > 1 ? Loss.SparseCategoricalCrossentropy : Loss.BinaryCrossentropy;
            model.Compile(new RMSprop(), loss, Metric.Accuracy);
            var (testLoss, accuracy) = model.Evaluate(x, y, batchSize: 512);
            options.Out.WriteLine($"{x.Dim(0)} samples - loss: {testLoss:F4} - accuracy: {accuracy:F4}");
            return 0;
        }));
        return command;
    }

    /// <summary>The test sequences padded to the model's length, with their labels; ids beyond the model's vocabulary become OOV.</summary>
    internal static (Tensor X, Tensor Y) TestPart(Sequential model, ModelMetadata? metadata, string source, CliOptions options, TextColumns columns)
    {
        int vocabulary = ModelSource.Vocabulary(model) ?? metadata?.NumWords
            ?? throw new SequorException($"model '{model.Name}': cannot tell its vocabulary (no Embedding, no one-hot input)");
        // a model of open length: the length it was trained with when known, else pad_sequences's default (the longest)
        int? maxlen = model.HasOpenLength ? model.Maxlen ?? metadata?.Maxlen : model.InputShape[0];
        LabeledSequences test;
        bool textData = Dataset.IsText(source);
        if (model.Vectorizer is { } vectorizer)
        {
            // the model was trained on raw text: its own vocabulary, never a new one
            if (!textData) throw new SequorException($"--data '{source}': this model was trained on raw text and reads text (an aclImdb folder or a CSV/TSV file), not token ids");
            var texts = Directory.Exists(source) ? TextDataset.FromAclImdb(source, "test") : TextDataset.FromCsv(source, columns.Text, columns.Label);
            var names = model.ClassNames ?? texts.ClassNames;
            var labels = texts.Labels.Select(l => Array.IndexOf(names, texts.ClassNames[l])).ToArray();
            if (labels.Contains(-1))
                throw new SequorException($"'{source}': labels {string.Join(", ", texts.Labels.Select(l => texts.ClassNames[l]).Distinct().Except(names).Select(n => $"'{n}'"))} are not among the model's classes ({string.Join(", ", names)})");
            var x = model.Vectorize(texts.Texts);
            return (x, Dataset.Labels(labels));
        }
        else
        {
            if (textData) throw new SequorException($"--data '{source}': this model reads token ids and carries no text vectorizer; give it ids (imdb or an .npz file), or train it on text");
            var dataset = Dataset.Load(source, vocabulary, options, columns);
            test = dataset.Test ?? dataset.Train;
        }
        int classes = Math.Max(2, model.OutputShape[^1]);
        int beyond = Array.FindIndex(test.Y, l => l < 0 || l >= classes);
        if (beyond >= 0) throw new SequorException($"--data '{source}': label {test.Y[beyond]} at row {beyond}, but this model has {classes} classes (0..{classes - 1})");
        var ids = Dataset.Clip(test.X, vocabulary);
        return (Sequences.PadToTensor(ids, maxlen ?? Math.Max(1, ids.Max(r => r.Length))), Dataset.Labels(test.Y));
    }
}
