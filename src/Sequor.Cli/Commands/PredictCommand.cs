using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sequor.Data;

namespace Sequor.Cli.Commands;

/// <summary><c>sequor predict</c>: the model's outputs for token ids (.npy, .json) or raw reviews (.txt).</summary>
internal static class PredictCommand
{
    public static Command Create(CliOptions options)
    {
        var modelPath = new Argument<string>("model") { Description = "A .keras or .h5 model file" };
        var input = new Option<string>("--input") { Description = ".npy or .json (a list of lists) of token ids, or .txt with one raw review per line", Required = true };
        var output = new Option<string?>("--output") { Description = "Also write the lines to this file [default: none]" };
        var command = new Command("predict", "Print the model's output for each input sequence, one line each") { modelPath, input, output };
        command.SetAction(Shared.Run(options, result =>
        {
            string path = result.GetValue(modelPath)!;
            using var model = Sequential.Load(path);
            ModelMetadata.Attach(model, path);
            var x = ReadInput(result.GetValue(input)!, model);
            var y = model.Predict(x, batchSize: 512);
            int width = y.Length / y.Dim(0);
            var lines = new List<string>(y.Dim(0));
            for (int i = 0; i < y.Dim(0); i++)
            {
                var row = y.Span.Slice(i * width, width).ToArray();
                string line = string.Join(" ", row.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
                if (model.ClassNames is { Length: > 0 } names) line += "\t" + names[width == 1 ? (row[0] > 0.5f ? 1 : 0) : Array.IndexOf(row, row.Max())];
                lines.Add(line);
            }
            foreach (var line in lines) options.Out.WriteLine(line);
            if (result.GetValue(output) is { } file) AtomicFile.Write(file, s => { using var w = new StreamWriter(s, leaveOpen: true); foreach (var line in lines) w.WriteLine(line); });
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// The input as the model's tensor. A .txt file gives one row per line, in order: each line is vectorized on its
    /// own and padded at the front, and a blank line is the empty text (all padding) and gets that prediction,
    /// so output line i always answers input line i.
    /// </summary>
    private static Tensor ReadInput(string path, Sequential model)
    {
        if (Path.GetExtension(path).Equals(".txt", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(path)) throw new SequorException($"--input '{path}': no such file");
            if (model.Vectorizer is null)
                throw new SequorException($"--input '{path}': raw text needs a model trained on text (its .keras file carries the vectorizer); this model takes token ids (.npy or .json)");
            return model.Vectorize(File.ReadAllLines(path));
        }
        var ids = ReadIds(path);
        if (ids.Length == 0) throw new SequorException($"--input '{path}': no sequences");
        // a model of open length takes the input's own length: pad_sequences's default, the longest row (pre-padded)
        return Sequences.PadToTensor(ids, model.HasOpenLength ? Math.Max(1, ids.Max(r => r.Length)) : model.InputShape[0]);
    }

    private static int[][] ReadIds(string path)
    {
        if (!File.Exists(path)) throw new SequorException($"--input '{path}': no such file");
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".npy":
                var array = NpyReader.Read(path);
                if (array.IsObject) return array.ToSequences();
                if (array.Shape.Count != 2) throw new SequorException($"--input '{path}': expected a 2-D array of token ids, got shape {Tensor.Format(array.Shape.ToArray())}");
                var flat = array.ToInt32Array();
                int columns = array.Shape[1];
                return Enumerable.Range(0, array.Shape[0]).Select(r => flat.AsSpan(r * columns, columns).ToArray()).ToArray();
            case ".json":
                try
                {
                    return JsonSerializer.Deserialize<int[][]>(File.ReadAllText(path)) ?? throw new SequorException($"--input '{path}': empty JSON");
                }
                catch (JsonException e)
                {
                    throw new SequorException($"--input '{path}': expected a JSON list of lists of token ids ({SequorException.OneLine(e.Message)})");
                }
            default:
                throw new SequorException($"--input '{path}': expected .npy, .json or .txt");
        }
    }
}
