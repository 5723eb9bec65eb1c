using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Sequor.Data;
using Sequor.Tests.Formats;

namespace Sequor.Tests.Cli;

/// <summary>
/// <c>sequor export model.keras --format onnx</c> end to end: a text model trained by the CLI, exported, answers in
/// ONNX Runtime — from the vocabulary and labels the .onnx file carries alone — what <c>sequor predict</c> prints,
/// within 1e-5; a real Keras file exports too; bad arguments get one line and a non-zero exit.
/// </summary>
public sealed class ExportCommandTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sequor-export-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string File(string name) => Path.Combine(folder, name);

    private string TrainTextModel()
    {
        var random = new Random(4);
        string[] good = ["wonderful", "great", "superb"], bad = ["awful", "boring", "dreadful"], filler = ["the", "film", "plot", "and", "was", "story"];
        var csv = new System.Text.StringBuilder("review,sentiment\n");
        for (int i = 0; i < 200; i++)
        {
            bool positive = i % 2 == 0;
            var words = Enumerable.Range(0, random.Next(4, 25)).Select(_ => random.NextDouble() < 0.25 ? (positive ? good : bad)[random.Next(3)] : filler[random.Next(filler.Length)]);
            csv.Append(string.Join(' ', words)).Append(',').Append(positive ? "pos" : "neg").Append('\n');
        }
        System.IO.File.WriteAllText(File("reviews.csv"), csv.ToString());
        var (exit, _, error) = CliRunner.Run("train", "--model", "lstm", "--data", File("reviews.csv"), "--text-column", "review", "--label-column", "sentiment",
            "--num-words", "40", "--maxlen", "16", "--epochs", "2", "--checkpoint", File("text.keras"));
        Assert.True(exit == 0, error);
        return File("text.keras");
    }

    [Fact]
    public void ExportedTextModelAnswersInOnnxRuntimeAsSequorPredictDoes()
    {
        string model = TrainTextModel();
        var (exit, output, error) = CliRunner.Run("export", model, "--format", "onnx");
        Assert.True(exit == 0, error);
        string onnx = File("text.onnx");
        Assert.Equal($"wrote {onnx} (ONNX opset 17): input 'input' int64 token ids [batch, 16], output 'output' float [batch, 1]", output.Trim());

        string[] reviews = ["a wonderful film and a superb story", "boring and dreadful", "", "the plot was awful but the film was great"];
        System.IO.File.WriteAllLines(File("reviews.txt"), reviews);
        var (predictExit, printed, predictError) = CliRunner.Run("predict", model, "--input", File("reviews.txt"));
        Assert.True(predictExit == 0, predictError);
        var lines = printed.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // the .onnx file alone: its vectorizer turns the text into ids, its class names label the answer
        using var session = new InferenceSession(onnx);
        var metadata = session.ModelMetadata.CustomMetadataMap;
        var vectorizer = TextVectorizer.FromJson(JsonNode.Parse(metadata["vectorizer"]), "vectorizer");
        var names = JsonSerializer.Deserialize<string[]>(metadata["class_names"])!;
        Assert.Equal(["neg", "pos"], names);
        var ids = Sequences.PadToTensor(vectorizer.TransformEach(reviews), 16);
        var input = new DenseTensor<long>(ids.Span.ToArray().Select(v => (long)v).ToArray(), [reviews.Length, 16]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
        var scores = results.Single().AsTensor<float>().ToArray();
        for (int i = 0; i < reviews.Length; i++)
        {
            var fields = lines[i].Split('\t');
            Assert.True(Math.Abs(float.Parse(fields[0], CultureInfo.InvariantCulture) - scores[i]) <= OnnxRuntimeCheck.Tolerance, $"review {i}: predict {fields[0]}, ONNX Runtime {scores[i]}");
            Assert.Equal(fields[1], names[scores[i] > 0.5f ? 1 : 0]);
        }
    }

    [SkippableFact]
    public void ARealKerasFileExportsToTheGivenOutput()
    {
        const string file = "cnjxkdrk__hongong/best-gru-model.h5";
        var reference = RealKerasFileTests.Open(file);
        string target = Path.Combine(folder, "deploy", "gru.onnx");
        var (exit, output, error) = CliRunner.Run("export", reference.Path, "--format", "onnx", "--output", target);
        Assert.True(exit == 0, error);
        Assert.StartsWith($"wrote {target} (ONNX opset 17)", output);
        using var model = Sequential.Load(reference.Path);
        var x = reference.Inputs();
        OnnxRuntimeCheck.AssertClose(model.Predict(x), OnnxRuntimeCheck.Run(System.IO.File.ReadAllBytes(target), model, x), OnnxRuntimeCheck.Tolerance);
    }

    [Theory]
    [InlineData(new[] { "export", "missing.keras" }, "missing.keras", 1)]
    [InlineData(new[] { "export", "model.txt" }, "not a .keras/.h5 model file", 1)]
    [InlineData(new[] { "export", "m.keras", "--format", "tflite" }, "onnx", 2)]
    public void BadArgumentsGetOneLineAndANonZeroExit(string[] args, string mentioned, int code)
    {
        var (exit, output, error) = CliRunner.Run(args);
        Assert.Equal(code, exit);
        Assert.Empty(output);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(mentioned, error);
    }

    [Fact]
    public void ExportRefusesToOverwriteItsOwnModel()
    {
        var model = new Sequential(new Sequor.Layers.Embedding(10, 4), new Sequor.Layers.GRU(3));
        model.Build([5]);
        model.Save(File("m.keras"));
        var (exit, _, error) = CliRunner.Run("export", File("m.keras"), "--output", File("m.keras"));
        Assert.Equal(1, exit);
        Assert.Contains("would overwrite", error);
        Assert.NotNull(Sequential.Load(File("m.keras")));
    }
}
