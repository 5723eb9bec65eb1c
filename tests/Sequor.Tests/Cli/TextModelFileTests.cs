using System.Diagnostics;
using System.Globalization;
using System.Text;
using Sequor.Cli;
using Sequor.Data;

namespace Sequor.Tests.Cli;

/// <summary>
/// A text model is one <c>.keras</c> file: its class names and vectorizer travel inside the archive, predict on raw
/// text needs nothing else, a line's score does not depend on the other lines, and real Keras opens the file.
/// </summary>
public sealed class TextModelFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sequor-textmodel-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static readonly string[] Good = ["wonderful", "great", "superb", "moving"], Bad = ["awful", "boring", "dreadful", "weak"],
        Filler = ["the", "film", "plot", "actor", "scene", "story", "and", "was"];

    private string WriteReviews(string name, int count, int seed)
    {
        var random = new Random(seed);
        var csv = new StringBuilder("review,sentiment\n");
        for (int i = 0; i < count; i++)
        {
            bool positive = i % 2 == 0;
            var words = Enumerable.Range(0, random.Next(5, 30)).Select(_ => random.NextDouble() < 0.2 ? (positive ? Good : Bad)[random.Next(4)] : Filler[random.Next(Filler.Length)]);
            csv.Append('"').Append(string.Join(' ', words)).Append("\",").Append(positive ? "pos" : "neg").Append('\n');
        }
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, csv.ToString());
        return path;
    }

    private string TrainTextModel(string name = "text.keras")
    {
        string data = WriteReviews("reviews.csv", 300, 3);
        string checkpoint = Path.Combine(folder, name);
        var (exit, _, error) = CliRunner.Run("train", "--model", "gru", "--data", data, "--text-column", "review", "--label-column", "sentiment",
            "--num-words", "50", "--maxlen", "20", "--epochs", "8", "--optimizer", "adam", "--lr", "0.01", "--checkpoint", checkpoint);
        Assert.True(exit == 0, error);
        return checkpoint;
    }

    private static string[] Predict(string model, string input)
    {
        var (exit, output, error) = CliRunner.Run("predict", model, "--input", input);
        Assert.True(exit == 0, error);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void ATextModelIsOneKerasFileThatPredictsOnRawTextAlone()
    {
        string checkpoint = TrainTextModel();
        Assert.Empty(Directory.GetFiles(folder, "*.json"));
        // the file alone, in a folder of its own
        string alone = Path.Combine(Directory.CreateDirectory(Path.Combine(folder, "alone")).FullName, "model.keras");
        File.Copy(checkpoint, alone);
        string input = Path.Combine(folder, "new.txt");
        File.WriteAllLines(input, ["a wonderful superb film", "an awful boring dreadful plot"]);
        var lines = Predict(alone, input);
        Assert.EndsWith("\tpos", lines[0]);
        Assert.EndsWith("\tneg", lines[1]);

        using var model = Sequential.Load(alone);
        Assert.Equal(["neg", "pos"], model.ClassNames!);
        Assert.NotNull(model.Vectorizer);
        var scores = model.Predict(["a wonderful superb film", "an awful boring dreadful plot"]);
        Assert.True(scores[0] > 0.5f && scores[1] < 0.5f, $"{scores[0]}, {scores[1]}");
        Assert.Equal(lines[0].Split('\t')[0], scores[0].ToString("R", CultureInfo.InvariantCulture));
    }

    [Fact]
    public void PredictOnTextGivesOneLinePerInputLineAndALineScoresTheSameAloneOrAmongLongerLines()
    {
        string checkpoint = TrainTextModel();
        string line = "a great film";
        string alone = Path.Combine(folder, "alone.txt"), among = Path.Combine(folder, "among.txt"), empty = Path.Combine(folder, "empty.txt");
        File.WriteAllLines(alone, [line]);
        string longer = string.Join(' ', Enumerable.Repeat("the plot was boring and the actor was weak", 8));
        File.WriteAllLines(among, [longer, "", line, longer + " " + longer, "   "]);
        File.WriteAllLines(empty, [""]);
        var one = Predict(checkpoint, alone);
        var many = Predict(checkpoint, among);
        var blank = Predict(checkpoint, empty);
        Assert.Single(one);
        Assert.Equal(5, many.Length);
        Assert.Equal(one[0], many[2]);
        // a blank line is the empty text: all padding, and its own prediction
        Assert.Equal(blank[0], many[1]);
        Assert.Equal(blank[0], many[4]);
    }

    /// <summary>
    /// Two trainings on one checkpoint path, and stale side files from an older run beside it: the file always
    /// pairs its weights with the class names of the run that wrote them, because both are one atomic write.
    /// </summary>
    [Fact]
    public void ACheckpointCarriesTheClassNamesOfTheRunThatWroteItsWeights()
    {
        string checkpoint = Path.Combine(folder, "shared.keras");
        new ModelMetadata(["stale-a", "stale-b", "stale-c"], 20, 50, null).Save(checkpoint);
        string three = Path.Combine(folder, "three.csv");
        File.WriteAllText(three, "review,sentiment\n" + string.Concat(Enumerable.Range(0, 60).Select(i => $"\"{Good[i % 4]} {Filler[i % 8]}\",{new[] { "x", "y", "z" }[i % 3]}\n")));
        Assert.Equal(0, CliRunner.Run("train", "--model", "gru", "--data", three, "--text-column", "review", "--label-column", "sentiment",
            "--num-words", "50", "--maxlen", "20", "--epochs", "1", "--checkpoint", checkpoint).Exit);
        using (var first = Sequential.Load(checkpoint)) Assert.Equal(["x", "y", "z"], first.ClassNames!);
        TrainTextModel("shared.keras");
        using var second = Sequential.Load(checkpoint);
        Assert.Equal(["neg", "pos"], second.ClassNames!);
        Assert.Equal(1, second.OutputShape[^1]);
        string input = Path.Combine(folder, "new.txt");
        File.WriteAllLines(input, ["a wonderful superb film"]);
        Assert.Matches(@"\t(neg|pos)$", Predict(checkpoint, input)[0]);
    }

    [Fact]
    public void OldSideFilesBesideAKerasFileAreStillRead()
    {
        string checkpoint = TrainTextModel();
        using var model = Sequential.Load(checkpoint);
        var vectorizer = model.Vectorizer!;
        string old = Path.Combine(folder, "old.keras");
        model.Vectorizer = null;
        model.ClassNames = null;
        model.Save(old);
        new ModelMetadata(["neg", "pos"], 20, 50, vectorizer).Save(old);
        string input = Path.Combine(folder, "new.txt");
        File.WriteAllLines(input, ["a wonderful superb film"]);
        Assert.Equal(Predict(checkpoint, input), Predict(old, input));
    }

    [Fact]
    public void EvaluateRefusesTextForAnIdsModelAndIdsForATextModel()
    {
        string textModel = TrainTextModel();
        string ids = SyntheticImdb.Write(folder);
        string idsModel = Path.Combine(folder, "ids.keras");
        Assert.Equal(0, CliRunner.Run("train", "--model", "gru", "--data", ids, "--num-words", "100", "--epochs", "1", "--checkpoint", idsModel).Exit);
        string csv = WriteReviews("test.csv", 20, 5);
        foreach (var (model, data, says) in new[] { (idsModel, csv, "reads token ids"), (textModel, ids, "trained on raw text") })
        {
            var (exit, _, error) = CliRunner.Run("evaluate", model, "--data", data, "--text-column", "review", "--label-column", "sentiment");
            Assert.NotEqual(0, exit);
            Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(says, error);
        }
        var (okExit, evaluation, okError) = CliRunner.Run("evaluate", textModel, "--data", csv, "--text-column", "review", "--label-column", "sentiment");
        Assert.True(okExit == 0, okError);
        Assert.StartsWith("20 samples", evaluation);
    }

    [Fact]
    public void DataStatsOnTextReportsTheRealTokenLengths()
    {
        string data = Path.Combine(folder, "lengths.csv");
        File.WriteAllText(data, "text,label\none,0\n\"one two three\",1\n\"a b c d e f g h i j\",0\none two,1\nx y z w,0\n");
        var (exit, output, error) = CliRunner.Run("data", "stats", "--data", data);
        Assert.True(exit == 0, error);
        var dataset = Dataset.Load(data, 500, new CliOptions(TextWriter.Null, TextWriter.Null, terminal: false, CancellationToken.None));
        var (train, _) = dataset.SplitValidation(0.2);
        var expected = train.X.Select(x => x.Length).ToArray();
        Assert.Equal(4, expected.Length);
        Assert.Contains($"min     {expected.Min()}\n", output.Replace("\r", ""));
        Assert.Contains($"max     {expected.Max()}\n", output.Replace("\r", ""));
        Assert.NotEqual(expected.Min(), expected.Max());
        Assert.All(train.X, row => Assert.DoesNotContain(0, row));
    }

    private static string KerasPython => Path.Combine(SharedData.Root ?? "/nonexistent", "tools", "keras", "keras-python");

    [SkippableFact]
    public void RealKerasLoadsATextModelFileAndPredictsTheSameNumbers()
    {
        Skip.If(!File.Exists(KerasPython), "../shared/tools/keras/keras-python is absent: real Keras is not here");
        // Keras 3.15.1 on numpy needs scipy; Keras 3.6.0 on torch is the other real Keras the tool offers
        bool torch = false;
        var probe = Formats.RealKeras.Run(KerasPython, torch, "-c", "import numpy, h5py, keras");
        if (probe.Exit != 0) probe = Formats.RealKeras.Run(KerasPython, torch = true, "-c", "import numpy, h5py, keras");
        Skip.If(probe.Exit != 0, $"real Keras cannot start here (numpy, h5py, scipy or torch missing?): {probe.Error.Trim().Split('\n')[^1]}");
        string checkpoint = TrainTextModel();
        using var model = Sequential.Load(checkpoint);
        var x = model.Vectorize(["a wonderful superb film", "an awful boring dreadful plot", ""]);
        var expected = model.Predict(x);
        string ids = string.Join(";", Enumerable.Range(0, 3).Select(r => string.Join(",", x.Span.Slice(r * 20, 20).ToArray().Select(v => ((int)v).ToString(CultureInfo.InvariantCulture)))));
        string script = $"import numpy, keras\nm = keras.saving.load_model('{checkpoint}')\n"
            + $"x = numpy.array([[int(v) for v in r.split(',')] for r in '{ids}'.split(';')])\n"
            + "print(' '.join(repr(float(v)) for v in m.predict(x, verbose=0).ravel()))\n";
        var (exit, output, error) = Formats.RealKeras.Run(KerasPython, torch, "-c", script);
        Assert.True(exit == 0, error);
        var keras = output.Trim().Split('\n')[^1].Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(3, keras.Length);
        for (int i = 0; i < 3; i++) Assert.True(Math.Abs(keras[i] - expected[i]) < 1e-5, $"row {i}: Keras {keras[i]}, Sequor {expected[i]}");
    }
}
