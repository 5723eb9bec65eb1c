// Sequor's side of the benchmark: the chapter's models and the four larger ones of issue 17 (BenchModels.cs) on the
// peers' synthetic data (bench/peers/make_data.py), training epochs and inference, steady state after warm-up,
// median of N runs; and ONNX Runtime on the same models exported from Sequor, as an inference peer and for
// one-sequence serving latency (OnnxRuntimeBench.cs).
// Usage: dotnet Sequor.Bench.dll [--threads N] [--models a,b] [--repeats 3] [--big-steps 20] [--infer-n N] [--data DIR] [--out FILE]
//        dotnet Sequor.Bench.dll --onnx-runtime [--threads N] [--models a,b] [--repeats 3] [--infer-n N] [--data DIR] [--out FILE]
//          (--infer-n: sequences per inference pass instead of 25,000 / 2,560, for a quick check)
//        dotnet Sequor.Bench.dll --latency [--threads N] [--calls 2000] [--out FILE]
//        dotnet Sequor.Bench.dll --scaling [model] [--out FILE]   (one- against two-thread training epochs)
using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sequor;
using Sequor.Layers;
using Sequor.Training;
using static BenchModels;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
int threads = 1, repeats = 3, bigSteps = 20, latencyCalls = 2000, inferRows = 0;
string models = "all", outPath = "sequor.json", mode = "train";
string? scalingModel = null;
string dataDir = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "peers", "data");
for (int i = 0; i < args.Length; i++)
{
    string Value() => args[++i];
    switch (args[i])
    {
        case "--threads": threads = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--repeats": repeats = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--big-steps": bigSteps = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--infer-n": inferRows = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--calls": latencyCalls = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--onnx-runtime": mode = "onnx-runtime"; break;
        case "--latency": mode = "latency"; break;
        case "--models": models = Value(); break;
        case "--data": dataDir = Value(); break;
        case "--out": outPath = Value(); break;
        case "--scaling": scalingModel = i + 1 < args.Length && !args[i + 1].StartsWith("--") ? Value() : "lstm"; break;
        case "--profile": Profile(); return 0;
        case "--profile-big": ProfileBig(); return 0;
        case "--profile-predict": ProfilePredict(args.Length > i + 1 ? args[i + 1] : "lstm"); return 0;
        case "--profile-gemm": ProfileGemm(); return 0;
        case "--profile-train": ProfileTrain(args.Length > i + 1 ? args[i + 1] : "lstm", threads); return 0;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}

string[] names = models == "all" ? AllModels : models.Split(',');
foreach (var name in names)
{
    try { Shape(name); }
    catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }
}
if (bigSteps < 1 || repeats < 1 || latencyCalls < 1 || inferRows is < 0 or > All)
{
    Console.Error.WriteLine($"--big-steps, --repeats and --calls must be positive, --infer-n between 1 and {All} (0: the default)");
    return 2;
}

