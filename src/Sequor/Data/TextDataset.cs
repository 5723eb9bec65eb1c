using System.Globalization;
using System.Text;

namespace Sequor.Data;

/// <summary>
/// Raw labelled texts: reviews and their class ids, with the class names the ids stand for
/// (like Keras's <c>text_dataset_from_directory</c>: names sorted, id = position).
/// </summary>
public sealed record TextDataset(string[] Texts, int[] Labels, string[] ClassNames)
{
    public int Count => Texts.Length;

    /// <summary>
    /// Reads the Stanford <c>aclImdb</c> layout: <c>root/split/neg/*.txt</c> (label 0) and <c>root/split/pos/*.txt</c>
    /// (label 1), UTF-8, each class's files in ordinal name order, negatives first (Keras's
    /// <c>text_dataset_from_directory(..., shuffle=False)</c> order); other folders such as <c>unsup</c> are ignored.
    /// </summary>
    public static TextDataset FromAclImdb(string root, string split = "train")
    {
        if (split is not ("train" or "test"))
            throw new SequorException($"TextDataset.FromAclImdb: split '{split}' should be 'train' or 'test'");
        string dir = Path.Combine(root, split);
        var texts = new List<string>();
        var labels = new List<int>();
        string[] classes = ["neg", "pos"];
        for (int label = 0; label < classes.Length; label++)
        {
            string classDir = Path.Combine(dir, classes[label]);
            if (!Directory.Exists(classDir))
                throw new SequorException($"TextDataset.FromAclImdb: folder '{classDir}' does not exist (expected aclImdb/{split}/neg and aclImdb/{split}/pos)");
            var files = Directory.GetFiles(classDir, "*.txt");
            Array.Sort(files, StringComparer.Ordinal);
            foreach (var f in files)
            {
                RegularFile.Check(f, "review");
                texts.Add(File.ReadAllText(f, Encoding.UTF8));
                labels.Add(label);
            }
        }
        return new TextDataset(texts.ToArray(), labels.ToArray(), classes);
    }

    /// <summary>
    /// Reads a CSV (or, for <c>.tsv</c>/<c>.tab</c> files or <paramref name="delimiter"/> <c>'\t'</c>, TSV) file
    /// with a header row: RFC 4180 quoting (fields in double quotes may hold delimiters, newlines and
    /// doubled quotes), UTF-8 with or without a BOM. Labels follow <see cref="Labelled"/>: whole numbers are class ids
    /// 0..k−1, anything else a class name; empty labels and mixtures are refused naming the record.
    /// </summary>
    public static TextDataset FromCsv(string path, string textColumn = "text", string labelColumn = "label", char? delimiter = null)
    {
        byte[] bytes;
        RegularFile.Check(path, "csv file");
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new SequorException($"csv file '{path}': cannot be read ({e.Message})", e);
        }
        char sep = delimiter ?? (Path.GetExtension(path).ToLowerInvariant() is ".tsv" or ".tab" ? '\t' : ',');
        return FromCsvBytes(bytes, path, textColumn, labelColumn, sep);
    }

    internal static TextDataset FromCsvBytes(byte[] bytes, string source, string textColumn, string labelColumn, char sep)
    {
        string content;
        try { content = new UTF8Encoding(false, true).GetString(bytes); }
        catch (DecoderFallbackException)
        {
            throw new SequorException($"csv file '{source}': is not valid UTF-8");
        }
        return FromCsvText(content, source, textColumn, labelColumn, sep);
    }

    internal static TextDataset FromCsvText(string content, string source, string textColumn, string labelColumn, char sep)
    {
        var rows = CsvParser.Parse(content, sep, source);
        if (rows.Count == 0) throw new SequorException($"csv file '{source}': is empty (expected a header row)");
        var header = rows[0];
        int textAt = Array.IndexOf(header, textColumn), labelAt = Array.IndexOf(header, labelColumn);
        if (textAt < 0 || labelAt < 0)
            throw new SequorException($"csv file '{source}': has no column '{(textAt < 0 ? textColumn : labelColumn)}' (columns: {Printable.Of(string.Join(", ", header), 200)})");
        var texts = new string[rows.Count - 1];
        var raw = new string[rows.Count - 1];
        for (int r = 1; r < rows.Count; r++)
        {
            if (rows[r].Length != header.Length)
                throw new SequorException($"csv file '{source}': record {r + 1} has {rows[r].Length} fields, the header has {header.Length}");
            texts[r - 1] = rows[r][textAt];
            raw[r - 1] = rows[r][labelAt].Trim();
        }
        return Labelled(texts, raw, i => $"csv file '{source}': record {i + 2}");
    }

    /// <summary>
    /// The label rule. A label is trimmed; an empty one is refused. When every label reads as a whole number
    /// (<c>1</c>, <c>01</c> and <c>1.0</c> alike, as a float column exported by pandas writes them) the numbers are
    /// class ids, as Keras's losses take them: they must lie in 0..k−1 and the class names are "0" … "k−1". Otherwise
    /// every label is a class name, the distinct names sorted ordinally become ids 0, 1, …; a column that mixes
    /// numbers and words, or holds a fractional number, is refused rather than guessed at.
    /// </summary>
    internal static TextDataset Labelled(string[] texts, string[] raw, Func<int, string> where)
    {
        for (int i = 0; i < raw.Length; i++)
            if (raw[i].Length == 0) throw new SequorException($"{where(i)} has an empty label (every record needs its class)");
        var numbers = new double?[raw.Length];
        int firstNumber = -1, firstWord = -1;
        for (int i = 0; i < raw.Length; i++)
        {
            if (double.TryParse(raw[i], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v))
            {
                numbers[i] = v;
                if (firstNumber < 0) firstNumber = i;
            }
            else if (firstWord < 0) firstWord = i;
        }
        if (firstNumber >= 0 && firstWord >= 0)
            throw new SequorException($"{where(firstWord)} has label '{Printable.Of(raw[firstWord], 40)}' but {where(firstNumber)} has the number '{Printable.Of(raw[firstNumber], 40)}': labels must be all class ids (0, 1, …) or all class names");
        if (firstNumber < 0)
        {
            var classNames = raw.Distinct().Order(StringComparer.Ordinal).ToArray();
            var index = classNames.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
            return new TextDataset(texts, raw.Select(l => index[l]).ToArray(), classNames);
        }
        var ids = new int[raw.Length];
        for (int i = 0; i < raw.Length; i++)
        {
            double v = numbers[i]!.Value;
            if (v != Math.Floor(v) || v < 0 || v > MaxClassId)
                throw new SequorException($"{where(i)} has label '{Printable.Of(raw[i], 40)}': a numeric label is a class id, a whole number from 0 to {MaxClassId}");
            ids[i] = (int)v;
        }
        int classes = ids.Length == 0 ? 0 : ids.Max() + 1;
        var names = Enumerable.Range(0, classes).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        return new TextDataset(texts, ids, names);
    }

    // Beyond this a numeric label is a measurement (a rating, an id), not a class id; a softmax this wide is a mistake.
    internal const int MaxClassId = 9_999;
}
