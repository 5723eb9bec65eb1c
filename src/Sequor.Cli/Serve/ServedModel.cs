using System.Text.Json;
using Sequor.Data;
using Sequor.Layers;

namespace Sequor.Cli.Serve;

/// <summary>What a served model takes, one instance of a request each: raw text, a list of token ids, or an array of numbers.</summary>
internal enum InputKind { Text, Ids, Values }

/// <summary>
/// One model behind the server: its name in the URL, what an instance must look like, how a request's instances
/// become rows of the model's input (every check made before anything runs), and the labels of its outputs.
/// </summary>
internal sealed class ServedModel : IDisposable
{
    private readonly Dictionary<string, int>? vocabularyIds;

    public ServedModel(string name, string path, Sequential model, int maxTextLength)
    {
        if (!model.IsBuilt) throw new SequorException($"'{path}': the model has no input shape; it cannot be served");
        Name = name;
        Path = path;
        Model = model;
        MaxTextLength = maxTextLength;
        InputShape = model.InputShape.ToArray();
        RowLength = InputShape.Aggregate(1, (a, b) => a * b);
        OutputWidth = model.OutputShape.Aggregate(1, (a, b) => a * b);
        VocabularySize = model.Layers[0] is Embedding embedding ? embedding.InputDim : null;
        Kind = model.Vectorizer is not null ? InputKind.Text : VocabularySize is not null && InputShape.Length == 1 ? InputKind.Ids : InputKind.Values;
        if (model.ClassNames is { } names && names.Length != (OutputWidth == 1 ? 2 : OutputWidth))
            throw new SequorException($"'{path}': {names.Length} class names for {OutputWidth} outputs");
        if (model.Vectorizer is { } vectorizer)
        {
            var vocabulary = vectorizer.GetVocabulary();
            vocabularyIds = new Dictionary<string, int>(vocabulary.Count, StringComparer.Ordinal);
            for (int i = vocabulary.Count - 1; i >= 2; i--) vocabularyIds[vocabulary[i]] = i;
        }
    }

    /// <summary>The name in <c>/v1/models/{name}</c>: the file's name without extension, or <c>--name</c>.</summary>
    public string Name { get; }

    public string Path { get; }

    public Sequential Model { get; }

    public InputKind Kind { get; }

    /// <summary>The model's input shape without the batch axis (<c>[100]</c> for 100 token ids).</summary>
    public int[] InputShape { get; }

    /// <summary>Numbers per row of the model's input.</summary>
    public int RowLength { get; }

    /// <summary>Numbers per row of the model's output.</summary>
    public int OutputWidth { get; }

    /// <summary>The Embedding's input dimension: ids must be below it.</summary>
    public int? VocabularySize { get; }

    /// <summary>The longest text accepted, in characters (longer texts are refused, not silently cut).</summary>
    public int MaxTextLength { get; }

    public string[]? ClassNames => Model.ClassNames;

    /// <summary>The tokens a text model reads: the last ones when a text is longer (pre-truncation), as in training.</summary>
    public int SequenceLength => InputShape[0];

    public string KindName => Kind switch { InputKind.Text => "text", InputKind.Ids => "ids", _ => "values" };

    public void Dispose() => Model.Dispose();

    /// <summary>
    /// The request's instances as rows of the model's input, <c>count × RowLength</c> numbers; any instance that does
    /// not fit is refused with its index and what was expected, before anything runs.
    /// </summary>
    public float[] Rows(JsonElement instances, out int count)
    {
        if (instances.ValueKind != JsonValueKind.Array) throw RequestException.BadRequest($"\"instances\" must be a list, got {Describe(instances)}");
        count = instances.GetArrayLength();
        if (count == 0) throw RequestException.BadRequest("\"instances\" is empty: send at least one instance");
        var rows = new float[count * RowLength];
        if (Kind == InputKind.Text)
        {
            var texts = new string[count];
            int i = 0;
            foreach (var instance in instances.EnumerateArray()) texts[i] = Text(instance, i++);
            Model.Vectorize(texts).Span.CopyTo(rows);
            return rows;
        }
        int index = 0;
        foreach (var instance in instances.EnumerateArray())
        {
            var row = rows.AsSpan(index * RowLength, RowLength);
            if (Kind == InputKind.Ids) PadIds(Ids(instance, index), row);
            else Values(instance, index, row);
            index++;
        }
        return rows;
    }

    /// <summary>A text instance, checked: a string no longer than <see cref="MaxTextLength"/>.</summary>
    public string Text(JsonElement instance, int index)
    {
        if (instance.ValueKind != JsonValueKind.String)
            throw RequestException.BadRequest($"instance {index}: model '{Name}' takes raw text, so each instance must be a string, got {Describe(instance)}");
        string text = instance.GetString()!;
        if (text.Length > MaxTextLength)
            throw RequestException.BadRequest($"instance {index}: text of {text.Length:N0} characters is longer than the limit of {MaxTextLength:N0} (--max-text-length)");
        return text;
    }

