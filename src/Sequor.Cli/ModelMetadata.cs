using System.Text.Json;
using System.Text.Json.Nodes;
using Sequor.Data;

namespace Sequor.Cli;

/// <summary>
/// The side files older Sequor versions kept beside a model (<c>&lt;model&gt;.sequor.json</c> and
/// <c>&lt;model&gt;.vectorizer.json</c>): class names, sequence length, vocabulary and text vectorizer. A <c>.keras</c>
/// file now carries its class names and vectorizer inside the archive (<see cref="Sequential.Vectorizer"/>); the side
/// files are still read for models without them, and still written for legacy <c>.h5</c> checkpoints, which have no
/// place for them.
/// </summary>
internal sealed record ModelMetadata(string[] ClassNames, int Maxlen, int NumWords, TextVectorizer? Vectorizer)
{
    public static string PathFor(string model) => model + ".sequor.json";

    private static string VectorizerPath(string model) => model + ".vectorizer.json";

    public void Save(string model)
    {
        var json = new JsonObject
        {
            ["class_names"] = new JsonArray(ClassNames.Select(c => (JsonNode)c).ToArray()),
            ["maxlen"] = Maxlen,
            ["num_words"] = NumWords,
            ["vectorizer"] = Vectorizer is null ? null : Path.GetFileName(VectorizerPath(model)),
        };
        Vectorizer?.Save(VectorizerPath(model));
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        AtomicFile.Write(PathFor(model), s => s.Write(bytes));
    }

    /// <summary>
    /// Gives <paramref name="model"/> the class names and vectorizer of the side files beside <paramref name="path"/>
    /// when its file carried none of its own (an archive's own entry always wins over side files).
    /// </summary>
    public static void Attach(Sequential model, string path)
    {
        if (model.ClassNames is not null || model.Vectorizer is not null) return;
        if (Load(path) is not { } side) return;
        model.ClassNames = side.ClassNames;
        if (model.HasOpenLength) model.Maxlen ??= side.Maxlen;
        model.Vectorizer = side.Vectorizer;
    }

    /// <summary>The metadata beside <paramref name="model"/>, or null when there is none (a model from Keras).</summary>
    public static ModelMetadata? Load(string model)
    {
        string path = PathFor(model);
        if (!File.Exists(path)) return null;
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            var names = json["class_names"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray();
            var vectorizer = json["vectorizer"] is { } v ? TextVectorizer.Load(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, v.GetValue<string>())) : null;
            return new ModelMetadata(names, json["maxlen"]!.GetValue<int>(), json["num_words"]!.GetValue<int>(), vectorizer);
        }
        catch (Exception e) when (e is JsonException or NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new SequorException($"'{path}': damaged model metadata ({e.Message.Split('\n')[0]})");
        }
    }
}
