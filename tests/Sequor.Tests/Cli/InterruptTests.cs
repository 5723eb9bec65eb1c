using System.Diagnostics;
using System.Text;
using Sequor.Tests.Formats;

namespace Sequor.Tests.Cli;

/// <summary>
/// Ctrl-C on the real CLI process at random moments: the best checkpoint must be byte for byte the one the last
/// completed epoch left (re-created by an uninterrupted run of exactly those epochs: training is deterministic),
/// or untouched when no epoch completed; exit 130, one line, no temporary file left.
/// </summary>
public sealed class InterruptTests
{
    private const string Sentinel = "checkpoint of an earlier run";

    [SkippableFact]
    public void CtrlCAtRandomMomentsLeavesTheCheckpointOfTheLastCompletedEpoch() => InterruptAtRandom("INT", trials: 22, seed: 18);

    private static void InterruptAtRandom(string signal, int trials, int seed)
    {
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "needs POSIX signals (kill -INT)");
        // Under this workplace's sandbox a signal from the test host does not reliably reach its child (ESRCH, or
        // delivered with no effect, while the same kill from a shell works): opt in where signals behave.
        Skip.IfNot(Environment.GetEnvironmentVariable("SEQUOR_INTERRUPT_TESTS") == "1",
            "the Ctrl-C test sends real signals to a child CLI; set SEQUOR_INTERRUPT_TESTS=1 to run it");
        string? cli = FindCli();
        Skip.If(cli is null, "the Release CLI (src/Sequor.Cli/bin/Release/net10.0/Sequor.Cli.dll) is not built");
        using var folder = new TempDirectory();
        string data = WriteReviews(folder.File("reviews.csv"));
        string[] Arguments(string checkpoint, string history, int epochs) =>
            ["train", "--model", "gru", "--data", data, "--num-words", "200", "--maxlen", "40", "--epochs", epochs.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--patience", "1000", "--threads", "1", "--checkpoint", checkpoint, "--history", history];

        var random = new Random(seed);
        var references = new Dictionary<int, byte[]>();
        int midTraining = 0;
        for (int trial = 0; trial < trials; trial++)
        {
            string checkpoint = folder.File($"trial{trial}.keras"), history = folder.File($"trial{trial}.csv");
            File.WriteAllText(checkpoint, Sentinel);
            // a shell that starts a job in the background (as CI's does) hands it SIGINT ignored, and .NET keeps an
            // inherited SIG_IGN: env --default-signal gives the CLI the disposition a terminal user's process has
            var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("--default-signal=INT,TERM");
            start.ArgumentList.Add("dotnet");
            start.ArgumentList.Add(cli!);
            foreach (var a in Arguments(checkpoint, history, 10_000)) start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            // CSVLogger creates the history when training begins: from then on, a random moment from early in the
            // first epoch to several epochs in
            WaitFor(() => File.Exists(history) || process.HasExited, 20_000);
            Thread.Sleep(random.Next(0, 1500));
            Assert.False(process.HasExited, $"trial {trial}: training ended before the interrupt: {stderr.Result}");
            Kill(process.Id, signal);
            Assert.True(process.WaitForExit(30_000), $"trial {trial}: still running 30 s after SIG{signal}");
            string error = stderr.Result;
            Assert.True(process.ExitCode == 130, $"trial {trial}: exit {process.ExitCode}: {error}\n{stdout.Result[^Math.Min(400, stdout.Result.Length)..]}");
            Assert.DoesNotContain("   at ", error);
            Assert.DoesNotContain("not in the epoch logs", error);
            Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp"));

            int completed = Math.Max(0, File.ReadAllLines(history).Length - 1);  // the header comes with the first epoch
            if (completed <= 0)
            {
                Assert.Equal(Sentinel, File.ReadAllText(checkpoint));
                continue;
            }
            midTraining++;
            if (!references.TryGetValue(completed, out var expected))
            {
                string reference = folder.File($"reference{completed}.keras");
                var (exit, _, referenceError) = CliRunner.Run(Arguments(reference, folder.File($"reference{completed}.csv"), completed));
                Assert.True(exit == 0, referenceError);
                references[completed] = expected = File.ReadAllBytes(reference);
            }
            Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(checkpoint)),
                $"trial {trial}: the checkpoint after SIG{signal} in epoch {completed + 1} is not the one epoch {completed} saved");
        }
        Assert.True(midTraining > 0 || trials < 5, "no interrupt landed after the first epoch");
    }

    private static void Kill(int pid, string signal)
    {
        if (SendSignal(pid, signal == "INT" ? 2 : 15) == 0) return;
        int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        // ESRCH for a child still running: a sandbox that does not let this test host signal its own children
        Skip.If(errno == 3, $"this environment does not let the test host signal its child process (kill: errno {errno})");
        Assert.Fail($"kill -{signal} {pid} failed (errno {errno})");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private static void WaitFor(Func<bool> condition, int milliseconds)
    {
        var clock = Stopwatch.StartNew();
        while (!condition() && clock.ElapsedMilliseconds < milliseconds) Thread.Sleep(10);
    }

    private static string WriteReviews(string path)
    {
        var random = new Random(5);
        string[] good = ["wonderful", "great", "superb"], bad = ["awful", "boring", "weak"];
        var csv = new StringBuilder("text,label\n");
        for (int i = 0; i < 1500; i++)
        {
            bool positive = random.Next(2) == 1;
            var words = Enumerable.Range(0, 40).Select(_ => random.NextDouble() < 0.1 ? (positive ? good : bad)[random.Next(3)] : "w" + random.Next(300));
            csv.Append(string.Join(' ', words)).Append(',').Append(positive ? "pos" : "neg").Append('\n');
        }
        File.WriteAllText(path, csv.ToString());
        return path;
    }

    private static string? FindCli()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Sequor.slnx")))
            {
                string dll = Path.Combine(dir.FullName, "src", "Sequor.Cli", "bin", "Release", "net10.0", "Sequor.Cli.dll");
                return File.Exists(dll) ? dll : null;
            }
        return null;
    }
}
