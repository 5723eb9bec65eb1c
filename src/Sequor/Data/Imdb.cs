using System.Text;
using System.Text.Json;

namespace Sequor.Data;

/// <summary>
/// The IMDB movie-review dataset exactly as <c>keras.datasets.imdb</c> serves it: the same file, the same
/// shuffle (numpy <c>RandomState(seed)</c>), the same id shifting, OOV replacement and length filter, so
/// the arrays equal the Python notebook's.
/// </summary>
public static class Imdb
{
    internal const string Url = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz";
    internal const string Sha256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f";
    internal const string WordIndexUrl = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb_word_index.json";
    internal const string WordIndexMd5 = "bfafd718b763782e994055a2d397834f";

    /// <summary>
    /// <c>keras.datasets.imdb.load_data</c>. Reviews come back as word-id lists, labels 0 (negative) / 1
    /// (positive). In order: both splits are shuffled by one <c>RandomState(seed)</c> (train, then test);
    /// each review becomes <c>[startChar] + [w + indexFrom …]</c>; with <paramref name="maxlen"/> only
    /// reviews strictly shorter than it are kept (not truncated); every id outside
    /// <c>[skipTop, numWords)</c> becomes <paramref name="oovChar"/> (or is dropped when it is null);
    /// without <paramref name="numWords"/> it is the largest id, which — a Keras quirk — makes that one id OOV.
    /// </summary>
    /// <param name="path">A local <c>imdb.npz</c>; null looks in <c>~/.sequor/datasets</c> (or <c>$SEQUOR_HOME/datasets</c>),
    /// then <c>~/.keras/datasets</c>, then downloads Keras's file (SHA-256 checked) into the Sequor cache.</param>
    /// <param name="numWords">Keep ids below this (Keras <c>num_words</c>); others become <paramref name="oovChar"/>.</param>
    /// <param name="skipTop">Ids below this also become <paramref name="oovChar"/> (Keras <c>skip_top</c>, tested on shifted ids).</param>
    /// <param name="maxlen">Keep only reviews shorter than this, start id included (Keras <c>maxlen</c>).</param>
    /// <param name="seed">Seed of the numpy <c>RandomState</c> that shuffles both splits (Keras: 113).</param>
    /// <param name="startChar">Id put in front of every review (Keras: 1); null for none.</param>
    /// <param name="oovChar">Id for words outside the vocabulary (Keras: 2); null drops them.</param>
    /// <param name="indexFrom">Added to every word id of the file (Keras: 3).</param>
    /// <param name="progress">Download progress in bytes (total is -1 when the server does not say).</param>
    public static ((int[][] X, int[] Y) Train, (int[][] X, int[] Y) Test) LoadData(
        string? path = null, int? numWords = null, int skipTop = 0, int? maxlen = null, long seed = 113,
        int? startChar = 1, int? oovChar = 2, int indexFrom = 3, IProgress<(long Done, long Total)>? progress = null) =>
        LoadData(path, numWords, skipTop, maxlen, seed, startChar, oovChar, indexFrom, progress, null);

    internal static ((int[][] X, int[] Y) Train, (int[][] X, int[] Y) Test) LoadData(
        string? path, int? numWords, int skipTop, int? maxlen, long seed, int? startChar, int? oovChar, int indexFrom,
        IProgress<(long Done, long Total)>? progress, DatasetFile.Options? options)
    {
        var rng = NumpyRandom.FromSeed(seed, "Imdb.LoadData seed");
        string file = DatasetFile.Resolve("Imdb.LoadData", "imdb.npz", path, Url, Sha256, progress, options);
        var npz = NpzArchive.Read(file);
        var xTrain = Member(npz, file, "x_train").Int32Sequences;
        var yTrain = Member(npz, file, "y_train").ToInt32Array();
        var xTest = Member(npz, file, "x_test").Int32Sequences;
        var yTest = Member(npz, file, "y_test").ToInt32Array();
        if (xTrain.Length != yTrain.Length || xTest.Length != yTest.Length)
            throw new SequorException($"Imdb.LoadData: '{file}' has {xTrain.Length}/{xTest.Length} reviews but {yTrain.Length}/{yTest.Length} labels");
        return Prepare(xTrain, yTrain, xTest, yTest, rng, numWords, skipTop, maxlen, startChar, oovChar, indexFrom);
    }

    /// <summary>
    /// Keras's processing of the raw reviews, in one pass per review (a full IMDB is 12 million ids): shuffle
    /// each split with the seed, prepend start_char and add index_from, drop reviews of maxlen ids or more, then
    /// ids outside [skip_top, num_words) become oov_char (or are dropped without one). num_words defaults to the
    /// largest id, which (as in Keras) then becomes oov_char itself.
    /// </summary>
    internal static ((int[][] X, int[] Y) Train, (int[][] X, int[] Y) Test) Prepare(
        int[][] xTrain, int[] yTrain, int[][] xTest, int[] yTest, NumpyRandom rng,
        int? numWords, int skipTop, int? maxlen, int? startChar, int? oovChar, int indexFrom)
    {
        if (maxlen is <= 0) throw new SequorException($"Imdb.LoadData: maxlen {maxlen} should be positive");
        var trainOrder = rng.Permutation(xTrain.Length);
        var testOrder = rng.Permutation(xTest.Length);
        int offset = startChar is null ? 0 : 1;
        var train = Kept(xTrain, trainOrder, offset, maxlen, "train");
        var test = Kept(xTest, testOrder, offset, maxlen, "test");
        long limit = numWords is > 0 ? numWords.Value : Math.Max(MaxId(xTrain, train, startChar, indexFrom), MaxId(xTest, test, startChar, indexFrom));
        return ((Restrict(xTrain, train, startChar, indexFrom, skipTop, limit, oovChar), train.Select(i => yTrain[i]).ToArray()),
                (Restrict(xTest, test, startChar, indexFrom, skipTop, limit, oovChar), test.Select(i => yTest[i]).ToArray()));
    }

