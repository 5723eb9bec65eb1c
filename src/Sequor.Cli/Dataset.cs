using Sequor.Data;

namespace Sequor.Cli;

/// <summary>Sequences of token ids with integer labels.</summary>
internal sealed record LabeledSequences(int[][] X, int[] Y)
{
    public int Count => X.Length;

    public LabeledSequences Take(int[] rows) => new(rows.Select(i => X[i]).ToArray(), rows.Select(i => Y[i]).ToArray());
}

/// <summary>
/// What <c>--data</c> names, loaded: the training part, the test part (when the source has one), the class
/// names, and the vectorizer that turned raw text into ids (text sources only).
/// </summary>
internal sealed record Dataset(string Description, LabeledSequences Train, LabeledSequences? Test, string[] ClassNames, TextVectorizer? Vectorizer)
{
    /// <summary>
    /// The class names are a model's own (training goes on from a model file): its outputs already stand for every
    /// class, so data with only some of them still teaches the right units.
    /// </summary>
    public bool ClassesOfAModel { get; init; }

    /// <summary>
    /// Loads <paramref name="source"/>: <c>imdb</c> (Keras's dataset: cache, ~/.keras, or download), an
    /// <c>imdb.npz</c>-style file (x_train, y_train, x_test, y_test — processed as Keras processes imdb.npz — or
    /// Keras-processed arr_0…arr_3), an aclImdb folder, or a CSV/TSV file of text and label columns. Ids at or
    /// above <paramref name="numWords"/> become the out-of-vocabulary id 2, as <c>load_data(num_words=…)</c>.
    /// </summary>
    public static Dataset Load(string source, int numWords, CliOptions options, TextColumns? columns = null)
    {
        var dataset = LoadCore(source, numWords, options, columns ?? TextColumns.Default);
        // Reading a full IMDB leaves ~100 MB of garbage (the archive's bytes, the raw ids) that the GC would keep
        // committed for the rest of a run; handing it back once keeps `reproduce` under 300 MB.
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return dataset;
    }

    private static Dataset LoadCore(string source, int numWords, CliOptions options, TextColumns columns)
    {
        if (numWords < 3) throw new SequorException($"--num-words must be at least 3 (ids 0–2 are padding, start and out-of-vocabulary), got {numWords}");
        if (source == "imdb") return FromImdb(null, numWords, options);
        if (Directory.Exists(source)) return FromText(TextDataset.FromAclImdb(source, "train"),
            Directory.Exists(Path.Combine(source, "test")) ? TextDataset.FromAclImdb(source, "test") : null, $"aclImdb folder '{source}'", numWords, options);
        if (!File.Exists(source))
            throw new SequorException($"--data '{source}': no such file or folder (give imdb, an imdb.npz-style file, an aclImdb folder or a CSV/TSV file)");
        Loading(source, options);
        string extension = Path.GetExtension(source).ToLowerInvariant();
        return extension switch
        {
            ".npz" => FromNpz(source, numWords, options),
            ".csv" or ".tsv" or ".txt" => FromText(TextDataset.FromCsv(source, columns.Text, columns.Label), null, $"'{source}'", numWords, options),
            _ => throw new SequorException($"--data '{source}': unknown kind of file (expected .npz, .csv or .tsv, or a folder)"),
        };
    }

    private static Dataset FromImdb(string? path, int numWords, CliOptions options)
    {
        string file;
        var download = new DownloadProgress("imdb.npz", options.Error, options.Terminal);
        try
        {
            file = DatasetFile.Resolve("Imdb.LoadData", "imdb.npz", path, Imdb.Url, Imdb.Sha256, download, new DatasetFile.Options(Handler: options.DownloadHandler));
        }
        catch (SequorException e) when (path is null)
        {
            download.End();
            // no imdb.npz and no network: the sample that ships with Sequor, said on the console and in reports
            var where = new DatasetFile.Options();
            options.Status($"imdb.npz is not in {DatasetFile.SequorDatasets(where)} or {DatasetFile.KerasDatasets(where)} and the download failed " +
                $"({SequorException.OneLine((e.InnerException ?? e).Message)}); using the bundled IMDB sample instead (pass --data /path/to/imdb.npz for the full data)");
            return FromBundledSample(numWords, options);
        }
        download.End();  // a download whose server gave no length leaves its line open
        if (path is null) Loading(file, options);  // a named file was announced by LoadCore
        var loaded = Imdb.LoadData(file, numWords: numWords);
        var ((xTrain, yTrain), (xTest, yTest)) = loaded;
        BinaryLabels(yTrain, $"'{path ?? "imdb.npz"}' y_train");
        BinaryLabels(yTest, $"'{path ?? "imdb.npz"}' y_test");
        return new Dataset(path is null ? $"IMDB (num_words={numWords})" : $"'{path}' (num_words={numWords})",
            new LabeledSequences(xTrain, yTrain), new LabeledSequences(xTest, yTest), ["negative", "positive"], null);
    }

