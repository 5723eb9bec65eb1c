using System.Text.Json;
using Sequor.Layers;
using Sequor.Training;
using Xunit.Abstractions;

namespace Sequor.Tests.Training;

/// <summary>
/// Whole training steps against PyTorch: for each fixture in Fixtures/Torch/Training (written by
/// tests/fixtures-src/torch/make_training_fixtures.py under Debian's python3-torch, in float64), the float32
/// model — Embedding → recurrent layer(s) → Dense(1, sigmoid), binary cross-entropy — starts from the
/// fixture's Keras-layout weights and is fitted for 3 epochs of one batch of 8 (one optimizer step per epoch,
/// no shuffling). Each epoch's loss (the batch loss measured before that step's update) and every weight after
/// the third step must equal torch's: forward, loss, backward and the Keras RMSprop / Adam / SGD-Nesterov
/// updates, computed independently (torch modules and autograd, the Keras rules written out by hand).
/// </summary>
/// <remarks>
/// Tolerance: |actual − expected| ≤ 1e-5 · max(1, |expected|) per value — 1e-5 relative for magnitudes ≥ 1,
/// 1e-5 absolute below. The fixture's weights and inputs are exact float32 values and its hyper-parameters are
/// the float32 values a float32 engine holds, so the only difference is float32 against float64 arithmetic,
/// carried through three forward/backward passes and updates. The absolute floor is needed because the
/// adaptive optimizers amplify an absolute gradient error near g = 0 (RMSprop's first step has slope
/// lr/√ε ≈ 32 there, Adam's about 316), so a near-zero gradient's float32 rounding (~1e-8) moves a weight by
/// up to ~1e-6; the observed differences are logged per case.
/// </remarks>
[Collection(nameof(KernelChoiceCollection))]
public class TrainingStepFixtureTests(ITestOutputHelper log)
{
    private const double Tolerance = 1e-5;

    private static string FixtureDirectory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Torch", "Training");

    private static string[] FixtureNames() =>
        Directory.GetFiles(FixtureDirectory, "*.json").Select(p => Path.GetFileNameWithoutExtension(p)).Order(StringComparer.Ordinal).ToArray();

    public static TheoryData<string> Fixtures() => new(FixtureNames());

    [Fact]
    public void EveryChapterModelHasAFixture()
    {
        Assert.Equal(["gru_adam", "lstm_rmsprop", "simple_rnn_sgd_nesterov", "stacked_lstm_rmsprop"], FixtureNames());
    }

    public static IEnumerable<object[]> FixturesByKernels() => KernelChoices.Cross(Fixtures());

    [Theory, MemberData(nameof(FixturesByKernels))]
    public void ThreeFitStepsMatchTorch(KernelChoice kernels, string fixture)
    {
        using var _ = KernelChoices.Use(kernels);
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, fixture + ".json")));
        var root = document.RootElement;
        var x = ReadTensor(root.GetProperty("x"));
        var y = ReadTensor(root.GetProperty("y"));

        using var model = new Sequential(root.GetProperty("layers").EnumerateArray().Select(MakeLayer).ToArray(), seed: 1);
        model.Build(x.Shape[1..].ToArray());
        var initial = root.GetProperty("initial_weights").EnumerateArray().ToArray();
        AssertNames(fixture, initial, model.Weights);
        model.SetWeights(initial.Select(ReadTensor).ToArray());
        model.Compile(MakeOptimizer(root.GetProperty("optimizer")), Loss.BinaryCrossentropy);

        var expectedLosses = root.GetProperty("losses").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var history = model.Fit(x, y, epochs: expectedLosses.Length, batchSize: x.Dim(0), shuffle: false, verbose: 0);

        double worst = 0;
        var losses = history["loss"];
        Assert.Equal(expectedLosses.Length, losses.Count);
        for (int step = 0; step < expectedLosses.Length; step++)
            worst = Math.Max(worst, Check(fixture, $"loss of step {step + 1}", losses[step], expectedLosses[step]));

        var final = root.GetProperty("final_weights").EnumerateArray().ToArray();
        AssertNames(fixture, final, model.Weights);
        var layerOf = model.Layers.SelectMany(l => l.Weights.Select(_ => l.Name)).ToArray();
        for (int w = 0; w < final.Length; w++)
        {
            var weight = model.Weights[w];
            var shape = final[w].GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            string what = $"final weight {w} '{layerOf[w]}/{weight.Name}'";
            Assert.True(weight.Value.HasShape(shape), $"{fixture}: {what} has shape {Tensor.Format(weight.Value.Shape)}, torch's is {Tensor.Format(shape)}");
            int i = 0;
            foreach (var value in final[w].GetProperty("values").EnumerateArray())
            {
                worst = Math.Max(worst, Check(fixture, $"{what}[{i}]", weight.Value.Span[i], value.GetDouble()));
                i++;
            }
            Assert.Equal(weight.Value.Length, i);
        }
        log.WriteLine($"{fixture}: largest difference from torch {worst:E2} (tolerance {Tolerance:E0})");
    }

    private static double Check(string fixture, string what, double got, double expected)
    {
        double error = Math.Abs(got - expected) / Math.Max(1, Math.Abs(expected));
        Assert.True(error <= Tolerance, $"{fixture}: {what} = {got:R}, torch {expected:R} (error {error:E2} > {Tolerance:E0})");
        return error;
    }

    private static void AssertNames(string fixture, JsonElement[] expected, IReadOnlyList<Weight> weights)
    {
        Assert.True(expected.Length == weights.Count, $"{fixture}: the model has {weights.Count} weights, the fixture {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i].GetProperty("name").GetString(), weights[i].Name);
    }

    private static Layer MakeLayer(JsonElement spec)
    {
        bool Flag(string name) => spec.TryGetProperty(name, out var v) && v.GetBoolean();
        int Int(string name) => spec.GetProperty(name).GetInt32();
        return spec.GetProperty("layer").GetString() switch
        {
            "Embedding" => new Embedding(Int("input_dim"), Int("output_dim")),
            "LSTM" => new LSTM(Int("units"), returnSequences: Flag("return_sequences")),
            "GRU" => new GRU(Int("units"), returnSequences: Flag("return_sequences"), resetAfter: Flag("reset_after")),
            "SimpleRNN" => new SimpleRNN(Int("units"), returnSequences: Flag("return_sequences")),
            "Dense" => new Dense(Int("units"), Activation.FromName(spec.GetProperty("activation").GetString())),
            var other => throw new InvalidDataException($"unknown layer '{other}'"),
        };
    }

    private static Optimizer MakeOptimizer(JsonElement spec)
    {
        Real Value(string name) => (Real)spec.GetProperty(name).GetDouble();
        return spec.GetProperty("name").GetString() switch
        {
            "rmsprop" => new RMSprop(Value("learning_rate"), rho: Value("rho"), epsilon: Value("epsilon")),
            "adam" => new Adam(Value("learning_rate"), beta1: Value("beta_1"), beta2: Value("beta_2"), epsilon: Value("epsilon")),
            "sgd" => new SGD(Value("learning_rate"), momentum: Value("momentum"), nesterov: spec.GetProperty("nesterov").GetBoolean()),
            var other => throw new InvalidDataException($"unknown optimizer '{other}'"),
        };
    }

    private static Tensor ReadTensor(JsonElement element)
    {
        var shape = element.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var values = element.GetProperty("values").EnumerateArray().Select(v => (Real)v.GetDouble()).ToArray();
        return new Tensor(values, shape);
    }
}
