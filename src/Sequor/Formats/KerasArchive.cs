using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sequor.Data;

namespace Sequor.Formats;

/// <summary>
/// Keras 3's <c>.keras</c> archive: a zip of <c>metadata.json</c> (Keras version, date),
/// <c>config.json</c> (the serialized model, with <c>compile_config</c> when compiled) and
/// <c>model.weights.h5</c> (the weights store, see <see cref="WeightsH5"/>). Sequor adds <c>sequor.json</c> when the
/// model knows its class names or text vectorizer: Keras's loader reads its three entries by name and ignores
/// others, so the file stays a plain Keras model while carrying everything <c>predict</c> needs in one atomic write.
/// </summary>
internal static class KerasArchive
{
    private const string Metadata = "metadata.json";
    private const string Config = "config.json";
    private const string Weights = "model.weights.h5";
    private const string SequorEntry = "sequor.json";
    private const string SequorFormat = "sequor-model-text";

    // JSON entries are small; a larger one is damage, not a model.
    private const long MaxJsonBytes = 64 << 20;

    /// <summary>
    /// Reads a .keras archive: config, weights, then the compile settings of <c>compile_config</c> and the optimizer
    /// state of <c>optimizer/vars</c> when present; what cannot be restored is told to <paramref name="warn"/>.
    /// </summary>
    internal static Sequential Read(Stream stream, int[]? inputShape, Action<string>? warn = null)
    {
        using var zip = OpenZip(stream);
        string config = ReadText(zip, Config) ?? throw new SequorException($"the archive has no {Config}");
        string? metadata = ReadText(zip, Metadata);
        string? version = metadata is null ? null : KerasVersion(metadata);

        var weightsEntry = zip.GetEntry(Weights);
        if (weightsEntry is null)
            throw new SequorException(zip.GetEntry("model.weights.npz") is not null
                ? "the weights are stored as model.weights.npz, which Sequor does not read (save with the default h5 weights format)"
                : $"the archive has no {Weights}");
        var read = KerasConfigReader.Read(config, version, inputShape);
        var (model, shape) = read;
        LegacyH5.BuildForLoading(model, shape, weightsEntry.Length);
        if (read.OpenLength) model.OpenLength();
        using var weights = ReadBytes(weightsEntry, long.MaxValue);
        using var file = H5Reading.Open(weights);
        WeightsH5.Load(file, model, weights.Length);

        if (JsonNode.Parse(config) is JsonObject root && root["compile_config"] is JsonObject compile)
            CompileConfig.Restore(model, new TrainingConfig(compile.ToJsonString(), Keras3: true),
                () => OptimizerState.ReadKeras3(file, model, weights.Length), warn);
        if (ReadText(zip, SequorEntry) is { } extra) ReadSequorEntry(extra, model);
        return model;
    }

    /// <summary>Loads the weights of a .keras archive into an existing model.</summary>
    internal static void LoadWeights(Stream stream, Sequential model)
    {
        using var zip = OpenZip(stream);
        var entry = zip.GetEntry(Weights) ?? throw new SequorException($"the archive has no {Weights}");
        using var weights = ReadBytes(entry, long.MaxValue);
        using var file = H5Reading.Open(weights);
        WeightsH5.Load(file, model, weights.Length);
    }

    private static ZipArchive OpenZip(Stream stream)
    {
        try
        {
            ZipLayout.Check(stream, "the archive");
            stream.Position = 0;
            return new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new SequorException($"not a zip archive, so not a .keras file ({KerasConfigReader.OneLine(e.Message)})");
        }
    }

