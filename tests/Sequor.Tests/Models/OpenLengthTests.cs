using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sequor.Tests.Formats;

namespace Sequor.Tests.Models;

/// <summary>
/// Models of open length (Keras's <c>Input(shape=(None,))</c>): Keras 3.6.0 saved them
/// (Fixtures/Keras/Summary/open_length_*.keras) with Keras 3.15.1's predictions at two lengths beside them.
/// </summary>
public class OpenLengthTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Keras", "Summary", name);

    public static TheoryData<string> OpenFixtures() => new("open_length_masked_lstm_gru_trained", "open_length_bidirectional_sequence_softmax");

    internal static (Tensor[] Inputs, Tensor[] Outputs) Expected(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Fixture(name + ".json")));
        Tensor Read(JsonElement e) => new(e.GetProperty("values").EnumerateArray().Select(v => v.GetSingle()).ToArray(),
            e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray());
        return (document.RootElement.GetProperty("inputs").EnumerateArray().Select(Read).ToArray(),
                document.RootElement.GetProperty("outputs").EnumerateArray().Select(Read).ToArray());
    }

    internal static void AssertClose(Tensor expected, Tensor actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected.Span[i] - actual.Span[i]) <= tolerance, $"value {i}: Sequor {actual.Span[i]}, Keras {expected.Span[i]}");
    }

    [Theory, MemberData(nameof(OpenFixtures))]
    public void LoadedWithoutAShapeItPredictsAtEveryLengthAsKeras(string name)
    {
        using var model = Sequential.Load(Fixture(name + ".keras"));
        Assert.True(model.HasOpenLength);
        var (inputs, outputs) = Expected(name);
        Assert.NotEqual(inputs[0].Dim(1), inputs[1].Dim(1));
        for (int round = 0; round < 2; round++)  // back and forth between the lengths
            for (int i = 0; i < inputs.Length; i++)
            {
                AssertClose(outputs[i], model.Predict(inputs[i]));
                Assert.Equal(inputs[i].Dim(1), model.InputShape[0]);
            }
    }

    [Fact]
    public void AGivenInputShapeFixesTheLength()
    {
        using var model = Sequential.Load(Fixture("open_length_masked_lstm_gru_trained.keras"), inputShape: [11]);
        Assert.False(model.HasOpenLength);
        var (inputs, outputs) = Expected("open_length_masked_lstm_gru_trained");
        AssertClose(outputs[1], model.Predict(inputs[1]));
        Assert.Throws<SequorException>(() => model.Predict(inputs[0]));
    }

    [Fact]
    public void TrainedOnOneLengthItStaysOpenInItsFileAndPredictsAtOthers()
    {
        using var folder = new TempDirectory();
        using var model = Sequential.Load(Fixture("open_length_masked_lstm_gru_trained.keras"));
        var random = new Random(4);
        var x = new Tensor(Enumerable.Range(0, 64 * 7).Select(_ => (Real)random.Next(50)).ToArray(), 64, 7);
        var y = new Tensor(Enumerable.Range(0, 64).Select(i => (Real)(i % 2)).ToArray(), 64, 1);
        var validation = new Tensor(Enumerable.Range(0, 16 * 9).Select(_ => (Real)random.Next(50)).ToArray(), 16, 9);
        model.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0, validationData: (validation, new Tensor(new Real[16], 16, 1)));

        var (inputs, _) = Expected("open_length_masked_lstm_gru_trained");
        var before = inputs.Select(input => model.Predict(input).Clone()).ToArray();
        string path = folder.File("trained.keras");
        model.Save(path);

        using (var zip = ZipFile.OpenRead(path))
        using (var reader = new StreamReader(zip.GetEntry("config.json")!.Open()))
        {
            var config = JsonNode.Parse(reader.ReadToEnd())!;
            Assert.Equal("[null,null]", config["config"]!["layers"]![0]!["config"]!["batch_shape"]!.ToJsonString());
            Assert.Equal("[null,null]", config["build_config"]!["input_shape"]!.ToJsonString());
        }
        using var reloaded = Sequential.Load(path);
        Assert.True(reloaded.HasOpenLength);
        for (int i = 0; i < inputs.Length; i++) AssertClose(before[i], reloaded.Predict(inputs[i]), 0);
    }
}
