using Sequor.Cli.Commands;
using Sequor.Formats;
using Sequor.Layers;

namespace Sequor.Cli;

/// <summary>Turns <c>--model</c> (a preset, a Keras config JSON, or a model file) into a built model.</summary>
internal static class ModelSource
{
    public static bool IsFile(string model) => model.EndsWith(".keras", StringComparison.OrdinalIgnoreCase) || model.EndsWith(".h5", StringComparison.OrdinalIgnoreCase);

    /// <summary>The vocabulary a model reads: its Embedding's input_dim, or its one-hot depth.</summary>
    public static int? Vocabulary(Sequential model) => model.Layers[0] switch
    {
        Embedding e => e.InputDim,
        _ when model.IsBuilt && model.InputShape.Count == 2 => model.InputShape[1],
        _ => null,
    };

    /// <summary>
    /// Refuses a --model that names no preset and no existing file before the data is loaded: a typo should not
    /// cost the wait for a download or a large file.
    /// </summary>
    public static void CheckNamed(string model)
    {
        if (Presets.Exists(model)) return;
        if (model.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || IsFile(model))
        {
            if (!File.Exists(model)) throw new SequorException($"--model '{model}': no such file");
            return;
        }
        throw NotAModel(model);
    }

    private static SequorException NotAModel(string model) =>
        new($"--model '{model}': not a preset ({string.Join(", ", Presets.Names)}), a .json Keras config or a .keras/.h5 model file");

    public static Sequential Create(string model, int numWords, int maxlen, int classes, int seed)
    {
        if (Presets.Exists(model)) return Presets.Create(model, numWords, maxlen, classes, seed);
        if (model.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(model)) throw new SequorException($"--model '{model}': no such file");
            KerasConfigReader.Result read;
            try
            {
                read = KerasConfigReader.Read(File.ReadAllText(model), kerasVersion: null, inputShape: null);
            }
            catch (SequorException e)
            {
                throw new SequorException($"--model '{model}': {SequorException.OneLine(e.Message)}");
            }
            // the config's own input shape, with the time axis set by --maxlen (Keras configs often leave it None)
            int[] shape = read.InputShape.Length == 0 ? [maxlen] : read.InputShape.ToArray();
            shape[0] = maxlen;
            read.Model.WithSeed(seed).Build(shape);
            CheckHead(read.Model, classes, model);
            return read.Model;
        }
        if (IsFile(model))
        {
            var loaded = Load(model);
            CheckHead(loaded, classes, model);
            return loaded;
        }
        throw NotAModel(model);
    }

    /// <summary>
    /// A model file to continue training, with the class names and text vectorizer it carries (inside a .keras
    /// archive, or in the side files older versions wrote beside it).
    /// </summary>
    public static Sequential Load(string model)
    {
        if (!File.Exists(model)) throw new SequorException($"--model '{model}': no such file");
        var loaded = Sequential.Load(model);
        ModelMetadata.Attach(loaded, model);
        return loaded;
    }

    /// <summary>Refuses a model whose output width does not fit <paramref name="classes"/> classes.</summary>
    public static void CheckHead(Sequential model, int classes, string source)
    {
        if (!model.IsBuilt) return;
        int width = model.OutputShape[^1], expected = classes > 2 ? classes : 1;
        if (width != expected)
            throw new SequorException($"--model '{source}': its output has width {width}, the data has {classes} classes (expected width {expected})");
    }
}
