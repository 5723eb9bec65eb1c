using Sequor.Data;
using Sequor.Tests.Formats;

namespace Sequor.Tests.Cli;

/// <summary>
/// <c>Dataset.cs</c> and <c>evaluate</c> on labels a classifier cannot use: one line naming the label, exit 1, never
/// an IndexOutOfRangeException (the 1/2, 0/5, single-class and one-row CSVs, an npz whose x and y differ).
/// </summary>
public class DatasetValidationTests
{
    private static string Csv(TempDirectory folder, params string[] labels)
    {
        string path = folder.File("labels.csv");
        File.WriteAllLines(path, ["text,label", .. labels.Select((l, i) => $"review number {i} is {(i % 2 == 0 ? "good" : "bad")},{l}")]);
        return path;
    }

    private static string TrainFails(string data, string expected)
    {
        var (exit, _, error) = CliRunner.Run("train", "--model", "gru", "--data", data, "--epochs", "1", "--num-words", "50", "--maxlen", "10");
        Assert.Equal(1, exit);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("   at ", error);
        Assert.Single(error.Trim().Split('\n'), l => l.StartsWith("sequor: ", StringComparison.Ordinal) || l.Contains(expected));
        return error;
    }

    [Fact]
    public void LabelsOneAndTwoAreRefusedBecauseClassZeroHasNoExample()
    {
        using var folder = new TempDirectory();
        TrainFails(Csv(folder, Enumerable.Range(0, 20).Select(i => i % 2 == 0 ? "1" : "2").ToArray()), "class '0' has no example");
    }

    [Fact]
    public void LabelsZeroAndFiveAreRefusedNamingTheMissingClass()
    {
        using var folder = new TempDirectory();
        TrainFails(Csv(folder, Enumerable.Range(0, 20).Select(i => i % 2 == 0 ? "0" : "5").ToArray()), "class '1' has no example");
    }

    [Fact]
    public void ASingleClassIsRefused()
    {
        using var folder = new TempDirectory();
        TrainFails(Csv(folder, Enumerable.Repeat("pos", 20).ToArray()), "every label is 'pos'");
    }

    [Fact]
    public void OneRowIsRefused()
    {
        using var folder = new TempDirectory();
        TrainFails(Csv(folder, "pos"), "has 1 labelled example; training needs at least two");
    }

    [Fact]
    public void AnEmptyLabelIsRefusedNotMadeAThirdClass()
    {
        using var folder = new TempDirectory();
        TrainFails(Csv(folder, "pos", "neg", "", "pos"), "record 4 has an empty label");
    }

    private static string Npz(TempDirectory folder, int[][] x, long[] y)
    {
        string path = folder.File("arrays.npz");
        NpzArchive.Write(path, new Dictionary<string, NpyArray>
        {
            ["arr_0"] = NpyArray.FromSequences(x),
            ["arr_1"] = NpyArray.FromArray(y),
        });
        return path;
    }

    [Fact]
    public void AnNpzWhoseSequencesAndLabelsDifferInLengthIsRefused()
    {
        using var folder = new TempDirectory();
        var x = Enumerable.Range(0, 10).Select(i => new[] { 1, 2, 3 + i }).ToArray();
        TrainFails(Npz(folder, x, [0, 1, 0, 1, 0, 1, 0, 1]), "arr_0 has 10 sequences but arr_1 has 8 labels");
    }

    [Fact]
    public void AnNpzLabelOtherThanZeroOrOneIsRefusedNamingItsRow()
    {
        using var folder = new TempDirectory();
        var x = Enumerable.Range(0, 4).Select(i => new[] { 1, 2, 3 + i }).ToArray();
        TrainFails(Npz(folder, x, [0, 1, 7, 1]), "arr_1: label 7 at row 2; expected 0 (negative) or 1 (positive)");
    }

    [Fact]
    public void EvaluateOfATextModelOnACsvWithNumericLabelsGivesLossAndAccuracy()
    {
        // EvaluateCommand.cs:48 indexed class names by label value and crashed on 1/2-style labels
        using var folder = new TempDirectory();
        string train = Csv(folder, Enumerable.Range(0, 40).Select(i => (i % 2).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        string model = folder.File("m.keras");
        var (exit, _, error) = CliRunner.Run("train", "--model", "gru", "--data", train, "--epochs", "1", "--num-words", "50", "--maxlen", "10", "--checkpoint", model);
        Assert.True(exit == 0, error);
        var (evalExit, output, evalError) = CliRunner.Run("evaluate", model, "--data", train);
        Assert.True(evalExit == 0, evalError);
        Assert.Contains("40 samples - loss: ", output);

        string unknown = folder.File("unknown.csv");
        File.WriteAllLines(unknown, ["text,label", "good,1", "bad,2"]);
        (evalExit, _, evalError) = CliRunner.Run("evaluate", model, "--data", unknown);
        Assert.Equal(1, evalExit);
        Assert.Contains("labels '2' are not among the model's classes", evalError);
    }
}
