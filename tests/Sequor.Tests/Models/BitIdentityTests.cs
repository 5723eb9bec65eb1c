using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Sequor.Layers;
using Sequor.Training;

namespace Sequor.Tests.Models;

/// <summary>
/// Pins the numbers the engine produces, bit for bit: for the six chapter models, a Bidirectional model, a masked
/// model with recurrent dropout and a model on the general (non-fused) cell paths, the predictions, one training
/// step's outputs and weight gradients, and a seeded Fit's history and final weights, on 1 and on 2 threads.
/// Each is compared as a SHA-256 of its float bits with Fixtures/BitIdentity/bits.json, recorded from the engine
/// before the layers were split into a generic recurrent loop, cells and kernels: a refactor that changes a
/// single bit anywhere fails here, and the message names the model and quantity.
/// </summary>
/// <remarks>
/// Re-record (only for an intended change of results, saying why in the commit): SEQUOR_RECORD_BITS=1 dotnet test
/// --filter BitIdentityTests. The fused kernels use FMA and the 256/512-bit vector math of this x64 host; the bits
/// are those of such a host (AVX2 + FMA), and the test says so instead of failing elsewhere.
/// </remarks>
[Collection(nameof(KernelChoiceCollection))]
public class BitIdentityTests
{
    private const int Steps = 20;

    public static TheoryData<KernelChoice, string> Models() => KernelChoices.Crossed(ModelNames);

    private static readonly string[] ModelNames =
        ["simplernn-onehot", "embedding-simplernn", "lstm", "lstm-dropout", "lstm-2layer", "gru", "bidirectional", "masked", "general-cells"];

    private static (Layer[] Layers, int[] InputShape, int Vocabulary, bool Sparse) Make(string name) => name switch
    {
        "simplernn-onehot" => ([new SimpleRNN(8), Head()], [Steps, 300], 300, false),
        "embedding-simplernn" => ([new Embedding(300, 16), new SimpleRNN(8), Head()], [Steps], 300, false),
        "lstm" => ([new Embedding(500, 16), new LSTM(8), Head()], [Steps], 500, false),
        "lstm-dropout" => ([new Embedding(500, 16), new LSTM(8, dropout: 0.3f), Head()], [Steps], 500, false),
        "lstm-2layer" => ([new Embedding(500, 16), new LSTM(8, dropout: 0.3f, returnSequences: true), new LSTM(8, dropout: 0.3f), Head()], [Steps], 500, false),
        "gru" => ([new Embedding(500, 16), new GRU(8), Head()], [Steps], 500, false),
        "bidirectional" => ([new Embedding(500, 16), new Bidirectional(new LSTM(8, returnSequences: true)),
            new Bidirectional(new GRU(16), MergeMode.Sum), Head()], [Steps], 500, false),
        "masked" => ([new Embedding(500, 16, maskZero: true), new LSTM(8, dropout: 0.2f, recurrentDropout: 0.2f, returnSequences: true),
            new GRU(8, recurrentDropout: 0.1f, goBackwards: true), new Dropout(0.25f), Head()], [Steps], 500, false),
        "general-cells" => ([new Embedding(60, 12), new SimpleRNN(5, returnSequences: true), new LSTM(7, activation: Activation.Relu, returnSequences: true),
            new GRU(6, resetAfter: false, dropout: 0.1f), new Dense(3, Activation.Softmax)], [Steps], 60, true),
        _ => throw new ArgumentException(name),
    };

    private static Dense Head() => new(1, Activation.Sigmoid);

    /// <summary>Every pinned quantity of <paramref name="name"/> on <paramref name="threads"/> threads, as name → hash.</summary>
    internal static SortedDictionary<string, string> Measure(string name, int threads)
    {
        var (layers, inputShape, vocabulary, sparse) = Make(name);
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var model = new Sequential(layers, seed: 17) { Threads = threads };
        model.Build(inputShape);
        if (sparse) model.Compile(new Adam(0.01f), Loss.SparseCategoricalCrossentropy, Metric.Accuracy);
        else model.Compile(new RMSprop(0.01f), Loss.BinaryCrossentropy, Metric.Accuracy);

        var x = Ids(96, vocabulary, seed: 1, padded: name == "masked");
        var y = Labels(96, sparse ? 3 : 2, seed: 2);
        var validationX = Ids(40, vocabulary, seed: 3, padded: name == "masked");
        var validationY = Labels(40, sparse ? 3 : 2, seed: 4);
        if (name == "simplernn-onehot")
        {
            result["predict-onehot"] = Hash(model.Predict(OneHot(validationX, 300), batchSize: 40).Span);
            x = OneHot(x, 300);  // Fit takes one-hot rows as columns; ids are pinned by predict and step
        }

        result["predict"] = Hash(model.Predict(validationX, batchSize: 40).Span);
        result["predict-batch-13"] = Hash(model.Predict(validationX, batchSize: 13).Span);

        // one training step (Fit's shards with a given ∂loss/∂output): its output and every weight gradient
        var batch = new Tensor(0);
        var indices = Enumerable.Range(0, 70).ToArray();
        model.GatherInput(x, indices, batch);
        var dy = new Tensor([70, .. model.OutputShape]);
        for (int i = 0; i < dy.Length; i++) dy.Span[i] = (i % 7) / 7f - 0.4f;
        result["step-output"] = Hash(model.TrainingPass(batch, dy).Span);
        foreach (var (path, w) in Named(model)) result[$"step-gradient {path}"] = Hash(w.Gradient.Span);

        var history = model.Fit(x, y, epochs: 2, batchSize: 32, verbose: 0, validationData: (validationX, validationY));
        foreach (var key in history.Keys) result[$"fit-history {key}"] = Hash(history[key].ToArray());
        foreach (var (path, w) in Named(model)) result[$"fit-weight {path}"] = Hash(w.Value.Span);
        result["fit-predict"] = Hash(model.Predict(validationX, batchSize: 40).Span);
        return result;
    }

