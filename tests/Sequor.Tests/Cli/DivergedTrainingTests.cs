using Sequor.Tests.Formats;

namespace Sequor.Tests.Cli;

/// <summary>
/// Issue 18's <c>train --model lstm --lr 1e6</c>: it used to save all-NaN weights as the best checkpoint and exit 0.
/// On the real IMDB subset it diverges within two epochs: one line naming the epoch and batch, exit 1, and the
/// checkpoint an earlier run left is untouched (ModelCheckpoint also refuses an epoch that ended with NaN weights).
/// </summary>
public class DivergedTrainingTests
{
    [SkippableTheory]
    [InlineData("rmsprop")]
    [InlineData("sgd")]
    public void TrainingWithAHugeLearningRateStopsWithANaNMessageAndLeavesTheCheckpoint(string optimizer)
    {
        string? data = SharedData.File("data", "imdb-subset", "imdb_subset.npz");
        Skip.If(data is null || !File.Exists(data), "needs ../shared/data/imdb-subset/imdb_subset.npz (the real IMDB subset)");
        using var folder = new TempDirectory();
        string checkpoint = folder.File("best.keras");
        File.WriteAllText(checkpoint, "the checkpoint of an earlier, good run");
        var (exit, _, error) = CliRunner.Run("train", "--model", "lstm", "--data", data!, "--lr", "1e6", "--optimizer", optimizer,
            "--epochs", "3", "--seed", "18", "--checkpoint", checkpoint);
        Assert.Equal(1, exit);
        Assert.Matches(@"the loss became (NaN|-?Infinity|∞|-∞) at epoch \d+, batch \d+", error);
        Assert.DoesNotContain("   at ", error);
        Assert.Equal("the checkpoint of an earlier, good run", File.ReadAllText(checkpoint));
        Assert.Equal(["best.keras"], Directory.GetFiles(folder.Path).Select(p => Path.GetFileName(p)!).ToArray());
    }
}