var machine = new JsonObject
{
    ["cpu"] = CpuModel(),
    ["logical_processors"] = Environment.ProcessorCount,
    ["threads_used"] = threads,
    // What the host offers and which kernels ran (Kernels.Choice, SEQUOR_KERNELS): vector512 is the 256-bit kernels
    // with 512-bit registers where they help (the cells' steps, the GEMM's wide blocks), vector256 those alone.
    ["simd"] = Vector512.IsHardwareAccelerated ? "AVX-512" : Vector256.IsHardwareAccelerated ? "AVX2" : "SSE/NEON",
    ["simd_bits"] = Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128,
    ["kernels"] = Kernels.Name(Kernels.Choice),
    ["fma"] = System.Runtime.Intrinsics.X86.Fma.IsSupported,
    ["runtime"] = Environment.Version.ToString(),
};
var writeOptions = new JsonSerializerOptions { WriteIndented = true };
if (mode != "train")
{
    try
    {
        var document = mode == "latency"
            ? OnnxRuntimeBench.Latency(threads, latencyCalls, machine)
            : OnnxRuntimeBench.Inference(names, threads, repeats, inferRows, dataDir, machine);
        File.WriteAllText(outPath, document.ToJsonString(writeOptions));
        return 0;
    }
    catch (Exception e) when (e is InvalidOperationException or IOException or SequorException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
    {
        Console.Error.WriteLine($"{mode}: {e.Message}");
        return 1;
    }
}
if (scalingModel is not null)
{
    var scaling = Scaling(scalingModel);
    scaling["machine"] = machine;
    File.WriteAllText(outPath, scaling.ToJsonString(writeOptions));
    return 0;
}
Console.WriteLine($"Sequor bench: {machine["cpu"]}, {threads} thread(s) of {Environment.ProcessorCount}, {machine["simd"]} host, {machine["kernels"]} kernels");
Console.WriteLine($"{"model",-22} {"train s/epoch",14} {"samples",-24} {"infer seq/s",12} {"B/step",8}");
var results = new JsonArray();
foreach (var name in names)
{
    var r = Run(name);
    results.Add(r);
    var allocated = r["train_alloc_bytes_per_step"]?.GetValue<double>();
    Console.WriteLine($"{name,-22} {(double)r["train_s_per_epoch"]!,14:F3} {r["train_s_per_epoch_samples"]!.ToJsonString(),-24} {(double)r["infer_seq_per_s"]!,12:F0} {(allocated is { } b ? b.ToString("F0") : "-"),8}");
}
File.WriteAllText(outPath, new JsonObject { ["peer"] = "sequor", ["machine"] = machine, ["repeats"] = repeats, ["results"] = results }
    .ToJsonString(writeOptions));
return 0;

JsonObject Run(string name)
{
    bool big = IsBig(name);
    var (vocab, steps) = Shape(name);
    var (tokens, labels) = Load(DataFile(dataDir, name), steps);
    using var model = NewModel(name, threads);
    model.Compile(new RMSprop(1e-4f), Loss.BinaryCrossentropy);
    bool oneHot = IsOneHot(name);
    var y = new Tensor(Train);
    for (int i = 0; i < Train; i++) y.Span[i] = labels[i];

    // Training: whole epochs (313 steps, the last of 32 rows) through Fit, as a user runs them; the large
    // models time a block of steps and extrapolate to an epoch, as the peers do.
    var trainSamples = new List<double>();
    double allocatedPerStep;
    {
        var x = Inputs(tokens, 0, Train, steps, oneHot ? vocab : 0);
        // Warm-up: three whole epochs (the large models: 5 steps), so every buffer is in place and the runtime's
        // tiered JIT has finished (its background compiles still slow the first one or two epochs after the first).
        for (int w = 0; w < (big ? 1 : 3); w++)
            model.Fit(big ? Rows(x, 0, 5 * Batch) : x, big ? Rows(y, 0, 5 * Batch) : y, epochs: 1, batchSize: Batch, verbose: 0);
        var (fx, fy) = big ? (Rows(x, 0, bigSteps * Batch), Rows(y, 0, bigSteps * Batch)) : (x, y);
        // the large models' block is short (10 steps read): read it exactly, which costs nothing beside one of their steps
        var probe = new AllocationProbe(precise: big);
        for (int r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            model.Fit(fx, fy, epochs: 1, batchSize: Batch, verbose: 0, callbacks: r == 0 ? [probe] : null);
            double seconds = clock.Elapsed.TotalSeconds;
            trainSamples.Add(big ? seconds / bigSteps * ((Train + Batch - 1) / Batch) : seconds);
        }
        allocatedPerStep = probe.BytesPerStep;
    }
    GC.Collect();

    // Inference: all 25,000 sequences in batches of 512 (the large models: the first 2,560, as their peers run).
    int inferN = InferenceRows(name, inferRows);
    var inferSamples = new List<double>();
    {
        var x = Inputs(tokens, 0, inferN, steps, oneHot ? vocab : 0);
        model.Predict(x, InferenceBatch);  // warm-up: one whole pass
        for (int r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            model.Predict(x, InferenceBatch);
            inferSamples.Add(clock.Elapsed.TotalSeconds);
        }
    }
    GC.Collect();
    double inferMedian = Median(inferSamples);
    return new JsonObject
    {
        ["model"] = name,
        ["threads"] = threads,
        ["params"] = model.CountParams(),
        ["train_s_per_epoch"] = Math.Round(Median(trainSamples), 4),
        ["train_s_per_epoch_samples"] = new JsonArray([.. trainSamples.Select(s => (JsonNode)Math.Round(s, 4))]),
        ["train_extrapolated_from_steps"] = big ? bigSteps : null,
        // null when the timed block is too short to read (fewer than 12 steps: --big-steps below 12)
        ["train_alloc_bytes_per_step"] = double.IsNaN(allocatedPerStep) ? null : Math.Round(allocatedPerStep, 1),
        ["infer_n"] = inferN,
        ["infer_s"] = Math.Round(inferMedian, 4),
        ["infer_seq_per_s"] = Math.Round(inferN / inferMedian, 1),
    };
}

// --profile: microseconds per call of each layer's Forward and Backward on one 32-row shard of the chapter's
// models (where an epoch's time goes; not part of the benchmark's results).
static void Profile()
{
    var random = new Random(1);
    foreach (int threads in new[] { 1, 2 })
    {
        // a whole training step of the chapter LSTM (forward, loss, backward, RMSprop; batch 64), fastest and median of 200
        using var model = new Sequential([new Embedding(500, 16), new LSTM(8), new Dense(1, Activation.Sigmoid)], seed: 1) { Threads = threads };
        model.Build([100]);
        var x = new Tensor(64, 100);
        for (int i = 0; i < x.Length; i++) x.Span[i] = random.Next(500);
        var y = new Tensor(64, 1);
        for (int i = 0; i < y.Length; i++) y.Span[i] = random.Next(2);
        model.Compile(new RMSprop(1e-4f), Loss.BinaryCrossentropy);
        var samples = new List<double>();
        for (int r = 0; r < 300; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            model.TrainOnBatch(x, y);
            if (r >= 100) samples.Add((Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency);
        }
        Console.WriteLine($"lstm model step (64 rows, {threads} thread(s)): min {samples.Min():F0} us, median {Median(samples):F0} us");
        // inference: Predict over 512 rows (16 shards), as the benchmark's batches
        var xi = new Tensor(512, 100);
        for (int i = 0; i < xi.Length; i++) xi.Span[i] = random.Next(500);
        samples.Clear();
        for (int r = 0; r < 200; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            model.Predict(xi, 512);
            if (r >= 50) samples.Add((Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency);
        }
        Console.WriteLine($"lstm model predict (512 rows, {threads} thread(s)): min {samples.Min():F0} us, median {Median(samples):F0} us");
    }
    {
        var xs = new float[4096];
        var ys = new float[4096];
        for (int i = 0; i < xs.Length; i++) xs[i] = (float)(random.NextDouble() * 8 - 4);
        foreach (var (name, f) in new (string, Action)[] { ("sigmoid", () => VectorMath.Sigmoid(xs, ys)), ("tanh", () => VectorMath.Tanh(xs, ys)),
            ("TensorPrimitives.Sigmoid", () => System.Numerics.Tensors.TensorPrimitives.Sigmoid(xs, ys)), ("TensorPrimitives.Tanh", () => System.Numerics.Tensors.TensorPrimitives.Tanh(xs, ys)) })
        {
            long best = long.MaxValue;
            for (int r = 0; r < 2000; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                f();
                best = Math.Min(best, Stopwatch.GetTimestamp() - t0);
            }
            Console.WriteLine($"{name,-26} {best * 1e9 / Stopwatch.Frequency / (xs.Length / 8):F2} ns per 8 values");
        }
    }
    foreach (var (label, rnn) in new (string, Layer)[] { ("lstm", new LSTM(8)), ("gru", new GRU(8)), ("simplernn", new SimpleRNN(8)) })
    {
        var emb = new Embedding(500, 16);
        var dense = new Dense(1, Activation.Sigmoid);
        emb.Build([100], new RandomGenerator(1));
        rnn.Build([100, 16], new RandomGenerator(2));
        dense.Build([8], new RandomGenerator(3));
        var x = new Tensor(32, 100);
        for (int i = 0; i < x.Length; i++) x.Span[i] = random.Next(500);
        var dy = new Tensor(32, 1);
        dy.Span.Fill(0.01f);
        // Each part runs alone in a loop and is timed in process CPU time: the machine is shared, and wall
        // time under other tenants' load says little about one part.
        for (int rep = 0; rep < 200; rep++)
        {
            dense.Forward(rnn.Forward(emb.Forward(x, null, true), null, true), null, true);
            emb.Backward(rnn.Backward(dense.Backward(dy)!)!);
        }
        var e = emb.Forward(x, null, true);
        var hs = rnn.Forward(e, null, true);
        dense.Forward(hs, null, true);
        var dh = dense.Backward(dy)!;
        var de = rnn.Backward(dh)!;
        const int reps = 300;
        // the fastest of many calls: on a shared machine the minimum is the least disturbed
        static double Cpu(Action a)
        {
            long best = long.MaxValue;
            for (int r = 0; r < reps; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                a();
                best = Math.Min(best, Stopwatch.GetTimestamp() - t0);
            }
            return best * 1e6 / Stopwatch.Frequency;
        }
        double embF = Cpu(() => emb.Forward(x, null, true));
        double rnnF = Cpu(() => rnn.Forward(e, null, true));
        double rnnB = Cpu(() => rnn.Backward(dh));
        double embB = Cpu(() => emb.Backward(de));
        Console.WriteLine($"{label,-10} min us per 32-row shard: emb fwd {embF,7:F1}  rnn fwd {rnnF,7:F1}  rnn bwd {rnnB,7:F1}  emb bwd {embB,7:F1}");
    }
}
// --profile-predict [model]: a chapter model's Predict on 512 rows (token-id models), 1 thread, in a loop (for perf record).
static void ProfilePredict(string name)
{
    var random = new Random(1);
    using var model = NewModel(name, 1);
    model.Build([100]);
    var x = new Tensor(512, 100);
    for (int i = 0; i < x.Length; i++) x.Span[i] = random.Next(500);
    var samples = new List<double>();
    for (int r = 0; r < 1500; r++)
    {
        long t0 = Stopwatch.GetTimestamp();
        model.Predict(x, 512);
        if (r >= 100) samples.Add((Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency);
    }
    Console.WriteLine($"{name} model predict (512 rows, 1 thread): min {samples.Min():F0} us, median {Median(samples):F0} us");
}

// --profile-train [model]: a chapter model's training epochs (token-id models only) (Fit, batch 64, 20,000 random sequences)
// on --threads (given before it; default 1) (for perf record).
static void ProfileTrain(string name, int threads)
{
    var random = new Random(1);
    using var model = NewModel(name, threads);
    model.Compile(new RMSprop(1e-4f), Loss.BinaryCrossentropy);
    bool big = BenchModels.IsBig(name);
    var x = new Tensor(big ? 1280 : 20000, big ? 200 : 100);
    var y = new Tensor(x.Dim(0));
    int vocabulary = name.Contains("simplernn") ? 300 : big ? 10000 : 500;  // (bilstm64's 20,000 not needed to time it)
    for (int i = 0; i < x.Length; i++) x.Span[i] = random.Next(vocabulary);
    for (int i = 0; i < y.Length; i++) y.Span[i] = random.Next(2);
    var samples = new List<double>();
    for (int r = 0; r < 16; r++)
    {
        long t0 = Stopwatch.GetTimestamp();
        model.Fit(x, y, epochs: 1, batchSize: 64, verbose: 0);
        if (r > 0) samples.Add((Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency);
    }
    Console.WriteLine($"{name} epoch ({threads} thread(s)): min {samples.Min():F3} s, median {Median(samples):F3} s");
}

// --profile-gemm: GEMM rates of the chapter models' per-shard products (32 rows × 100 steps)
static void ProfileGemm()
{
    foreach (var (m, n, k, ta, tb) in new[] { (3200, 32, 16, false, false), (16, 32, 3200, true, false), (3200, 16, 32, false, true),
        (3200, 32, 8, false, false), (8, 32, 3200, true, false), (3200, 8, 32, false, true), (500, 32, 16, false, false), (16, 32, 500, true, false), (500, 16, 32, false, true) })
    {
        var a = new float[m * k];
        var b = new float[k * n];
        var c = new float[m * n];
        var random = new Random(1);
        for (int i = 0; i < a.Length; i++) a[i] = (float)random.NextDouble();
        for (int i = 0; i < b.Length; i++) b[i] = (float)random.NextDouble();
        double best = double.MaxValue;
        for (int r = 0; r < 2000; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Gemm.Multiply(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, c, n, false);
            best = Math.Min(best, (Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency);
        }
        Console.WriteLine($"  gemm {(ta ? "Aᵀ" : "A")}·{(tb ? "Bᵀ" : "B")} m={m} n={n} k={k}: {best,7:F1} us, {2.0 * m * n * k / best / 1e3:F1} GFLOP/s");
    }
}

// --profile-big: the LSTM(128) layer alone on one 32-row shard of 200 steps, GEMM rates of its shapes.
static void ProfileBig()
{
    var random = new Random(1);
    var rnn = new LSTM(128);
    rnn.Build([200, 128], new RandomGenerator(2));
    var x = new Tensor(32, 200, 128);
    for (int i = 0; i < x.Length; i++) x.Span[i] = (float)random.NextDouble() - 0.5f;
    var dy = new Tensor(32, 128);
    dy.Span.Fill(0.01f);
    double Best(Action a)
    {
        double best = double.MaxValue;
        for (int r = 0; r < 5; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            a();
            best = Math.Min(best, (Stopwatch.GetTimestamp() - t0) * 1e3 / Stopwatch.Frequency);
        }
        return best;
    }
    double f = Best(() => rnn.Forward(x, null, true));
    double b = Best(() => rnn.Backward(dy));
    Console.WriteLine($"LSTM(128) shard [32, 200, 128]: forward {f:F1} ms, backward {b:F1} ms (forward 0.84 GFLOP, backward 1.68)");
    foreach (var (m, n, k, ta, tb) in new[] { (128, 512, 256, true, false), (128, 512, 256, false, false), (6400, 512, 128, false, false), (32, 512, 128, false, false), (32, 128, 512, false, false), (128, 512, 6400, true, false), (6400, 128, 512, false, true) })
    {
        var a = new float[m * k];
        var bb = new float[k * n];
        var c = new float[m * n];
        double ms = double.MaxValue;
        for (int r = 0; r < (m * n * k > 10_000_000 ? 20 : 1000); r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Gemm.Multiply(ta, tb, m, n, k, a, ta ? m : k, bb, tb ? k : n, c, n, false);
            ms = Math.Min(ms, (Stopwatch.GetTimestamp() - t0) * 1e3 / Stopwatch.Frequency);
        }
        Console.WriteLine($"  gemm {(ta ? "Aᵀ" : "A")}·{(tb ? "Bᵀ" : "B")} m={m} n={n} k={k}: {2.0 * m * n * k / ms / 1e6:F1} GFLOP/s");
    }
}

// --scaling: the 2-core target of docs/performance.md (both cores ≥ 1.6× one core) on a chapter model. A one-thread and a two-thread copy
// of the model train whole epochs on the benchmark's data in alternation (three warm-up epochs each, then 15
// rounds), so the machine's drifting load falls on both alike; the ratio of each round's adjacent pair is kept.
JsonObject Scaling(string name)
{
    // the large models: 20-step blocks of their data (an epoch is ~100× a chapter epoch), fewer rounds
    bool big = IsBig(name);
    int rounds = big ? 7 : 15, rows = big ? 20 * Batch : Train;
    var (vocab, steps) = Shape(name);
    var (tokens, labels) = Load(DataFile(dataDir, name), steps);
    var x = Inputs(tokens, 0, rows, steps, IsOneHot(name) ? vocab : 0);
    var y = new Tensor(rows);
    for (int i = 0; i < rows; i++) y.Span[i] = labels[i];
    using var one = NewModel(name, 1);
    using var two = NewModel(name, 2);
    foreach (var model in new[] { one, two })
    {
        model.Compile(new RMSprop(1e-4f), Loss.BinaryCrossentropy);
        for (int w = 0; w < 3; w++) model.Fit(x, y, epochs: 1, batchSize: Batch, verbose: 0);
    }
    double Epoch(Sequential model)
    {
        var clock = Stopwatch.StartNew();
        model.Fit(x, y, epochs: 1, batchSize: Batch, verbose: 0);
        return clock.Elapsed.TotalSeconds;
    }
    List<double> oneThread = [], twoThreads = [], ratios = [];
    for (int r = 0; r < rounds; r++)
    {
        oneThread.Add(Epoch(one));
        twoThreads.Add(Epoch(two));
        ratios.Add(oneThread[^1] / twoThreads[^1]);
    }
    double ratio = Median(ratios);
    Console.WriteLine($"{name}: 1 thread median {Median(oneThread):F3} s, 2 threads median {Median(twoThreads):F3} s; "
        + $"2-thread speed-up, median of {rounds} adjacent pairs: {ratio:F2}x (pairs {ratios.Min():F2}-{ratios.Max():F2})");
    return new JsonObject
    {
        ["model"] = name,
        ["one_thread_s_per_epoch"] = new JsonArray([.. oneThread.Select(v => (JsonNode)Math.Round(v, 4))]),
        ["two_threads_s_per_epoch"] = new JsonArray([.. twoThreads.Select(v => (JsonNode)Math.Round(v, 4))]),
        ["speedup_median_of_pairs"] = Math.Round(ratio, 3),
    };
}

static string CpuModel()
{
    try
    {
        foreach (var line in File.ReadLines("/proc/cpuinfo"))
            if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
    }
    catch (IOException) { }
    return "unknown";
}

/// <summary>
/// Managed bytes allocated per training step (all threads) between the 10th and the last step of an epoch:
/// the steady state of a step, without what Fit allocates once per call or per epoch. Not precise, the count moves
/// in allocation quanta of ~8 KB (enough over an epoch of 300 steps); precise, it is exact.
/// </summary>
sealed class AllocationProbe(bool precise) : ICallback
{
    private long start;
    private int first, last;
    private long end;

    public double BytesPerStep => last > first ? (end - start) / (double)(last - first) : double.NaN;

    public void OnTrainBatchEnd(Sequential model, int batch, IReadOnlyDictionary<string, double> logs)
    {
        if (batch == 10)
        {
            first = batch;
            start = GC.GetTotalAllocatedBytes(precise);
        }
        else if (batch > 10)
        {
            last = batch;
            end = GC.GetTotalAllocatedBytes(precise);
        }
    }
}