    /// <summary>The real sample of Keras's imdb.npz embedded in the CLI (ImdbSample/PROVENANCE.md): its ids stop at 499.</summary>
    private static Dataset FromBundledSample(int numWords, CliOptions options)
    {
        string file = Path.Combine(Path.GetTempPath(), $"sequor-imdb-sample-{Guid.NewGuid():N}.npz");
        try
        {
            using (var resource = typeof(Dataset).Assembly.GetManifestResourceStream("Sequor.Cli.imdb_sample.npz")!)
            using (var output = File.Create(file))
                resource.CopyTo(output);
            return FromNpz(file, numWords, options) with
            {
                Description = $"the bundled IMDB sample (a 5,000-review sample; the chapter used 25,000; num_words={Math.Min(numWords, 500)})",
            };
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Says that a file is being read before the seconds a large one takes (a full IMDB: 25,000 + 25,000 reviews).</summary>
    private static void Loading(string path, CliOptions options) =>
        options.Status($"loading '{path}' ({new FileInfo(path).Length / 1e6:F1} MB)…");

    private static Dataset FromNpz(string path, int numWords, CliOptions options)
    {
        // an imdb.npz-style file is read by Imdb.LoadData (once: a full IMDB's reviews are 12 million ids)
        if (NpzArchive.Keys(path).Contains("x_train")) return FromImdb(path, numWords, options);
        var arrays = NpzArchive.Read(path);
        if (!arrays.ContainsKey("arr_0") || !arrays.ContainsKey("arr_1"))
            throw new SequorException($"'{path}': expected keys x_train, y_train, x_test, y_test (or arr_0…arr_3), found {string.Join(", ", arrays.Keys)}");
        LabeledSequences Part(string x, string y)
        {
            var sequences = arrays[x].ToSequences();
            var labels = BinaryLabels(arrays[y].ToInt32Array(), $"'{path}' {y}");
            if (sequences.Length != labels.Length)
                throw new SequorException($"'{path}': {x} has {sequences.Length} sequences but {y} has {labels.Length} labels");
            return new LabeledSequences(Clip(sequences, numWords), labels);
        }
        var test = arrays.ContainsKey("arr_2") && arrays.ContainsKey("arr_3") ? Part("arr_2", "arr_3") : null;
        return new Dataset($"'{path}' (num_words={numWords})", Part("arr_0", "arr_1"), test, ["negative", "positive"], null);
    }

    private static Dataset FromText(TextDataset train, TextDataset? test, string description, int numWords, CliOptions options)
    {
        options.Status($"building a vocabulary of {numWords} tokens from {train.Count} texts");
        var vectorizer = new TextVectorizer(maxTokens: numWords);
        vectorizer.Adapt(train.Texts);
        LabeledSequences Encode(TextDataset d, string[] names)
        {
            // the test part's labels are mapped onto the training part's class names
            var labels = d.Labels.Select(l => Array.IndexOf(names, d.ClassNames[l])).ToArray();
            int unknown = Array.IndexOf(labels, -1);
            if (unknown >= 0) throw new SequorException($"{description}: test label '{d.ClassNames[d.Labels[unknown]]}' does not occur in the training part");
            // each text on its own, at its real length: pad_sequences(maxlen) pads and cuts at the front later
            return new LabeledSequences(vectorizer.TransformEach(d.Texts), labels);
        }
        return new Dataset(description, Encode(train, train.ClassNames), test is null ? null : Encode(test, train.ClassNames), train.ClassNames, vectorizer);
    }

    /// <summary>Labels of an imdb.npz-style file: 0 (negative) or 1 (positive), as Keras's IMDB has them.</summary>
    private static int[] BinaryLabels(int[] labels, string what)
    {
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] is not (0 or 1))
                throw new SequorException($"{what}: label {labels[i]} at row {i}; expected 0 (negative) or 1 (positive)");
        return labels;
    }

    /// <summary>
    /// Refuses a training part a classifier cannot learn from: fewer than two examples, a single class, or a class
    /// with no example (numeric labels 1/2 leave class 0 empty; 0/5 leave 1–4), which would be an output unit that
    /// nothing teaches.
    /// </summary>
    private void CheckTrainable()
    {
        if (Train.Count < 2) throw new SequorException($"{Description}: has {Train.Count} labelled example{(Train.Count == 1 ? "" : "s")}; training needs at least two");
        if (ClassesOfAModel) return;
        var present = new bool[ClassNames.Length];
        foreach (int l in Train.Y) present[l] = true;
        int seen = present.Count(p => p);
        if (seen < 2)
            throw new SequorException($"{Description}: every label is '{ClassNames[Array.IndexOf(present, true)]}'; a classifier needs examples of at least two classes");
        int missing = Array.IndexOf(present, false);
        if (missing >= 0)
            throw new SequorException($"{Description}: class '{ClassNames[missing]}' has no example while labels go up to '{ClassNames[^1]}': numeric labels are class ids and must be exactly 0..k-1");
    }

    /// <summary>Whether <paramref name="source"/> names raw text (an aclImdb folder or a CSV/TSV file) rather than token ids.</summary>
    public static bool IsText(string source) =>
        Directory.Exists(source) || Path.GetExtension(source).ToLowerInvariant() is ".csv" or ".tsv" or ".txt";

    /// <summary>Ids at or above the vocabulary become the out-of-vocabulary id 2 (Keras's num_words).</summary>
    internal static int[][] Clip(int[][] sequences, int numWords) =>
        sequences.Select(s => s.Select(id => id >= numWords ? 2 : id).ToArray()).ToArray();

    /// <summary>The notebook's validation split: train_test_split(test_size=0.2, random_state=42).</summary>
    public (LabeledSequences Train, LabeledSequences Validation) SplitValidation(double fraction, long seed = 42)
    {
        CheckTrainable();
        var (train, validation) = Split.TrainTestSplit(Train.Count, testSize: fraction, randomState: seed);
        return (Train.Take(train), Train.Take(validation));
    }

    public static Tensor Labels(int[] y) => new(y.Select(v => (float)v).ToArray(), y.Length);
}
