using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using Sequor;
using static BenchModels;

/// <summary>
/// ONNX Runtime as a peer, on the benchmark's models exported from Sequor (<see cref="Sequential.SaveOnnx(string)"/>):
/// the program a .NET user would deploy the same model with. Two measurements:
/// <list type="bullet">
/// <item><c>--onnx-runtime</c>: inference throughput, the same sequences and batches of 512 as Sequor's own benchmark.</item>
/// <item><c>--latency</c>: one sequence per call (a serving request), p50 and p99, Sequor's Predict against ONNX Runtime.</item>
/// </list>
/// Before timing, each model's ONNX Runtime outputs are checked against Sequor's Predict on the same rows.
/// ONNX Runtime runs with intra-op threads = the run's thread count and one inter-op thread (one graph at a time).
/// </summary>
static class OnnxRuntimeBench
{
    /// <summary>Largest |ONNX Runtime − Sequor| accepted on a checked output.</summary>
    private const double Tolerance = 1e-4;

    /// <summary>Rows checked before timing the throughput.</summary>
    private const int CheckRows = 8;

    public static JsonObject Inference(string[] names, int threads, int repeats, int inferRows, string dataDir, JsonObject machine)
    {
        Console.WriteLine($"ONNX Runtime {OrtEnv.Instance().GetVersionString()} bench: {threads} intra-op thread(s), exported from Sequor");
        Console.WriteLine($"{"model",-22} {$"|ORT - Sequor|, {CheckRows} rows",20} {"infer seq/s",12}");
        var results = new JsonArray();
        foreach (var name in names)
        {
            var (vocabulary, steps) = Shape(name);
            var (tokens, _) = Load(DataFile(dataDir, name), steps);
            int width = IsOneHot(name) ? vocabulary : 0;
            int rows = InferenceRows(name, inferRows);
            using var model = NewModel(name, threads);
            model.Build(width > 0 ? [steps, width] : [steps]);
            using var session = Session(model, threads);

            // the same rows through both, before any timing
            double difference = MaxDifference(model.Predict(Inputs(tokens, 0, CheckRows, steps, width), InferenceBatch),
                Run(session, Feed(tokens, 0, CheckRows, steps, width)));
            if (!(difference <= Tolerance))
                throw new InvalidOperationException($"{name}: ONNX Runtime's outputs differ from Sequor's Predict by {difference:0.0E+00} (> {Tolerance:0E+00}); not timing a different model");

            // the inputs as ONNX Runtime takes them, made before timing (Sequor's bench also times from a ready tensor)
            var batches = new List<OrtValue>();
            for (int start = 0; start < rows; start += InferenceBatch)
                batches.Add(Feed(tokens, start, Math.Min(InferenceBatch, rows - start), steps, width));
            try
            {
                Pass(session, batches);  // warm-up: one whole pass, as Sequor's
                var samples = new List<double>();
                for (int r = 0; r < repeats; r++)
                {
                    var clock = Stopwatch.StartNew();
                    Pass(session, batches);
                    samples.Add(clock.Elapsed.TotalSeconds);
                }
                double median = Median(samples);
                Console.WriteLine($"{name,-22} {difference,20:0.0E+00} {rows / median,12:F0}");
                results.Add(new JsonObject
                {
                    ["model"] = name,
                    ["threads"] = threads,
                    ["params"] = model.CountParams(),
                    ["check_rows"] = CheckRows,
                    ["check_max_abs_difference"] = difference,
                    ["infer_n"] = rows,
                    ["infer_s"] = Math.Round(median, 4),
                    ["infer_s_samples"] = new JsonArray([.. samples.Select(s => (JsonNode)Math.Round(s, 4))]),
                    ["infer_seq_per_s"] = Math.Round(rows / median, 1),
                });
            }
            finally
            {
                foreach (var batch in batches) batch.Dispose();
            }
            GC.Collect();
        }
        return new JsonObject
        {
            ["peer"] = "onnxruntime",
            ["onnxruntime_version"] = OrtEnv.Instance().GetVersionString(),
            ["intra_op_threads"] = threads,
            ["inter_op_threads"] = 1,
            ["machine"] = machine.DeepClone(),
            ["repeats"] = repeats,
            ["results"] = results,
        };
    }

