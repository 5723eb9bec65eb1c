using System.Text.Json;
using Sequor.Layers;

namespace Sequor.Tests.Layers;

/// <summary>
/// The shipped float32 layers against PyTorch: for each fixture in Fixtures/Torch (written by
/// tests/fixtures-src/torch/make_layer_fixtures.py under Debian's python3-torch, in float64), the layer is
/// built with the fixture's Keras-layout weights, run forward on its input and backward with its output
/// gradient R (the loss is L = Σ y ⊙ R), and the output, ∂L/∂input and every ∂L/∂weight must equal torch's.
/// </summary>
/// <remarks>
/// Tolerance: |actual − expected| ≤ 1e-5 · max(1, |expected|) per element — 1e-5 relative for values of
/// magnitude ≥ 1, 1e-5 absolute below that. The absolute floor is what makes the bound meaningful in float32:
/// a gradient element that is a sum of O(1) terms cancelling to ~1e-4 carries a rounding error of the
/// terms' scale (~1e-7), not of its own, so a purely relative bound would test float32 cancellation, not the
/// math. Every fixture value (weights, inputs, R) is exactly representable in float32, so the layer sees the
/// very numbers torch used; the differences measured are only float32 arithmetic (~1e-7 here).
/// </remarks>
[Collection(nameof(KernelChoiceCollection))]
public class TorchFixtureTests
{
    private const double Tolerance = 1e-5;

    private static string FixtureDirectory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Torch");

    private static string[] FixtureNames() =>
        Directory.GetFiles(FixtureDirectory, "*.json").Select(p => Path.GetFileNameWithoutExtension(p)).Order(StringComparer.Ordinal).ToArray();

    public static TheoryData<KernelChoice, string> Fixtures() => KernelChoices.Crossed(FixtureNames());

    [Fact]
    public void FixturesAreCopiedNextToTheTestAssembly()
    {
        // The csproj item copies Fixtures/** to the output; every layer kind must be covered.
        var names = FixtureNames();
        Assert.True(names.Length >= 30, $"expected the 30 torch fixtures in {FixtureDirectory}, found {names.Length}");
        foreach (var prefix in new[] { "simple_rnn", "lstm", "gru", "embedding", "dense", "bidirectional" })
            Assert.Contains(names, n => n.StartsWith(prefix, StringComparison.Ordinal));
    }

    [Fact]
    public void FixturesTakeTheFastKernelsAsWellAsTheGeneralSteps()
    {
        // 8 units is the chapter's one-vector LSTM step, 16 the general fused steps, 3-5 the per-row reference steps
        var units = FixtureNames()
            .Select(n => JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, n + ".json"))).RootElement.GetProperty("options"))
            .Where(o => o.TryGetProperty("units", out _))
            .Select(o => o.GetProperty("units").GetInt32()).ToHashSet();
        Assert.Superset(new HashSet<int> { 3, 4, 5, 8, 16 }, units);
    }

    [Theory, MemberData(nameof(Fixtures))]
    public void LayerMatchesTorch(KernelChoice kernels, string fixture)
    {
        using var _ = KernelChoices.Use(kernels);
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, fixture + ".json")));
        var root = document.RootElement;
        var layer = MakeLayer(root.GetProperty("layer").GetString()!, root.GetProperty("options"));

        var input = ReadTensor(root.GetProperty("input"));
        layer.Build(input.Shape[1..].ToArray(), new RandomGenerator(1));

        var weights = root.GetProperty("weights").EnumerateArray().ToArray();
        Assert.Equal(weights.Length, layer.Weights.Count);
        for (int i = 0; i < weights.Length; i++)
            Assert.Equal(weights[i].GetProperty("name").GetString(), layer.Weights[i].Name);
        layer.SetWeights(weights.Select(ReadTensor).ToArray());

        var output = layer.Forward(input, null, training: false);
        AssertClose(fixture, "output", root.GetProperty("expected_output"), output);

        var inputGradient = layer.Backward(ReadTensor(root.GetProperty("output_gradient")));
        var expectedInputGradient = root.GetProperty("expected_input_gradient");
        if (expectedInputGradient.ValueKind == JsonValueKind.Null) Assert.Null(inputGradient);
        else AssertClose(fixture, "input gradient", expectedInputGradient, inputGradient!);

        var expectedWeightGradients = root.GetProperty("expected_weight_gradients").EnumerateArray().ToArray();
        Assert.Equal(layer.Weights.Count, expectedWeightGradients.Length);
        for (int i = 0; i < expectedWeightGradients.Length; i++)
            AssertClose(fixture, $"gradient of weight {i} '{layer.Weights[i].Name}'", expectedWeightGradients[i], layer.Weights[i].Gradient);
    }

    private static Layer MakeLayer(string kind, JsonElement options)
    {
        bool Flag(string name) => options.TryGetProperty(name, out var v) && v.GetBoolean();
        int Int(string name) => options.GetProperty(name).GetInt32();

        Recurrent Cell(string cell, bool goBackwards) => cell switch
        {
            "SimpleRNN" => new SimpleRNN(Int("units"), returnSequences: Flag("return_sequences"), goBackwards: goBackwards),
            "LSTM" => new LSTM(Int("units"), returnSequences: Flag("return_sequences"), goBackwards: goBackwards),
            "GRU" => new GRU(Int("units"), returnSequences: Flag("return_sequences"), goBackwards: goBackwards, resetAfter: Flag("reset_after")),
            _ => throw new InvalidDataException($"unknown recurrent layer '{cell}'"),
        };

        return kind switch
        {
            "Embedding" => new Embedding(Int("input_dim"), Int("output_dim")),
            "Dense" => new Dense(Int("units"), Activation.FromName(options.GetProperty("activation").GetString())),
            "Bidirectional" => new Bidirectional(Cell(options.GetProperty("inner").GetString()!, goBackwards: false),
                options.GetProperty("merge_mode").GetString() switch
                {
                    "concat" => MergeMode.Concat,
                    "sum" => MergeMode.Sum,
                    "mul" => MergeMode.Mul,
                    "ave" => MergeMode.Ave,
                    var other => throw new InvalidDataException($"unknown merge mode '{other}'"),
                }),
            _ => Cell(kind, Flag("go_backwards")),
        };
    }

    private static Tensor ReadTensor(JsonElement element)
    {
        var shape = element.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var values = element.GetProperty("values").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
        return new Tensor(values, shape);
    }

    private static void AssertClose(string fixture, string what, JsonElement expectedElement, Tensor actual)
    {
        var shape = expectedElement.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        Assert.True(actual.HasShape(shape), $"{fixture}: {what} has shape {Tensor.Format(actual.Shape)}, torch's is {Tensor.Format(shape)}");
        int i = 0;
        foreach (var value in expectedElement.GetProperty("values").EnumerateArray())
        {
            double expected = value.GetDouble(), got = actual.Span[i];
            double error = Math.Abs(got - expected) / Math.Max(1, Math.Abs(expected));
            Assert.True(error <= Tolerance, $"{fixture}: {what}[{i}] = {got:R}, torch {expected:R} (error {error:E2} > {Tolerance:E0})");
            i++;
        }
        Assert.Equal(actual.Length, i);
    }
}
