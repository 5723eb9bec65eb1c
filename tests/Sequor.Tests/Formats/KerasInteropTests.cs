using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sequor.Layers;
using Sequor.Training;

namespace Sequor.Tests.Formats;

/// <summary>
/// The interop matrix written by Sequor and opened by real Keras 3 (the other direction is
/// <see cref="KerasWrittenMatrixTests"/>): each model is built and trained one step in Sequor, compiled with
/// RMSprop, Adam or SGD (with and without momentum), saved as <c>.keras</c>, <c>.h5</c> and <c>.weights.h5</c>;
/// Keras loads every file in one process and must predict Sequor's numbers within 1e-5, count the same
/// parameters and, for full models, hold Sequor's optimizer state. Skips with one line without real Keras.
/// </summary>
public class KerasInteropTests
{
    private const int Vocabulary = 12, Steps = 7;

    /// <summary>The models of tests/fixtures-src/keras/make_matrix_fixtures.py, built the Sequor way.</summary>
    internal static IEnumerable<(string Name, Func<Layer[]> Body, int Head)> Matrix() =>
    [
        ("simplernn", () => [new Embedding(Vocabulary, 4), new SimpleRNN(3)], 1),
        ("simplernn_relu", () => [new Embedding(Vocabulary, 4), new SimpleRNN(3, Activation.Relu)], 1),
        ("lstm", () => [new Embedding(Vocabulary, 4), new LSTM(3)], 1),
        ("gru_reset_after", () => [new Embedding(Vocabulary, 4), new GRU(3, resetAfter: true)], 2),
        ("gru_reset_before", () => [new Embedding(Vocabulary, 4), new GRU(3, resetAfter: false)], 3),
        ("dropout", () => [new Embedding(Vocabulary, 4), new LSTM(3, dropout: 0.3f, recurrentDropout: 0.2f), new Dropout(0.5f)], 1),
        ("stacked", () => [new Embedding(Vocabulary, 4), new LSTM(3, returnSequences: true),
            new GRU(3, returnSequences: true, dropout: 0.1f), new SimpleRNN(2)], 4),
        ("bidirectional_concat", () => [new Embedding(Vocabulary, 4), new Bidirectional(new LSTM(3), MergeMode.Concat)], 1),
        ("bidirectional_sum", () => [new Embedding(Vocabulary, 4), new Bidirectional(new GRU(3), MergeMode.Sum)], 2),
        ("bidirectional_mul", () => [new Embedding(Vocabulary, 4), new Bidirectional(new SimpleRNN(3), MergeMode.Mul)], 1),
        ("bidirectional_ave", () => [new Embedding(Vocabulary, 4), new Bidirectional(new LSTM(3, returnSequences: true), MergeMode.Ave),
            new LSTM(2)], 3),
        ("mask_zero", () => [new Embedding(Vocabulary, 4, maskZero: true), new LSTM(3, returnSequences: true),
            new Bidirectional(new GRU(2, resetAfter: false)), new Dropout(0.2f)], 1),
        ("mask_zero_go_backwards", () => [new Embedding(Vocabulary, 4, maskZero: true),
            new SimpleRNN(3, goBackwards: true, returnSequences: true), new GRU(2, goBackwards: true)], 2),
        ("one_hot", () => [new SimpleRNN(3)], 1),
        ("no_bias", () => [new Embedding(Vocabulary, 4), new LSTM(3, useBias: false, returnSequences: true),
            new GRU(2, useBias: false, resetAfter: false)], 3),
        ("go_backwards", () => [new Embedding(Vocabulary, 4), new LSTM(3, goBackwards: true, returnSequences: true),
            new GRU(3, goBackwards: true)], 4),
    ];

    private static Optimizer OptimizerFor(int index) => (index % 4) switch
    {
        0 => new RMSprop(learningRate: 0.002f),
        1 => new Adam(learningRate: 1f),
        2 => new SGD(momentum: 0f),
        _ => new SGD(learningRate: 0.05f, momentum: 0.9f, nesterov: true),
    };

    private sealed record Expectation(string Name, string File, double[] Predictions, long Params, string? Optimizer, double[][]? OptimizerVariables);

