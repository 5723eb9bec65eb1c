using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sequor.Data;

/// <summary>
/// Keras's <c>TextVectorization</c> layer with its defaults (<c>standardize="lower_and_strip_punctuation"</c>,
/// <c>split="whitespace"</c>, <c>output_mode="int"</c>): ASCII lower-casing, the ASCII punctuation set
/// (apostrophe included) deleted, whitespace split; <see cref="Adapt"/> ranks tokens by count, ties by
/// token bytes descending as Keras does; id 0 is padding (<c>""</c>), 1 is OOV (<c>"[UNK]"</c>).
/// One addition: IMDB's <c>&lt;br /&gt;</c> tags become spaces first (the TensorFlow tutorial's
/// custom standardization), unless <c>stripHtmlBreaks</c> is false.
/// </summary>
public sealed class TextVectorizer
{
    private const string Punctuation = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'";
    private const string FormatName = "sequor-text-vectorizer";

    private readonly List<string> vocabulary = ["", "[UNK]"];
    private readonly Dictionary<string, int> ids = new(StringComparer.Ordinal) { [""] = 0, ["[UNK]"] = 1 };

    /// <param name="maxTokens">Vocabulary size including the padding and OOV entries (Keras <c>max_tokens</c>); null for no limit.</param>
    /// <param name="outputSequenceLength">Pad or cut every output to this length, at the end (Keras <c>output_sequence_length</c>).</param>
    /// <param name="stripHtmlBreaks">Replace <c>&lt;br /&gt;</c> by a space before standardizing.</param>
    public TextVectorizer(int? maxTokens = null, int? outputSequenceLength = null, bool stripHtmlBreaks = true)
    {
        if (maxTokens is < 2) throw new SequorException($"TextVectorizer: maxTokens {maxTokens} should be at least 2 (padding and OOV take two ids)");
        if (outputSequenceLength is < 1) throw new SequorException($"TextVectorizer: outputSequenceLength {outputSequenceLength} should be positive");
        MaxTokens = maxTokens;
        OutputSequenceLength = outputSequenceLength;
        StripHtmlBreaks = stripHtmlBreaks;
    }

    public int? MaxTokens { get; }

    public int? OutputSequenceLength { get; }

    public bool StripHtmlBreaks { get; }

    /// <summary>Number of ids, padding and OOV included (the Embedding layer's input dimension).</summary>
    public int VocabularySize => vocabulary.Count;

    /// <summary>Keras's <c>get_vocabulary()</c>: <c>["", "[UNK]", most frequent, …]</c>.</summary>
    public IReadOnlyList<string> GetVocabulary() => vocabulary;

