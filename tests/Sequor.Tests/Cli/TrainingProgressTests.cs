using System.Diagnostics;
using Sequor.Cli;
using Sequor.Training;

namespace Sequor.Tests.Cli;

/// <summary>The CLI's training console (TrainingProgress): what a person sees on a terminal and in a log file.</summary>
public class TrainingProgressTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sequor-progress-").FullName;
    private readonly Sequential model = new([new Sequor.Layers.Dense(1)], seed: 1);

    public void Dispose()
    {
        model.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    private static Dictionary<string, double> Running(double loss, double accuracy) => new() { ["loss"] = loss, ["accuracy"] = accuracy };

    [Fact]
    public void OnATerminalTheLineShowsEpochStepsRunningValuesElapsedAndEta()
    {
        double now = 0;
        var output = new StringWriter();
        ICallback progress = new TrainingProgress("lstm", 100, 313, output, terminal: true, () => now);
        progress.OnEpochBegin(model, 2);
        now = 2;
        progress.OnTrainBatchEnd(model, 186, Running(0.65123, 0.61204));
        now = 3.2;
        progress.OnTrainBatchEnd(model, 312, Running(0.64891, 0.61533));
        progress.OnEpochEnd(model, 2, new Dictionary<string, double> { ["loss"] = 0.64891, ["accuracy"] = 0.61533, ["val_loss"] = 0.64012, ["val_accuracy"] = 0.641 });

        var frames = output.ToString().Split('\r', StringSplitOptions.RemoveEmptyEntries).Select(f => f.TrimEnd()).ToArray();
        Assert.Equal("lstm  epoch   3/100    0/313 [>                   ]", frames[0]);
        Assert.Equal("lstm  epoch   3/100  187/313 [===========>        ] loss: 0.6512 - accuracy: 0.6120  2s, ETA 1s", frames[1]);
        Assert.Equal("lstm  epoch   3/100  313/313 [====================] loss: 0.6489 - accuracy: 0.6153  3s, validating…", frames[2]);
        Assert.Equal("lstm  epoch   3/100  313/313  3s 10ms/step - loss: 0.6489 - accuracy: 0.6153 - val_loss: 0.6401 - val_accuracy: 0.6410", frames[3]);
        Assert.EndsWith("\n", output.ToString());
        Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));  // one line kept per epoch
    }

    [Fact]
    public void RedirectedItWritesOneLinePerEpochAndNothingElse()
    {
        double now = 0;
        var output = new StringWriter();
        ICallback progress = new TrainingProgress("gru", 3, 50, output, terminal: false, () => now);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            progress.OnEpochBegin(model, epoch);
            for (int step = 0; step < 50; step++) { now += 0.5; progress.OnTrainBatchEnd(model, step, Running(0.5, 0.75)); }
            progress.OnEpochEnd(model, epoch, new Dictionary<string, double> { ["loss"] = 0.5, ["accuracy"] = 0.75, ["val_loss"] = 0.55, ["val_accuracy"] = 0.7 });
        }
        progress.OnTrainEnd(model);
        string text = output.ToString();
        Assert.DoesNotContain('\r', text);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["gru  epoch 1/3  50/50", "gru  epoch 2/3  50/50", "gru  epoch 3/3  50/50"], lines.Select(l => l[..(l.IndexOf("50/50", StringComparison.Ordinal) + 5)]));
        Assert.All(lines, l => Assert.EndsWith("- loss: 0.5000 - accuracy: 0.7500 - val_loss: 0.5500 - val_accuracy: 0.7000", l));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AnInterruptedEpochIsSaidToBeUnrecordedNeverShownAsFinished(bool terminal)
    {
        var output = new StringWriter();
        ICallback progress = new TrainingProgress("lstm", 10, 313, output, terminal, () => 1);
        progress.OnEpochBegin(model, 0);
        progress.OnEpochEnd(model, 0, new Dictionary<string, double> { ["loss"] = 0.69 });
        progress.OnEpochBegin(model, 1);
        for (int step = 0; step < 40; step++) progress.OnTrainBatchEnd(model, step, Running(0.6, 0.7));
        progress.OnTrainEnd(model);  // Fit after Ctrl-C: no OnEpochEnd for epoch 2
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\r')[^1].TrimEnd()).ToArray();
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("lstm  epoch  1/10  313/313", lines[0]);
        Assert.Equal("lstm  epoch  2/10   40/313  interrupted: this epoch is not recorded", lines[1]);
    }

    [SkippableFact]
    public void UnderAPseudoTerminalTheCliRedrawsTheLineAndKeepsOneLinePerEpoch()
    {
        string cli = typeof(SequorCli).Assembly.Location;
        Skip.If(!File.Exists("/usr/bin/script"), "util-linux's script is not installed: no pseudo-terminal to run the CLI in");
        string data = SyntheticImdb.Write(folder, train: 600, test: 50);
        string command = $"dotnet '{cli}' train --model lstm --data '{data}' --epochs 2 --num-words 50 --maxlen 40 --checkpoint '{Path.Combine(folder, "best.keras")}' --threads 1";
        var start = new ProcessStartInfo("/usr/bin/script") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-qfec", command, "/dev/null" }) start.ArgumentList.Add(a);
        start.Environment["HOME"] = folder;
        start.Environment["SEQUOR_HOME"] = folder;
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Skip.If(output.Length == 0 && error.Contains("script"), $"script cannot open a pseudo-terminal here: {error.Trim()}");
        Assert.True(process.ExitCode == 0, output + error);
        // the line was redrawn in place (\r) while each finished epoch stayed as its own line
        Assert.Contains("\r", output);
        var kept = output.Split('\n').Select(l => l.Split('\r', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.TrimEnd() ?? "").ToArray();
        Assert.Contains(kept, l => l.StartsWith("lstm  epoch 1/2  8/8  ", StringComparison.Ordinal) && l.Contains("val_accuracy: "));
        Assert.Contains(kept, l => l.StartsWith("lstm  epoch 2/2  8/8  ", StringComparison.Ordinal) && l.Contains("val_accuracy: "));
        Assert.Contains(output.Split('\r'), f => f.Contains("/8 [") && f.Contains("loss: ") && f.Contains("accuracy: "));
    }
}