    private static IEnumerable<(string Path, Weight Weight)> Named(Sequential model) =>
        model.Layers.SelectMany(l => l.Weights.Select((w, i) => ($"{l.Name}/{i}:{w.Name}", w)));

    /// <summary>
    /// The 256- and 512-bit kernels must give the very bits recorded before the redesign (they differ only in register
    /// width); the reference kernels have bits of their own (another GEMM order, scalar sigmoid and tanh), pinned
    /// under "reference/…" so that they do not drift either.
    /// </summary>
    [SkippableTheory, MemberData(nameof(Models))]
    public void OutputsGradientsAndFitHistoriesKeepTheirBitsOnOneAndTwoThreads(KernelChoice kernels, string name)
    {
        Skip.IfNot(System.Runtime.Intrinsics.X86.Fma.IsSupported && System.Runtime.Intrinsics.X86.Avx2.IsSupported,
            "the pinned bits are those of an x64 host with AVX2 and FMA; this host computes other (equally valid) roundings");
        using var _ = KernelChoices.Use(kernels);
        var one = Measure(name, threads: 1);
        var two = Measure(name, threads: 2);
        Assert.Equal(one, two);

        var path = FixturePath();
        string key = kernels == KernelChoice.Reference ? "reference/" + name : name;
        if (Environment.GetEnvironmentVariable("SEQUOR_RECORD_BITS") == "1" && (kernels != KernelChoice.Vector256 || !Kernels.IsAvailable(KernelChoice.Vector512)))
            Record(path, key, one);
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        Assert.True(document.RootElement.TryGetProperty(key, out var expected), $"{path} has no entry for '{key}'");
        var pinned = expected.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.Equal(pinned.Keys.Order(StringComparer.Ordinal), one.Keys);
        var changed = one.Where(p => pinned[p.Key] != p.Value).Select(p => p.Key).ToArray();
        Assert.True(changed.Length == 0, $"{key} ({Kernels.Name(kernels)} kernels): these quantities changed bits: {string.Join(", ", changed)}");
    }

    private static readonly Lock RecordLock = new();

    private static void Record(string path, string name, SortedDictionary<string, string> hashes)
    {
        lock (RecordLock)
        {
            var all = File.Exists(path)
                ? JsonSerializer.Deserialize<SortedDictionary<string, SortedDictionary<string, string>>>(File.ReadAllText(path))!
                : new SortedDictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal);
            all[name] = hashes;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, JsonSerializer.Serialize(all, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
    }

    // the committed file in the source tree (recording writes there), not the copy next to the test assembly
    private static string FixturePath([CallerFilePath] string source = "") =>
        Path.Combine(Path.GetDirectoryName(source)!, "..", "Fixtures", "BitIdentity", "bits.json");

    private static string Hash<T>(ReadOnlySpan<T> values) where T : struct =>
        Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(values)))[..32];

    private static string Hash<T>(Span<T> values) where T : struct => Hash((ReadOnlySpan<T>)values);

    private static Tensor Ids(int n, int vocabulary, int seed, bool padded)
    {
        var random = new Random(seed);
        var x = new Tensor(n, Steps);
        for (int i = 0; i < n; i++)
        {
            int padding = padded ? random.Next(Steps) : 0;  // pad_sequences pads at the front
            for (int t = 0; t < Steps; t++) x.Span[i * Steps + t] = t < padding ? 0 : random.Next(1, vocabulary);
        }
        return x;
    }

    private static Tensor OneHot(Tensor ids, int depth)
    {
        var x = new Tensor(ids.Dim(0), Steps, depth);
        for (int i = 0; i < ids.Length; i++) x.Span[i * depth + (int)ids.Span[i]] = 1;
        return x;
    }

    private static Tensor Labels(int n, int classes, int seed)
    {
        var random = new Random(seed);
        var y = new Tensor(n, 1);
        for (int i = 0; i < n; i++) y.Span[i] = random.Next(classes);
        return y;
    }
}