    [SkippableFact]
    public void SequorFilesOpenInKerasWithTheSamePredictionsParametersAndOptimizerState()
    {
        RealKeras.Require();
        using var dir = new TempDirectory();
        var manifest = new JsonArray();
        var expectations = new List<Expectation>();
        int index = 0;
        foreach (var (name, body, head) in Matrix())
        {
            var input = KerasWrittenMatrixTests.CaseNamed(name);
            bool oneHot = input.InputKind == "one_hot";
            using var model = new Sequential([.. body(), new Dense(head, head == 1 ? Activation.Sigmoid : Activation.Softmax)], seed: 100 + index);
            model.Compile(OptimizerFor(index), head == 1 ? Loss.BinaryCrossentropy : Loss.CategoricalCrossentropy, Metric.Accuracy);
            var (x, y) = TrainingBatch(index, oneHot, head);
            model.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);  // one step: the optimizer has state to save
            var predictions = model.Predict(input.Input).Span.ToArray().Select(v => (double)v).ToArray();
            var optimizer = model.Optimizer!;
            double[][] state = [[optimizer.Iterations], [optimizer.LearningRate], .. optimizer.State.Select(s => s.Select(v => (double)v).ToArray())];
            string optimizerClass = Sequor.Formats.CompileConfig.ClassName(optimizer);

            foreach (var extension in new[] { ".keras", ".h5", ".weights.h5" })
            {
                string file = dir.File(name + extension);
                if (extension == ".weights.h5") model.SaveWeights(file);
                else model.Save(file);
                var entry = new JsonObject { ["file"] = file, ["input"] = InputJson(input.Input, oneHot) };
                if (extension == ".weights.h5") entry["architecture"] = dir.File(name + ".keras");
                manifest.Add(entry);
                bool full = extension != ".weights.h5";
                // Keras 3's .h5 loader builds the optimizer on model._trainable_variables, which is empty for a
                // Sequential, so it restores only the iteration and learning rate, from its own files too.
                var restored = extension == ".h5" ? state[..2] : state;
                expectations.Add(new Expectation(name, name + extension, predictions, model.CountParams(), full ? optimizerClass : null, full ? restored : null));
            }
            index++;
        }

