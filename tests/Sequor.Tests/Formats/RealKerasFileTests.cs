using System.Globalization;
using System.Text.Json;

namespace Sequor.Tests.Formats;

/// <summary>
/// The 12 real files of <c>shared/data/keras-models</c> (Keras 2.11 .h5 and Keras 3.6 .keras): each loads,
/// its summary shows Keras's parameter counts, and Predict matches the reference outputs within 1e-4.
/// </summary>
public class RealKerasFileTests
{
    public static TheoryData<string> Files => new()
    {
        "cnjxkdrk__hongong/best-2rnn-model.h5",
        "cnjxkdrk__hongong/best-dropout-model.h5",
        "cnjxkdrk__hongong/best-embedding-model.h5",
        "cnjxkdrk__hongong/best-gru-model.h5",
        "cnjxkdrk__hongong/best-lstm-model.h5",
        "cnjxkdrk__hongong/best-simplernn-model.h5",
        "siksik-0721__HonGongMLDL/best-2rnn-model.keras",
        "siksik-0721__HonGongMLDL/best-dropout-model.keras",
        "siksik-0721__HonGongMLDL/best-embedding-model.keras",
        "siksik-0721__HonGongMLDL/best-gru-model.keras",
        "siksik-0721__HonGongMLDL/best-lstm-model.keras",
        "siksik-0721__HonGongMLDL/best-simplernn-model.keras",
    };

    internal sealed record Reference(string Path, JsonElement Json)
    {
        public Tensor Inputs()
        {
            var input = Json.GetProperty("input");
            int depth = input.GetProperty("depth").GetInt32();
            var rows = Json.GetProperty("inputs").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
            if (input.GetProperty("kind").GetString() != "one_hot") return Tensor.FromIds(rows);
            var x = new Tensor(rows.Length, rows[0].Length, depth);
            for (int b = 0; b < rows.Length; b++)
                for (int t = 0; t < rows[b].Length; t++) x[b, t, rows[b][t]] = 1;
            return x;
        }

        public double[] Expected => Json.GetProperty("expected").EnumerateArray().Select(v => v.GetDouble()).ToArray();
    }

    internal static Reference Open(string file)
    {
        var dir = SharedData.File("data", "keras-models") is { } models && Directory.Exists(models) ? models : null;
        Skip.If(dir is null, "../shared/data/keras-models is absent (real Keras files are not committed); test skipped");
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir!, "expected", file + ".json"))).RootElement;
        return new Reference(Path.Combine(dir!, file), json);
    }

    internal static void AssertMatches(double[] expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual.Span[i]));
        Assert.True(worst <= tolerance, $"max |expected − predicted| = {worst:G3} > {tolerance:G3}");
    }

    [SkippableTheory]
    [MemberData(nameof(Files))]
    public void LoadsSummarizesAndPredictsAsKeras(string file)
    {
        var reference = Open(file);
        var model = Sequential.Load(reference.Path);

        string summary = model.SummaryText();
        long total = reference.Json.GetProperty("total_params").GetInt64();
        // total_params is Keras's count_params(); summary's Total adds the optimizer's variables of a compiled file
        Assert.Contains($" Trainable params: {total.ToString("N0", CultureInfo.InvariantCulture)} (", summary);
        var layers = reference.Json.GetProperty("layers").EnumerateArray().ToArray();
        Assert.Equal(layers.Length, model.Layers.Count);
        for (int i = 0; i < layers.Length; i++)
        {
            Assert.Equal(layers[i].GetProperty("name").GetString(), model.Layers[i].Name);
            Assert.Equal(layers[i].GetProperty("type").GetString(), model.Layers[i].ClassName);
            Assert.Equal(layers[i].GetProperty("params").GetInt32(), model.Layers[i].CountParams());
            Assert.Contains($"{model.Layers[i].Name} ({model.Layers[i].ClassName})", summary);
        }

        var predicted = model.Predict(reference.Inputs(), batchSize: 64);
        Assert.Equal([64, 1], predicted.Shape.ToArray());
        AssertMatches(reference.Expected, predicted, 1e-4);
    }
}
