using System.Text.Json;
using Sequor.Training;

namespace Sequor.Tests.Formats;

/// <summary>
/// The interop matrix written by real Keras 3 (<c>Fixtures/Keras</c>, made by
/// <c>tests/fixtures-src/keras/make_matrix_fixtures.py</c>): every model's <c>.keras</c>, Keras 3 <c>.h5</c> and
/// <c>.weights.h5</c> loads into Sequor, predicts Keras's numbers within 1e-5 and counts Keras's parameters.
/// No Python is needed: the files and Keras's predictions are committed.
/// </summary>
public class KerasWrittenMatrixTests
{
    internal sealed record Case(string Name, string InputKind, int[] InputShape, Tensor Input, double[] Predictions, int[] PredictionShape, long Params, string Optimizer);

    private static readonly Lazy<Dictionary<string, Case>> Cases = new(() =>
    {
        using var json = JsonDocument.Parse(File.ReadAllText(SharedData.Fixture("Keras", "expected.json")));
        return json.RootElement.GetProperty("models").EnumerateArray().Select(Read).ToDictionary(c => c.Name);
    });

    private static Case Read(JsonElement model)
    {
        var shape = model.GetProperty("input_shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
        var rows = model.GetProperty("input").EnumerateArray().ToArray();
        var values = new List<Real>();
        void Flatten(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Array) foreach (var item in e.EnumerateArray()) Flatten(item);
            else values.Add((Real)e.GetDouble());
        }
        foreach (var row in rows) Flatten(row);
        var predictions = model.GetProperty("predictions").EnumerateArray().ToArray();
        return new Case(model.GetProperty("name").GetString()!, model.GetProperty("input_kind").GetString()!, shape,
            new Tensor(values.ToArray(), [rows.Length, .. shape]),
            predictions.SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray(),
            [predictions.Length, predictions[0].GetArrayLength()],
            model.GetProperty("params").GetInt64(), model.GetProperty("optimizer").GetString()!);
    }

    /// <summary>The fixed inputs (and Keras's outputs) of one matrix model.</summary>
    internal static Case CaseNamed(string name) => Cases.Value[name];

    public static TheoryData<string, string> Files()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in Cases.Value.Keys)
            foreach (var extension in new[] { ".keras", ".h5", ".weights.h5" }) data.Add(name, extension);
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void KerasFileLoadsAndPredictsAsKeras(string name, string extension)
    {
        var expected = Cases.Value[name];
        string file = SharedData.Fixture("Keras", name + extension);
        Sequential model;
        if (extension == ".weights.h5")
        {
            // The architecture comes from the .keras file; its weights are wiped so only the .weights.h5 can restore them.
            model = Sequential.Load(SharedData.Fixture("Keras", name + ".keras"));
            foreach (var weight in model.Weights) weight.Value.Span.Clear();
            model.LoadWeights(file);
        }
        else
        {
            using var warnings = new StringWriter();
            model = Sequor.Formats.ModelFile.Load(file, null, warnings);
            Assert.True(warnings.ToString().Length == 0, warnings.ToString());
            Assert.Equal(expected.Optimizer, Sequor.Formats.CompileConfig.ClassName(model.Optimizer!));
        }
        using (model)
        {
            Assert.Equal(expected.Params, model.CountParams());
            var predicted = model.Predict(expected.Input);
            Assert.Equal(expected.PredictionShape, predicted.Shape.ToArray());
            RealKerasFileTests.AssertMatches(expected.Predictions, predicted, 1e-5);
        }
    }
}