    // the reviews (in shuffled order) whose shifted length is under maxlen
    private static List<int> Kept(int[][] x, int[] order, int offset, int? maxlen, string split)
    {
        var kept = new List<int>(order.Length);
        foreach (int i in order)
            if (maxlen is not int m || x[i].Length + offset < m) kept.Add(i);
        if (kept.Count == 0 && maxlen is int limit)
            throw new SequorException($"Imdb.LoadData: no {split} review is shorter than maxlen={limit}; increase maxlen");
        return kept;
    }

    private static long MaxId(int[][] x, List<int> kept, int? startChar, int indexFrom)
    {
        long max = long.MinValue;
        foreach (int i in kept)
        {
            if (startChar is int sc) max = Math.Max(max, sc);
            foreach (int w in x[i]) max = Math.Max(max, (long)w + indexFrom);
        }
        return max;
    }

    private static int[][] Restrict(int[][] x, List<int> kept, int? startChar, int indexFrom, int skipTop, long numWords, int? oovChar)
    {
        var result = new int[kept.Count][];
        for (int r = 0; r < kept.Count; r++)
        {
            var review = x[kept[r]];
            int length = 0;
            if (startChar is int first && (Inside(first) || oovChar is not null)) length++;
            foreach (int w in review)
                if (Inside((long)w + indexFrom) || oovChar is not null) length++;
            var s = new int[length];
            int n = 0;
            if (startChar is int sc) Put(sc);
            foreach (int w in review) Put((long)w + indexFrom);
            result[r] = s;

            void Put(long id)
            {
                if (Inside(id)) s[n++] = checked((int)id);
                else if (oovChar is int oov) s[n++] = oov;
            }
        }
        return result;

        bool Inside(long id) => id >= skipTop && id < numWords;
    }

    private static NpyArray Member(IReadOnlyDictionary<string, NpyArray> npz, string file, string key) =>
        npz.TryGetValue(key, out var a) ? a
            : throw new SequorException($"Imdb.LoadData: '{file}' has no '{key}' array (found {string.Join(", ", npz.Keys)}; expected Keras's imdb.npz)");

    /// <summary>
    /// <c>keras.datasets.imdb.get_word_index</c>: word → frequency rank (1 = most frequent). The file is
    /// found like <see cref="LoadData(string?, int?, int, int?, long, int?, int?, int, IProgress{ValueTuple{long, long}}?)"/>
    /// finds <c>imdb.npz</c> (Keras's MD5 is checked on download).
    /// </summary>
    public static IReadOnlyDictionary<string, int> GetWordIndex(string? path = null) => GetWordIndex(path, null);

    internal static IReadOnlyDictionary<string, int> GetWordIndex(string? path, DatasetFile.Options? options)
    {
        string file = DatasetFile.Resolve("Imdb.GetWordIndex", "imdb_word_index.json", path, WordIndexUrl, WordIndexMd5, null, options);
        try
        {
            // read with JsonDocument, not JsonSerializer: reflection-based serialization is off in file-based apps
            // and trimmed or AOT-published programs, where Deserialize<Dictionary<…>> throws
            using var stream = File.OpenRead(file);
            using var document = JsonDocument.Parse(stream);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new SequorException($"Imdb.GetWordIndex: '{file}' holds a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}, expected an object of word → rank");
            var index = new Dictionary<string, int>();
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int rank))
                    throw new SequorException($"Imdb.GetWordIndex: '{file}': the rank of '{entry.Name}' is {entry.Value.GetRawText()}, expected a whole number");
                index[entry.Name] = rank;
            }
            return index;
        }
        catch (JsonException e)
        {
            throw new SequorException($"Imdb.GetWordIndex: '{file}' is not a JSON object of word → rank ({e.Message})", e);
        }
    }

    /// <summary>
    /// Turns a loaded review back into words: id <c>rank + indexFrom</c> is the word of that rank,
    /// <paramref name="startChar"/> reads <c>[START]</c> and <paramref name="oovChar"/> <c>[OOV]</c> (the labels of
    /// Keras's docstring), padding (0) is skipped and an id with no word (such as 3) reads <c>?</c>.
    /// </summary>
    public static string Decode(IEnumerable<int> sequence, IReadOnlyDictionary<string, int> wordIndex,
        int indexFrom = 3, int startChar = 1, int oovChar = 2)
    {
        var words = new Dictionary<int, string>(wordIndex.Count);
        foreach (var (word, rank) in wordIndex) words[rank + indexFrom] = word;
        var sb = new StringBuilder();
        foreach (int id in sequence)
        {
            if (id == 0) continue;
            string w = id == startChar ? "[START]" : id == oovChar ? "[OOV]" : words.GetValueOrDefault(id, "?");
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(w);
        }
        return sb.ToString();
    }
}
