using System.Globalization;
using Sequor.Tests.Formats;
using Sequor.Tests.Models;

namespace Sequor.Tests.Cli;

/// <summary>The <c>sequor</c> commands on a Keras model of open length (<c>Input(shape=(None,))</c>), saved by Keras 3.6.0.</summary>
public class OpenLengthCliTests
{
    private const string Name = "open_length_masked_lstm_gru_trained";

    private static string Fixture(string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Keras", "Summary", file);

    [Fact]
    public void SummaryPrintsKerassTableWithNoneForTheTimeAxis()
    {
        var (exit, output, error) = CliRunner.Run("summary", Fixture(Name + ".keras"));
        Assert.True(exit == 0, error);
        Assert.Equal(File.ReadAllText(Fixture(Name + ".summary.txt")), output);
        Assert.Contains("(None, None, 8)", output);
    }

    /// <summary>
    /// Ids of two lengths in one file: the rows are pre-padded to the longest, as pad_sequences does; the model masks
    /// the padding, so the short row gets what Keras gives it at its own length.
    /// </summary>
    [Fact]
    public void PredictTakesTheLengthOfItsInput()
    {
        using var folder = new TempDirectory();
        var (inputs, outputs) = OpenLengthTests.Expected(Name);
        int[] Row(Tensor t, int r) => t.Span.Slice(r * t.Dim(1), t.Dim(1)).ToArray().Select(v => (int)v).ToArray();
        string input = folder.File("ids.json");
        File.WriteAllText(input, $"[[{string.Join(",", Row(inputs[0], 1))}],[{string.Join(",", Row(inputs[1], 1))}]]");
        var (exit, output, error) = CliRunner.Run("predict", Fixture(Name + ".keras"), "--input", input);
        Assert.True(exit == 0, error);
        var values = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => float.Parse(l, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(2, values.Length);
        Assert.Equal(outputs[0].Span[1], values[0], 1e-5f);
        Assert.Equal(outputs[1].Span[1], values[1], 1e-5f);
    }

    [Fact]
    public void ExportWritesOneOnnxFileForEveryLengthAndSaysSo()
    {
        using var folder = new TempDirectory();
        string onnx = folder.File("open.onnx");
        var (exit, output, error) = CliRunner.Run("export", Fixture(Name + ".keras"), "--output", onnx);
        Assert.True(exit == 0, error);
        Assert.Equal($"wrote {onnx} (ONNX opset 17): input 'input' int64 token ids [batch, time], output 'output' float [batch, 1]", output.Trim());
        using var model = Sequential.Load(Fixture(Name + ".keras"));
        var (inputs, outputs) = OpenLengthTests.Expected(Name);
        var file = File.ReadAllBytes(onnx);
        for (int i = 0; i < inputs.Length; i++)
            OnnxRuntimeCheck.AssertClose(outputs[i], OnnxRuntimeCheck.Run(file, model, inputs[i]), OnnxRuntimeCheck.Tolerance);
    }

    [Fact]
    public void TrainTakesMaxlenAndTheCheckpointStaysOpenAndReadsAndEvaluatesTextAtThatLength()
    {
        using var folder = new TempDirectory();
        var random = new Random(3);
        string[] good = ["wonderful", "great", "superb"], bad = ["awful", "boring", "dreadful"], filler = ["the", "film", "plot", "actor", "scene", "and"];
        var csv = new System.Text.StringBuilder("text,label\n");
        for (int i = 0; i < 120; i++)
        {
            bool positive = i % 2 == 0;
            var words = Enumerable.Range(0, random.Next(5, 30)).Select(_ => random.NextDouble() < 0.2 ? (positive ? good : bad)[random.Next(3)] : filler[random.Next(filler.Length)]);
            csv.Append(string.Join(' ', words)).Append(',').Append(positive ? "pos" : "neg").Append('\n');
        }
        string data = folder.File("reviews.csv"), checkpoint = folder.File("open.keras");
        File.WriteAllText(data, csv.ToString());
        var (exit, output, error) = CliRunner.Run("train", "--model", Fixture(Name + ".keras"), "--data", data, "--num-words", "50", "--maxlen", "12",
            "--epochs", "2", "--checkpoint", checkpoint);
        Assert.True(exit == 0, error);
        Assert.Contains("sequences of length 12", error + output);

        using (var model = Sequential.Load(checkpoint))
        {
            Assert.True(model.HasOpenLength);
            Assert.Equal(12, model.Maxlen);
            Assert.Equal(12, model.Vectorize(["a great film"]).Dim(1));
        }
        var (summaryExit, summary, _) = CliRunner.Run("summary", checkpoint);
        Assert.Equal(0, summaryExit);
        Assert.Contains("│ embedding_4 (Embedding)         │ (None, None, 8)        │           400 │", summary);
        Assert.Contains(" Optimizer params: 735 (2.87 KB)", summary);

        string reviews = folder.File("new.txt");
        File.WriteAllLines(reviews, ["a wonderful superb film", "an awful boring plot"]);
        var (predictExit, predictions, predictError) = CliRunner.Run("predict", checkpoint, "--input", reviews);
        Assert.True(predictExit == 0, predictError);
        var lines = predictions.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Matches(@"^[0-9.E-]+\t(pos|neg)$", l));

        var (evaluateExit, evaluation, evaluateError) = CliRunner.Run("evaluate", checkpoint, "--data", data);
        Assert.True(evaluateExit == 0, evaluateError);
        Assert.Matches(@"^120 samples - loss: \d\.\d{4} - accuracy: \d\.\d{4}", evaluation);
    }
}
