using System.Text.RegularExpressions;

namespace Sequor.Tests.Cli;

public class ReproduceCommandTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sequor-reproduce-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void ReproduceRunsTheChapterAndWritesAReportWithSixModelsAndValidPngs()
    {
        string data = SyntheticImdb.Write(folder);
        string output = Path.Combine(folder, "out");
        var (exit, stdout, stderr) = CliRunner.Run("reproduce", "--data", data, "--out", output, "--epochs", "2", "--threads", "2");
        Assert.True(exit == 0, $"exit {exit}: {stderr}");

        var report = File.ReadAllText(Path.Combine(output, "report.md"));
        var rows = report.Split('\n').Where(l => Regex.IsMatch(l, @"^\| (simplernn-onehot|embedding-simplernn|lstm|lstm-dropout|lstm-2layer|gru) \|")).ToArray();
        Assert.Equal(6, rows.Length);
        Assert.Contains("| model | num_words | params | epochs run | best epoch | val loss | val accuracy | s/epoch | notebook epochs run | notebook best epoch | notebook val loss | notebook val accuracy | notebook s/epoch | curves |", report);
        foreach (var row in rows)
        {
            var cells = row.Split('|', StringSplitOptions.TrimEntries);
            Assert.Matches(@"^(300|500)$", cells[2]);                       // num_words
            Assert.Matches(@"^[\d,]+$", cells[3]);                          // params
            Assert.Equal("2", cells[4]);                                    // epochs run
            Assert.Matches(@"^[12]$", cells[5]);                            // best epoch
            Assert.Matches(@"^\d\.\d{4}$", cells[6]);                       // val loss
            Assert.Matches(@"^\d\.\d{4}( \(chance\))?$", cells[7]);          // val accuracy, flagged at chance level
            Assert.Matches(@"^\d+\.\d{2}$", cells[8]);                      // seconds per epoch
            // the notebook's figures, each in its own column and in the same units
            Assert.Matches(@"^\d+$", cells[9]);
            Assert.Matches(@"^\d+$", cells[10]);
            Assert.Matches(@"^0\.\d{4}$", cells[11]);
            Assert.Matches(@"^0\.\d{4}$", cells[12]);
            Assert.Matches(@"^\d+$", cells[13]);
            // a model at chance level is named in the note under the table, and only then
            Assert.Equal(cells[7].EndsWith("(chance)", StringComparison.Ordinal), report.Contains($"\n- {cells[1]}: best val accuracy {cells[7][..6]} against ", StringComparison.Ordinal));
        }
        Assert.Contains("320 training and 80 validation reviews after `train_test_split(test_size=0.2, random_state=42)`, 120 test reviews", report);
        Assert.Contains("| lstm | 500 | 8,809 |", report);
        Assert.Contains("| simplernn-onehot | 300 | 2,481 |", report);
        Assert.Contains("## Test set", report);
        Assert.Contains("test (120 reviews), best 2-layer LSTM", stdout);

        var images = Regex.Matches(report, @"\(([\w-]+\.png)\)").Select(m => m.Groups[1].Value).Distinct().ToArray();
        Assert.Equal(13, images.Length);  // the histogram and two curves per model
        foreach (var image in images) AssertPng(Path.Combine(output, image));
        Assert.True(File.Exists(Path.Combine(output, "best-2rnn-model.keras")));
    }

    [Fact]
    public void AReproduceThatFailsOnItsDataLeavesNoOutputFolder()
    {
        string output = Path.Combine(folder, "out");
        var (exit, _, _) = CliRunner.Run("reproduce", "--data", Path.Combine(folder, "missing.npz"), "--out", output);
        Assert.Equal(1, exit);
        Assert.False(Directory.Exists(output));
    }

    internal static void AssertPng(string path)
    {
        Assert.True(File.Exists(path), $"{path} is missing");
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        int width = (bytes[16] << 24) | (bytes[17] << 16) | (bytes[18] << 8) | bytes[19];
        int height = (bytes[20] << 24) | (bytes[21] << 16) | (bytes[22] << 8) | bytes[23];
        Assert.True(width > 100 && height > 100, $"{path}: {width}x{height}");
    }
}