        var results = RealKeras.Open(manifest, dir.Path);
        Assert.Equal(expectations.Count, results.Length);
        var failures = new List<string>();
        for (int i = 0; i < results.Length; i++)
            if (Check(expectations[i], results[i]) is { } problem) failures.Add($"{expectations[i].File}: {problem}");
        Assert.True(failures.Count == 0, $"{failures.Count} of {results.Length} files:\n" + string.Join("\n", failures));
    }

    [SkippableFact]
    public void SgdCheckpointsOfSequorTrainOpenInKeras()
    {
        RealKeras.Require();
        using var dir = new TempDirectory();
        string data = Cli.SyntheticImdb.Write(dir.Path, train: 200, test: 40);
        string[] common = ["--data", data, "--num-words", "100", "--maxlen", "20", "--epochs", "2", "--batch-size", "32"];
        var runs = new (string[] Args, string Checkpoint)[]
        {
            (["train", "--model", "lstm", "--optimizer", "sgd", .. common, "--checkpoint", dir.File("sgd.keras")], "sgd.keras"),
            (["train", "--model", "gru", "--optimizer", "sgd", .. common, "--checkpoint", dir.File("sgd.h5")], "sgd.h5"),
            // A file trained on: it keeps SGD with momentum 0, which Keras refused when written as the integer 0.
            (["train", "--model", dir.File("sgd.keras"), .. common, "--checkpoint", dir.File("continued.keras")], "continued.keras"),
            (["train", "--model", dir.File("sgd.h5"), .. common, "--checkpoint", dir.File("continued.h5")], "continued.h5"),
        };
        var manifest = new JsonArray();
        var expected = new List<double[]>();
        var x = new Tensor(4, 20);
        var random = new Random(5);
        for (int i = 0; i < x.Length; i++) x.Span[i] = i % 20 < 6 ? 0 : random.Next(1, 100);
        foreach (var (args, checkpoint) in runs)
        {
            var (exit, _, error) = Cli.CliRunner.Run(args);
            Assert.True(exit == 0, $"sequor {string.Join(' ', args)}: {error}");
            using var model = Sequential.Load(dir.File(checkpoint));
            Assert.IsType<SGD>(model.Optimizer);
            expected.Add(model.Predict(x).Span.ToArray().Select(v => (double)v).ToArray());
            manifest.Add(new JsonObject { ["file"] = dir.File(checkpoint), ["input"] = InputJson(x, oneHot: false) });
        }

        var results = RealKeras.Open(manifest, dir.Path);
        for (int i = 0; i < runs.Length; i++)
        {
            Assert.True(results[i].GetProperty("ok").GetBoolean(), $"{runs[i].Checkpoint}: Keras refused it: {results[i].GetProperty("error").GetString()}");
            Assert.Equal("SGD", results[i].GetProperty("optimizer").GetProperty("class_name").GetString());
            var keras = results[i].GetProperty("predictions").EnumerateArray().Select(r => r[0].GetDouble()).ToArray();
            double worst = keras.Zip(expected[i], (k, s) => Math.Abs(k - s)).Max();
            Assert.True(worst <= 1e-5, $"{runs[i].Checkpoint}: Keras and Sequor differ by {worst:G3}");
        }
    }

    private static string? Check(Expectation expected, JsonElement result)
    {
        if (!result.GetProperty("ok").GetBoolean()) return "Keras refused it: " + result.GetProperty("error").GetString();
        var keras = result.GetProperty("predictions").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray();
        if (keras.Length != expected.Predictions.Length) return $"Keras predicted {keras.Length} values, Sequor {expected.Predictions.Length}";
        double worst = keras.Zip(expected.Predictions, (k, s) => Math.Abs(k - s)).Max();
        if (!(worst <= 1e-5)) return $"predictions differ by {worst:G3} (> 1e-5)";
        long parameters = result.GetProperty("params").GetInt64();
        if (parameters != expected.Params) return $"Keras counts {parameters} parameters, Sequor {expected.Params}";
        if (expected.Optimizer is null) return null;
        if (result.GetProperty("optimizer").ValueKind != JsonValueKind.Object) return "Keras loaded it uncompiled";
        var optimizer = result.GetProperty("optimizer");
        string className = optimizer.GetProperty("class_name").GetString()!;
        if (className != expected.Optimizer) return $"Keras compiled it with {className}, Sequor with {expected.Optimizer}";
        var variables = optimizer.GetProperty("variables").EnumerateArray().Select(v => v.EnumerateArray().Select(e => e.GetDouble()).ToArray()).ToArray();
        var state = expected.OptimizerVariables!;
        if (variables.Length != state.Length) return $"Keras's optimizer holds {variables.Length} variables, Sequor's {state.Length}";
        for (int v = 0; v < state.Length; v++)
        {
            if (variables[v].Length != state[v].Length) return $"optimizer variable {v} has {variables[v].Length} values in Keras, {state[v].Length} in Sequor";
            double gap = variables[v].Zip(state[v], (k, s) => Math.Abs(k - s)).DefaultIfEmpty(0).Max();
            if (!(gap <= 1e-7 * Math.Max(1, state[v].Max(Math.Abs)))) return $"optimizer variable {v} differs by {gap:G3} between Keras and Sequor";
        }
        return null;
    }

    // Eight samples of the model's input and targets; with batch 8, Fit takes exactly one step.
    private static (Tensor X, Tensor Y) TrainingBatch(int seed, bool oneHot, int classes)
    {
        var random = new Random(seed);
        var x = oneHot ? new Tensor(8, Steps, Vocabulary) : new Tensor(8, Steps);
        var y = new Tensor(8, classes);
        for (int b = 0; b < 8; b++)
        {
            for (int t = 0; t < Steps; t++)
            {
                int id = t < b % 3 ? 0 : random.Next(1, Vocabulary);  // some pre-padding, so masks matter
                if (oneHot) x[b, t, id] = 1;
                else x[b, t] = id;
            }
            if (classes == 1) y[b, 0] = random.Next(2);
            else y[b, random.Next(classes)] = 1;
        }
        return (x, y);
    }

    private static JsonArray InputJson(Tensor input, bool oneHot)
    {
        var rows = new JsonArray();
        for (int b = 0; b < input.Dim(0); b++)
        {
            var row = new JsonArray();
            for (int t = 0; t < input.Dim(1); t++)
            {
                if (!oneHot)
                {
                    row.Add((JsonNode)(int)input[b, t]);
                    continue;
                }
                var vector = new JsonArray();
                for (int v = 0; v < input.Dim(2); v++) vector.Add((JsonNode)(double)input[b, t, v]);
                row.Add(vector);
            }
            rows.Add(row);
        }
        return rows;
    }
}
