using Sequor;
using Sequor.Layers;

/// <summary>
/// The benchmark's models, their data (bench/peers/make_data.py's files) and the helpers every mode of the
/// program shares. The peers (bench/peers/torch_peer.py, torchsharp/Program.cs, keras_peer.py) define the same
/// models under the same names.
/// </summary>
static class BenchModels
{
    public const int Train = 20000, All = 25000, Batch = 64, InferenceBatch = 512;

    /// <summary>The large models run a timed block of steps extrapolated to an epoch and infer <see cref="BigInferenceRows"/> sequences (as their peers do): one of their steps costs ~100 chapter steps.</summary>
    public const int BigInferenceRows = 5 * InferenceBatch;

    public static readonly string[] Chapter = ["simplernn-onehot", "embedding-simplernn", "lstm", "lstm-dropout", "lstm-2layer", "gru"];

    /// <summary>The sizes people train after the chapter (issue 17), on sequences of 200.</summary>
    public static readonly string[] Big = ["lstm128", "gru128", "bilstm64", "lstm2x64"];

    public static string[] AllModels => [.. Chapter, .. Big];

    /// <summary>Sequences in a model's inference pass: <paramref name="rows"/> when given (--infer-n, for short checks), else all 25,000 (the large models: <see cref="BigInferenceRows"/>).</summary>
    public static int InferenceRows(string name, int rows) => rows > 0 ? rows : IsBig(name) ? BigInferenceRows : All;

    public static bool IsBig(string name) => Big.Contains(name);

    /// <summary>Vocabulary and sequence length of a model's data.</summary>
    public static (int Vocabulary, int Steps) Shape(string name) => name switch
    {
        "simplernn-onehot" or "embedding-simplernn" => (300, 100),
        "lstm" or "lstm-dropout" or "lstm-2layer" or "gru" => (500, 100),
        "lstm128" or "gru128" or "lstm2x64" => (10000, 200),
        // Keras's IMDB bidirectional example keeps the 20,000 most frequent words
        "bilstm64" => (20000, 200),
        _ => throw new ArgumentException($"unknown model {name}: expected one of {string.Join(", ", AllModels)}"),
    };

    /// <summary>The chapter's one-hot SimpleRNN reads to_categorical vectors; every other model reads token ids.</summary>
    public static bool IsOneHot(string name) => name == "simplernn-onehot";

    /// <summary>The layers before the model's head, Dense(1, sigmoid).</summary>
    public static Layer[] ModelLayers(string name) => name switch
    {
        "simplernn-onehot" => [new SimpleRNN(8)],
        "embedding-simplernn" => [new Embedding(300, 16), new SimpleRNN(8)],
        "lstm" => [new Embedding(500, 16), new LSTM(8)],
        "lstm-dropout" => [new Embedding(500, 16), new LSTM(8, dropout: 0.3f)],
        "lstm-2layer" => [new Embedding(500, 16), new LSTM(8, dropout: 0.3f, returnSequences: true), new LSTM(8, dropout: 0.3f)],
        "gru" => [new Embedding(500, 16), new GRU(8)],
        "lstm128" => [new Embedding(10000, 128), new LSTM(128)],
        "gru128" => [new Embedding(10000, 128), new GRU(128)],
        "bilstm64" => [new Embedding(20000, 128), new Bidirectional(new LSTM(64, returnSequences: true)), new Bidirectional(new LSTM(64))],
        "lstm2x64" => [new Embedding(10000, 128), new LSTM(64, dropout: 0.3f, returnSequences: true), new LSTM(64, dropout: 0.3f)],
        _ => throw new ArgumentException($"unknown model {name}: expected one of {string.Join(", ", AllModels)}"),
    };

    /// <summary>The model as the benchmark builds it everywhere: the same layers, seed 1, Dense(1, sigmoid) on top.</summary>
    public static Sequential NewModel(string name, int threads) =>
        new([.. ModelLayers(name), new Dense(1, Activation.Sigmoid)], seed: 1) { Threads = threads };

    /// <summary>make_data.py's file for a model.</summary>
    public static string DataFile(string dataDir, string name)
    {
        var (vocabulary, steps) = Shape(name);
        return Path.Combine(dataDir, steps == 100 ? $"synth_v{vocabulary}.bin" : $"synth_v{vocabulary}_t{steps}.bin");
    }

    // make_data.py's format: int32 n, seq_len, vocab; n·seq_len int32 tokens; n int32 labels (little endian).
    public static (int[] Tokens, int[] Labels) Load(string path, int steps)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is missing: run /usr/bin/python3 bench/peers/make_data.py first");
        using var reader = new BinaryReader(File.OpenRead(path));
        int n = reader.ReadInt32(), t = reader.ReadInt32();
        reader.ReadInt32();
        if (t != steps) throw new InvalidDataException($"{path}: sequences of {t}, expected {steps}");
        var tokens = new int[n * t];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = reader.ReadInt32();
        var labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = reader.ReadInt32();
        return (tokens, labels);
    }

    // Token ids [rows, steps], or one-hot floats [rows, steps, vocab] as the notebook's to_categorical gives.
    public static Tensor Inputs(int[] tokens, int start, int rows, int steps, int oneHotWidth)
    {
        if (oneHotWidth == 0)
        {
            var ids = new Tensor(rows, steps);
            for (int i = 0; i < rows * steps; i++) ids.Span[i] = tokens[start * steps + i];
            return ids;
        }
        var x = new Tensor(rows, steps, oneHotWidth);
        for (int i = 0; i < rows * steps; i++) x.Span[i * oneHotWidth + tokens[start * steps + i]] = 1;
        return x;
    }

    public static Tensor Rows(Tensor t, int start, int count)
    {
        int row = t.Length / t.Dim(0);
        var shape = t.Shape.ToArray();
        shape[0] = count;
        return new Tensor(t.Span.Slice(start * row, count * row).ToArray(), shape);
    }

    public static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The q-quantile (0..1) of samples, nearest rank.</summary>
    public static double Quantile(List<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