    /// <summary>A list of token ids, checked: whole numbers in [0, vocabulary), at most the sequence length.</summary>
    public int[] Ids(JsonElement instance, int index)
    {
        if (instance.ValueKind != JsonValueKind.Array)
            throw RequestException.BadRequest($"instance {index}: model '{Name}' takes a list of token ids, got {Describe(instance)}");
        int length = instance.GetArrayLength();
        if (length > SequenceLength)
            throw RequestException.BadRequest($"instance {index}: {length} ids is longer than the model's sequence length {SequenceLength} (cut it as pad_sequences(maxlen={SequenceLength}) does: keep the last {SequenceLength})");
        var ids = new int[length];
        int i = 0;
        foreach (var element in instance.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out int id))
                throw RequestException.BadRequest($"instance {index}, position {i}: a token id must be a whole number, got {Describe(element)}");
            if (id < 0 || id >= VocabularySize)
                throw RequestException.BadRequest($"instance {index}, position {i}: id {id} is outside the vocabulary [0, {VocabularySize})");
            ids[i++] = id;
        }
        return ids;
    }

    /// <summary>Ids into one row as pad_sequences does: zeros in front (the ids are never longer, <see cref="Ids"/> checked).</summary>
    public static void PadIds(ReadOnlySpan<int> ids, Span<float> row)
    {
        row.Clear();
        int offset = row.Length - ids.Length;
        for (int i = 0; i < ids.Length; i++) row[offset + i] = ids[i];
    }

    /// <summary>A nested list of numbers of exactly the model's input shape (one-hot rows, say).</summary>
    private void Values(JsonElement instance, int index, Span<float> row)
    {
        int written = 0;
        Fill(instance, 0, row, ref written, index);
    }

    private void Fill(JsonElement element, int axis, Span<float> row, ref int written, int index)
    {
        if (axis == InputShape.Length)
        {
            if (element.ValueKind != JsonValueKind.Number || !element.TryGetSingle(out float value) || !float.IsFinite(value))
                throw RequestException.BadRequest($"instance {index}: expected a finite number at depth {axis}, got {Describe(element)}");
            row[written++] = value;
            return;
        }
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() != InputShape[axis])
            throw RequestException.BadRequest($"instance {index}: expected shape {Layer.FormatShape(InputShape)}, but at depth {axis} got {Describe(element)}");
        foreach (var item in element.EnumerateArray()) Fill(item, axis + 1, row, ref written, index);
    }

    /// <summary>The class name of one output row (one sigmoid: above 0.5 is the second name; softmax: the largest), or null.</summary>
    public string? Label(ReadOnlySpan<float> output)
    {
        if (ClassNames is not { } names) return null;
        if (output.Length == 1) return names[output[0] > 0.5f ? 1 : 0];
        int best = 0;
        for (int i = 1; i < output.Length; i++) if (output[i] > output[best]) best = i;
        return names[best];
    }

    /// <summary>The id a standardized token has in the vocabulary (1, out of vocabulary, when absent).</summary>
    public int TokenId(string token) => vocabularyIds!.GetValueOrDefault(token, 1);

    /// <summary>
    /// A text's ids as a model input row, the way <see cref="Sequential.Vectorize(IReadOnlyList{string})"/> makes it: cut
    /// and padded at the end to the vectorizer's output_sequence_length when it has one, else at the front to the sequence length.
    /// </summary>
    public void TextRow(ReadOnlySpan<int> ids, Span<float> row)
    {
        if (Model.Vectorizer!.OutputSequenceLength is not null)
        {
            row.Clear();
            for (int i = 0; i < Math.Min(ids.Length, row.Length); i++) row[i] = ids[i];
        }
        else PadIds(ids.Length > row.Length ? ids[^row.Length..] : ids, row);
    }

    /// <summary>Which of a text's <paramref name="count"/> tokens reach the model: [first, first + kept).</summary>
    public (int First, int Kept) KeptTokens(int count) =>
        Model.Vectorizer?.OutputSequenceLength is not null
            ? (0, Math.Min(count, SequenceLength))
            : (Math.Max(0, count - SequenceLength), Math.Min(count, SequenceLength));

    /// <summary>A JSON value described for an error message: its kind, and short values in full.</summary>
    public static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Array => $"a list of {element.GetArrayLength()}",
        JsonValueKind.Object => "an object",
        JsonValueKind.String => element.GetString()!.Length <= 20 ? $"the string \"{element.GetString()}\"" : "a string",
        JsonValueKind.Number => element.GetRawText().Length <= 20 ? $"the number {element.GetRawText()}" : "a number",
        JsonValueKind.True or JsonValueKind.False => element.GetRawText(),
        _ => "null",
    };
}