    /// <summary>Learns the vocabulary from <paramref name="texts"/>, replacing any earlier one (Keras <c>adapt</c>).</summary>
    public void Adapt(IEnumerable<string> texts)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (var token in Tokens(text))
                counts[token] = counts.GetValueOrDefault(token) + 1;
        counts.Remove("");
        counts.Remove("[UNK]");
        var ranked = counts.Select(kv => (Token: kv.Key, Bytes: Encoding.UTF8.GetBytes(kv.Key), Count: kv.Value)).ToList();
        ranked.Sort((a, b) => a.Count != b.Count ? b.Count.CompareTo(a.Count) : b.Bytes.AsSpan().SequenceCompareTo(a.Bytes));
        int keep = MaxTokens is int m ? Math.Min(m - 2, ranked.Count) : ranked.Count;
        SetVocabulary(ranked.Take(keep).Select(r => r.Token));
    }

    /// <summary>The ids of one text (its own length, or <see cref="OutputSequenceLength"/>).</summary>
    public int[] Transform(string text)
    {
        var row = Tokens(text).Select(t => ids.GetValueOrDefault(t, 1)).ToArray();
        if (OutputSequenceLength is int n && row.Length != n) Array.Resize(ref row, n);
        return row;
    }

    /// <summary>
    /// Keras's batch call <c>vectorizer(texts)</c>: each row cut and padded at the END with 0 to
    /// <see cref="OutputSequenceLength"/>, or to the longest row of the batch when it is not set (as Keras pads ragged
    /// output). A row then depends on the other texts of the batch; for a model that pads at the front, use
    /// <see cref="TransformEach"/> and <see cref="Sequences.Pad"/> instead.
    /// </summary>
    public int[][] Transform(IEnumerable<string> texts)
    {
        var rows = texts.Select(Transform).ToArray();
        if (OutputSequenceLength is null && rows.Length > 0)
        {
            int longest = rows.Max(r => r.Length);
            for (int i = 0; i < rows.Length; i++) Array.Resize(ref rows[i], longest);
        }
        return rows;
    }

    /// <summary>
    /// The ids of each text on its own, its real length, unpadded (the chapter's IMDB rows, ready for
    /// <c>pad_sequences(maxlen)</c>, which pads and cuts at the front). Requires <see cref="OutputSequenceLength"/>
    /// to be unset: an end-padded row must never be padded again at the front.
    /// </summary>
    public int[][] TransformEach(IEnumerable<string> texts)
    {
        if (OutputSequenceLength is int n)
            throw new SequorException($"TextVectorizer: TransformEach gives unpadded rows, but outputSequenceLength is {n} (use Transform)");
        return texts.Select(Transform).ToArray();
    }

    /// <summary>The standardized tokens of <paramref name="text"/>, before lookup.</summary>
    public IEnumerable<string> Tokens(string text) => Split(Standardize(text, StripHtmlBreaks));

    internal static string Standardize(string text, bool stripHtmlBreaks)
    {
        if (stripHtmlBreaks) text = text.Replace("<br />", " ", StringComparison.OrdinalIgnoreCase);
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (Punctuation.Contains(c)) continue;
            sb.Append(c is >= 'A' and <= 'Z' ? (char)(c + 32) : c); // TF lowercases ASCII only
        }
        return sb.ToString();
    }

    internal static IEnumerable<string> Split(string text) =>
        text.Split([' ', '\t', '\n', '\r', '\v', '\f'], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The settings and vocabulary as JSON (what <see cref="Save"/> writes and a .keras archive carries).</summary>
    public JsonObject ToJson() => new()
    {
        ["format"] = FormatName,
        ["version"] = 1,
        ["standardize"] = "lower_and_strip_punctuation",
        ["split"] = "whitespace",
        ["strip_html_breaks"] = StripHtmlBreaks,
        ["max_tokens"] = MaxTokens,
        ["output_sequence_length"] = OutputSequenceLength,
        ["vocabulary"] = new JsonArray(vocabulary.Skip(2).Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
    };

    /// <summary>Reads what <see cref="ToJson"/> wrote; <paramref name="source"/> names it in errors.</summary>
    public static TextVectorizer FromJson(JsonNode? node, string source)
    {
        try
        {
            var root = node as JsonObject ?? throw new SequorException($"{source}: expected a JSON object");
            if ((string?)root["format"] != FormatName || (int?)root["version"] != 1)
                throw new SequorException($"{source}: not a {FormatName} version 1 object");
            var v = new TextVectorizer((int?)root["max_tokens"], (int?)root["output_sequence_length"], (bool?)root["strip_html_breaks"] ?? true);
            var vocab = root["vocabulary"] as JsonArray ?? throw new SequorException($"{source}: has no vocabulary array");
            v.SetVocabulary(vocab.Select(n => (string?)n ?? throw new SequorException($"{source}: vocabulary holds a non-string")));
            if (v.MaxTokens is int m && v.VocabularySize > m)
                throw new SequorException($"{source}: vocabulary has {v.VocabularySize} entries, more than max_tokens {m}");
            return v;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new SequorException($"{source}: cannot be read ({e.Message})", e);
        }
    }

    /// <summary>Writes the settings and vocabulary as a small JSON file (atomically).</summary>
    public void Save(string path)
    {
        var json = ToJson();
        AtomicFile.Write(path, s => { using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true }); json.WriteTo(w); });
    }

    /// <summary>Reads a vectorizer written by <see cref="Save"/>.</summary>
    public static TextVectorizer Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SequorException($"text vectorizer file '{path}': cannot be read ({e.Message})", e);
        }
        JsonNode? node;
        try { node = JsonNode.Parse(text); }
        catch (JsonException e) { throw new SequorException($"text vectorizer file '{path}': cannot be read ({e.Message})", e); }
        return FromJson(node, $"text vectorizer file '{path}'");
    }

    private void SetVocabulary(IEnumerable<string> learned)
    {
        vocabulary.RemoveRange(2, vocabulary.Count - 2);
        ids.Clear();
        ids[""] = 0;
        ids["[UNK]"] = 1;
        foreach (var token in learned)
        {
            if (!ids.TryAdd(token, vocabulary.Count))
                throw new SequorException($"TextVectorizer: token '{token}' appears twice in the vocabulary");
            vocabulary.Add(token);
        }
    }
}