    /// <summary>
    /// One sequence per call, as a server answers one request: Sequor's <c>Predict</c> on a [1, T] tensor and ONNX
    /// Runtime on the same model exported, calls alternating so that the machine's drifting load falls on both.
    /// A model is built at its own length (100 for the chapter LSTM, 200 for lstm128); for each measured length T a
    /// model of length T is built with those same weights (copied), and exported at that length: the same model a
    /// user serves for texts padded to T (the weights do not depend on T).
    /// </summary>
    public static JsonObject Latency(int threads, int calls, JsonObject machine)
    {
        // a whole model's call at T = 500 on lstm128 takes milliseconds: its calls are cut to this budget per length
        const double BudgetSeconds = 30;
        const int MinimumCalls = 500, Pool = 64;
        Console.WriteLine($"Latency, one sequence per call: Sequor Predict against ONNX Runtime {OrtEnv.Instance().GetVersionString()}, {threads} thread(s)");
        Console.WriteLine($"{"model",-10} {"T",5} {"calls",6} {"Sequor p50 us",14} {"p99 us",10} {"ORT p50 us",12} {"p99 us",10} {"ORT/Sequor p50",15}");
        var results = new JsonArray();
        foreach (var name in new[] { "lstm", "lstm128" })
        {
            var (vocabulary, builtSteps) = Shape(name);
            using var built = NewModel(name, threads);
            built.Build([builtSteps]);
            foreach (int steps in new[] { 100, 500 })
            {
                using var model = NewModel(name, threads);
                model.Build([steps]);
                var source = built.Weights;
                var target = model.Weights;
                for (int i = 0; i < source.Count; i++) source[i].Value.Span.CopyTo(target[i].Value.Span);
                using var session = Session(model, threads);

                // a pool of requests (random ids: the time does not depend on them; no masking in these models)
                var random = new Random(steps);
                var tokens = new int[Pool * steps];
                for (int i = 0; i < tokens.Length; i++) tokens[i] = random.Next(1, vocabulary);
                var sequorInputs = Enumerable.Range(0, Pool).Select(p => Inputs(tokens, p, 1, steps, 0)).ToArray();
                var ortInputs = Enumerable.Range(0, Pool).Select(p => Feed(tokens, p, 1, steps, 0)).ToArray();
                try
                {
                    double difference = 0;
                    for (int p = 0; p < 4; p++)
                        difference = Math.Max(difference, MaxDifference(model.Predict(sequorInputs[p], 1), Run(session, ortInputs[p])));
                    if (!(difference <= Tolerance))
                        throw new InvalidOperationException($"{name} at T = {steps}: ONNX Runtime's outputs differ from Sequor's Predict by {difference:0.0E+00} (> {Tolerance:0E+00})");

                    List<double> sequor = [], ort = [];
                    void Call(int i)
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        model.Predict(sequorInputs[i % Pool], 1);
                        long t1 = Stopwatch.GetTimestamp();
                        using (session.Run(RunOptions, InputNames, [ortInputs[i % Pool]], OutputNames)) { }
                        long t2 = Stopwatch.GetTimestamp();
                        sequor.Add((t1 - t0) * 1e6 / Stopwatch.Frequency);
                        ort.Add((t2 - t1) * 1e6 / Stopwatch.Frequency);
                    }
                    // warm-up: a tenth of the calls (at least 50): buffers in place, tiered JIT done
                    int warmup = Math.Max(50, calls / 10);
                    var clock = Stopwatch.StartNew();
                    for (int i = 0; i < warmup; i++) Call(i);
                    double perCall = clock.Elapsed.TotalSeconds / warmup;
                    int timed = Math.Min(calls, Math.Max(MinimumCalls, (int)(BudgetSeconds / perCall)));
                    sequor.Clear();
                    ort.Clear();
                    for (int i = 0; i < timed; i++) Call(i);

                    double s50 = Quantile(sequor, 0.5), s99 = Quantile(sequor, 0.99), o50 = Quantile(ort, 0.5), o99 = Quantile(ort, 0.99);
                    Console.WriteLine($"{name,-10} {steps,5} {timed,6} {s50,14:F0} {s99,10:F0} {o50,12:F0} {o99,10:F0} {o50 / s50,14:F2}x");
                    results.Add(new JsonObject
                    {
                        ["model"] = name,
                        ["length"] = steps,
                        ["built_length"] = builtSteps,
                        ["threads"] = threads,
                        ["calls"] = timed,
                        ["warmup_calls"] = warmup,
                        ["check_max_abs_difference"] = difference,
                        ["sequor_p50_us"] = Math.Round(s50, 1),
                        ["sequor_p99_us"] = Math.Round(s99, 1),
                        ["ort_p50_us"] = Math.Round(o50, 1),
                        ["ort_p99_us"] = Math.Round(o99, 1),
                        ["ort_over_sequor_p50"] = Math.Round(o50 / s50, 3),
                        ["ort_over_sequor_p99"] = Math.Round(o99 / s99, 3),
                    });
                }
                finally
                {
                    foreach (var input in ortInputs) input.Dispose();
                }
            }
        }
        return new JsonObject
        {
            ["peer"] = "latency",
            ["onnxruntime_version"] = OrtEnv.Instance().GetVersionString(),
            ["intra_op_threads"] = threads,
            ["inter_op_threads"] = 1,
            ["machine"] = machine.DeepClone(),
            ["results"] = results,
        };
    }

    private static readonly RunOptions RunOptions = new();
    private static readonly string[] InputNames = ["input"], OutputNames = ["output"];

    /// <summary>The model exported to ONNX and opened in ONNX Runtime with all graph optimizations (its default).</summary>
    private static InferenceSession Session(Sequential model, int threads)
    {
        using var stream = new MemoryStream();
        model.SaveOnnx(stream);
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        return new InferenceSession(stream.ToArray(), options);
    }

    /// <summary>
    /// Rows [start, start + rows) of make_data's tokens as the exported model's input: int64 ids [rows, T], or
    /// one-hot floats [rows, T, width] for the one-hot model.
    /// </summary>
    private static OrtValue Feed(int[] tokens, int start, int rows, int steps, int width)
    {
        if (width == 0)
        {
            var ids = new long[rows * steps];
            for (int i = 0; i < ids.Length; i++) ids[i] = tokens[start * steps + i];
            return OrtValue.CreateTensorValueFromMemory(ids, [rows, steps]);
        }
        var oneHot = new float[rows * steps * width];
        for (int i = 0; i < rows * steps; i++) oneHot[i * width + tokens[start * steps + i]] = 1;
        return OrtValue.CreateTensorValueFromMemory(oneHot, [rows, steps, width]);
    }

    private static float[] Run(InferenceSession session, OrtValue input)
    {
        using var outputs = session.Run(RunOptions, InputNames, [input], OutputNames);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static void Pass(InferenceSession session, List<OrtValue> batches)
    {
        foreach (var batch in batches)
            using (session.Run(RunOptions, InputNames, [batch], OutputNames)) { }
    }

    private static double MaxDifference(Tensor expected, float[] actual)
    {
        if (expected.Length != actual.Length)
            throw new InvalidOperationException($"ONNX Runtime returned {actual.Length} values, Sequor's Predict {expected.Length}");
        double max = 0;
        for (int i = 0; i < actual.Length; i++) max = Math.Max(max, Math.Abs(actual[i] - (double)expected.Span[i]));
        return max;
    }
}
