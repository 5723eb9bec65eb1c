using System.Diagnostics;
using System.Text;
using Sequor.Tests.Formats;

namespace Sequor.Tests.Cli;

/// <summary>
/// Ctrl-C (and SIGTERM) on the real CLI process at random moments: the best checkpoint must be byte for byte the one
/// the last completed epoch left (re-created by an uninterrupted run of exactly those epochs: training is
/// deterministic), or untouched when no epoch completed; exit 130, one line, no temporary file left.
/// </summary>
/// <remarks>
/// The moment is chosen by the run's own progress: the test reads the child's status line and "epoch k/N" lines and signals a random
/// few milliseconds after the k-th. An earlier version looked as if this host could not signal its child (no effect,
/// or ESRCH); in fact an assertion message that read <c>stderr.Result</c> was built eagerly, which waited for the
/// child's end, so every signal reached a process that had already finished (a zombie, or reaped).
/// </remarks>
public sealed class InterruptTests
{
    private const string Sentinel = "checkpoint of an earlier run";

    [SkippableFact]
    public void CtrlCOrSigtermAtRandomMomentsLeavesTheCheckpointOfTheLastCompletedEpoch() => InterruptAtRandom(trials: 22, seed: 18);

    private static void InterruptAtRandom(int trials, int seed)
    {
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "needs POSIX signals (kill -INT)");
        string? cli = FindCli();
        Skip.If(cli is null, "the Release CLI (src/Sequor.Cli/bin/Release/net10.0/Sequor.Cli.dll) is not built");
        using var folder = new TempDirectory();
        string data = WriteReviews(folder.File("reviews.csv"));
        string[] Arguments(string checkpoint, string history, int epochs) =>
            ["train", "--model", "gru", "--data", data, "--num-words", "200", "--maxlen", "40", "--epochs", epochs.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--patience", "100000", "--threads", "1", "--checkpoint", checkpoint, "--history", history];

        var random = new Random(seed);
        var references = new Dictionary<int, byte[]>();
        int midTraining = 0, firstEpoch = 0;
        for (int trial = 0; trial < trials; trial++)
        {
            string signal = trial % 4 == 3 ? "TERM" : "INT";
            string checkpoint = folder.File($"trial{trial}.keras"), history = folder.File($"trial{trial}.csv");
            File.WriteAllText(checkpoint, Sentinel);
            // few enough epochs that a lost signal ends the run in seconds, not minutes
            using var process = Start(cli!, Arguments(checkpoint, history, 300));
            using var cleanup = new KillOnDispose(process);
            // the status line before the first epoch: the data are loaded, training begins (signal handlers were
            // registered when the CLI started, long before)
            var before = new StringBuilder();
            string? status;
            while ((status = process.StandardError.ReadLine()) is not null)
            {
                before.AppendLine(status);
                if (status.Contains("sequences of length", StringComparison.Ordinal)) break;
            }
            if (status is null) Assert.Fail($"trial {trial}: the CLI ended before training: {before}");
            var rest = process.StandardError.ReadToEndAsync();
            var stderr = rest.ContinueWith(t => before + t.Result, TaskScheduler.Default);
            // redirected, the CLI prints a line as each epoch ends: epoch k is the one after line k − 1
            int epoch = 1 + random.Next(4);
            string? line = "";
            var seen = new StringBuilder();
            var ended = new System.Text.RegularExpressions.Regex($@"\bepoch\s+{epoch - 1}/");
            while (epoch > 1 && (line = process.StandardOutput.ReadLine()) is not null)
            {
                seen.AppendLine(line);
                if (ended.IsMatch(line)) break;
            }
            // (a message holding stderr.Result must only be built on failure: it waits for the child to end)
            if (line is null) Assert.Fail($"trial {trial}: the CLI ended before epoch {epoch}: {stderr.Result}\n{seen}");
            var stdout = process.StandardOutput.ReadToEndAsync();
            // an epoch of this model takes ~10-40 ms: anywhere from its first batch to past its end
            Thread.Sleep(epoch == 1 && trial % 2 == 0 ? 0 : random.Next(0, 40));
            Kill(process.Id, signal);
            Assert.True(process.WaitForExit(30_000), $"trial {trial}: still running 30 s after SIG{signal}");
            string error = stderr.Result;
            if (process.ExitCode != 130) Assert.Fail($"trial {trial}: SIG{signal} in epoch {epoch}: exit {process.ExitCode}: {error}\n{stdout.Result[^Math.Min(400, stdout.Result.Length)..]}");
            Assert.DoesNotContain("   at ", error);
            Assert.DoesNotContain("not in the epoch logs", error);
            Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp"));

            int completed = Math.Max(0, File.ReadAllLines(history).Length - 1);  // the header comes with the first epoch
            if (completed <= 0)
            {
                firstEpoch++;
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
            Assert.True(SameCheckpoint(expected, File.ReadAllBytes(checkpoint)),
                $"trial {trial}: the checkpoint after SIG{signal} in epoch {completed + 1} is not the one epoch {completed} saved");
        }
        Assert.True(midTraining >= trials / 2, $"only {midTraining} of {trials} interrupts landed after the first epoch");
        Assert.True(firstEpoch > 0, "no interrupt landed in the first epoch");
    }

    /// <summary>
    /// The same .keras checkpoint: every entry byte for byte, except metadata.json's date_saved (the clock time of the
    /// save, which Keras writes too).
    /// </summary>
    private static bool SameCheckpoint(byte[] expected, byte[] actual)
    {
        static Dictionary<string, string> Entries(byte[] file)
        {
            using var zip = new System.IO.Compression.ZipArchive(new MemoryStream(file));
            return zip.Entries.ToDictionary(e => e.FullName, e =>
            {
                using var s = e.Open();
                var bytes = new MemoryStream();
                s.CopyTo(bytes);
                string text = Convert.ToBase64String(bytes.ToArray());
                return e.FullName == "metadata.json"
                    ? System.Text.RegularExpressions.Regex.Replace(Encoding.UTF8.GetString(bytes.ToArray()), "\"date_saved\":\"[^\"]*\"", "")
                    : text;
            });
        }
        if (!actual.AsSpan(0, Math.Min(2, actual.Length)).SequenceEqual("PK"u8)) return false;
        var (a, b) = (Entries(expected), Entries(actual));
        return a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value);
    }

    /// <summary>A failed trial must not leave its CLI training in the background.</summary>
    private sealed class KillOnDispose(Process process) : IDisposable
    {
        public void Dispose()
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    private static Process Start(string cli, string[] arguments)
    {
        // A shell that starts a job in the background (as CI's may) hands it SIGINT ignored, and .NET keeps an
        // inherited SIG_IGN: on Linux, env --default-signal gives the CLI the disposition a terminal user's process has.
        var start = new ProcessStartInfo(OperatingSystem.IsLinux() ? "env" : "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (start.FileName == "env")
        {
            start.ArgumentList.Add("--default-signal=INT,TERM");
            start.ArgumentList.Add("dotnet");
        }
        start.ArgumentList.Add(cli);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        return Process.Start(start)!;
    }

    private static void Kill(int pid, string signal)
    {
        if (SendSignal(pid, signal == "INT" ? 2 : 15) == 0) return;
        int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        Assert.Fail($"kill -{signal} {pid} failed (errno {errno}; 3 is ESRCH: the process had already ended)");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private static string WriteReviews(string path)
    {
        var random = new Random(5);
        string[] good = ["wonderful", "great", "superb"], bad = ["awful", "boring", "weak"];
        var csv = new StringBuilder("text,label\n");
        for (int i = 0; i < 800; i++)
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