    private static string? KerasVersion(string metadata)
    {
        try
        {
            return JsonNode.Parse(metadata)?["keras_version"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        }
        catch (JsonException e)
        {
            throw new SequorException($"{Metadata} is not valid JSON ({KerasConfigReader.OneLine(e.Message)})");
        }
    }

    private static string? ReadText(ZipArchive zip, string name)
    {
        var entry = zip.GetEntry(name);
        if (entry is null) return null;
        using var bytes = ReadBytes(entry, MaxJsonBytes);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.GetBuffer(), 0, (int)bytes.Length);
        }
        catch (DecoderFallbackException)
        {
            throw new SequorException($"{name} is not UTF-8 text");
        }
    }

    // The declared size is checked first and the copy is bounded by it, so a lying header cannot exhaust memory.
    private static MemoryStream ReadBytes(ZipArchiveEntry entry, long limit)
    {
        long length = entry.Length;
        if (length > limit || length > Array.MaxLength)
            throw new SequorException($"{entry.FullName} declares {length} bytes, more than Sequor reads ({Math.Min(limit, Array.MaxLength)})");
        // grown as bytes arrive, so memory follows what the entry really holds, not what it claims
        var buffer = new MemoryStream((int)Math.Min(length, 1 << 20));
        using var source = entry.Open();
        var chunk = new byte[81920];
        int read;
        while ((read = source.Read(chunk, 0, (int)Math.Min(chunk.Length, length + 1 - buffer.Length))) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > length) throw new SequorException($"{entry.FullName} is longer than its header says");
        }
        if (buffer.Length != length) throw new SequorException($"{entry.FullName} is shorter than its header says ({buffer.Length} of {length} bytes)");
        buffer.Position = 0;
        return buffer;
    }

    /// <summary>
    /// The Keras version to stamp on the archive; throws when a .keras file cannot hold the model's math: Keras 3
    /// reads "hard_sigmoid" as its own (slope 1/6), so Keras 2's (slope 0.2) would make Keras compute another model.
    /// </summary>
    internal static string CheckCanHold(Sequential model)
    {
        string version = KerasConfigWriter.KerasVersionFor(model);
        if (KerasConfigReader.IsKeras2OrOlder(version))
            throw new SequorException($"model '{model.Name}' uses Keras 2's hard_sigmoid (slope 0.2), which a .keras file cannot hold (Keras 3 reads it as its own, slope 1/6); save it as .h5, Keras 2's format");
        return version;
    }

    /// <summary>Writes a .keras archive that Keras 3 loads with <c>keras.models.load_model</c>.</summary>
    internal static void Write(Sequential model, Stream stream)
    {
        string version = CheckCanHold(model);
        var config = KerasConfigWriter.Write(model, KerasConfigWriter.Style.Keras3);
        bool compiled = model.Optimizer is not null && model.Loss is not null;
        if (compiled) config["compile_config"] = CompileConfig.WriteKeras3(model);
        else if (model.TrainingConfig is { Keras3: true } training) config["compile_config"] = JsonNode.Parse(training.Json);
        var metadata = new JsonObject
        {
            ["keras_version"] = version,
            ["date_saved"] = DateTime.Now.ToString("yyyy-MM-dd@HH:mm:ss", CultureInfo.InvariantCulture),
        };
        var weights = new MemoryStream();
        WeightsH5.Write(model, weights, includeOptimizer: compiled);

        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        // Keras writes the entries in this order, uncompressed.
        WriteEntry(zip, Metadata, Encoding.UTF8.GetBytes(metadata.ToJsonString()));
        WriteEntry(zip, Config, Encoding.UTF8.GetBytes(config.ToJsonString()));
        WriteEntry(zip, Weights, weights.ToArray());
        if (model.Vectorizer is not null || model.ClassNames is not null)
        {
            var extra = new JsonObject
            {
                ["format"] = SequorFormat,
                ["version"] = 1,
                ["class_names"] = model.ClassNames is null ? null : new JsonArray(model.ClassNames.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()),
                ["vectorizer"] = model.Vectorizer?.ToJson(),
            };
            // a model of open length keeps the length its texts are padded to (Keras's config cannot say it)
            if (model.HasOpenLength && model.Maxlen is int maxlen) extra["maxlen"] = maxlen;
            WriteEntry(zip, SequorEntry, Encoding.UTF8.GetBytes(extra.ToJsonString()));
        }
    }

    private static void ReadSequorEntry(string text, Sequential model)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(text) as JsonObject ?? throw new SequorException($"{SequorEntry} is not a JSON object");
            if ((string?)root["format"] != SequorFormat || (int?)root["version"] != 1)
                throw new SequorException($"{SequorEntry} is not a {SequorFormat} version 1 object");
            if (root["maxlen"] is JsonNode maxlen && model.HasOpenLength) model.Maxlen = (int)maxlen;
            if (root["class_names"] is JsonArray names)
                model.ClassNames = names.Select(n => (string?)n ?? throw new SequorException($"{SequorEntry}: class_names holds a non-string")).ToArray();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new SequorException($"{SequorEntry} is damaged ({KerasConfigReader.OneLine(e.Message)})");
        }
        if (root["vectorizer"] is JsonObject vectorizer)
        {
            model.Vectorizer = TextVectorizer.FromJson(vectorizer, $"{SequorEntry} vectorizer");
            if (model.Layers[0] is Layers.Embedding e && e.InputDim < model.Vectorizer.VocabularySize)
                throw new SequorException($"{SequorEntry}: the vectorizer has {model.Vectorizer.VocabularySize} ids, more than the Embedding's input_dim {e.InputDim}");
        }
    }

    private static void WriteEntry(ZipArchive zip, string name, byte[] content)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
        using var output = entry.Open();
        output.Write(content);
    }
}
