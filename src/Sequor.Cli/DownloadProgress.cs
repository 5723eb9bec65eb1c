using System.Diagnostics;
using System.Globalization;

namespace Sequor.Cli;

/// <summary>
/// The progress of a dataset download, as Keras's <c>get_file</c> shows it: bytes so far, the total when the server
/// says it, the speed and the time left. On a terminal one line redrawn in place (at most every 0.1 s); redirected,
/// a line at each quarter, so a log shows the download happened without thousands of lines.
/// </summary>
internal sealed class DownloadProgress(string name, TextWriter output, bool terminal, Func<double>? seconds = null) : IProgress<(long Done, long Total)>
{
    private readonly Stopwatch clock = new();
    private double lastDraw = double.NegativeInfinity;
    private int lastQuarter = -1;
    private bool lineOpen;

    public void Report((long Done, long Total) value)
    {
        var (bytes, total) = value;
        // the speed counts from the first byte, not from the request (a slow DNS answer is not a slow download)
        if (!clock.IsRunning) clock.Start();
        double now = seconds?.Invoke() ?? clock.Elapsed.TotalSeconds;
        bool finished = total > 0 && bytes >= total;
        if (terminal)
        {
            if (!finished && now - lastDraw < 0.1) return;
            lastDraw = now;
            output.Write("\r" + Line(bytes, total, now));
            lineOpen = true;
            if (finished) End();
            return;
        }
        int quarter = total > 0 ? (int)(4 * bytes / total) : 0;
        if (quarter <= lastQuarter) return;
        lastQuarter = quarter;
        output.WriteLine(Line(bytes, total, now));
    }

    /// <summary>Closes the redrawn line (after success, or before the message of a failed download).</summary>
    public void End()
    {
        if (!lineOpen) return;
        output.WriteLine();
        lineOpen = false;
    }

    internal string Line(long bytes, long total, double elapsed)
    {
        double speed = elapsed > 0 ? bytes / elapsed : 0;
        string size = total > 0 ? $"{Megabytes(bytes)} / {Megabytes(total)} MB" : $"{Megabytes(bytes)} MB";
        string bar = "";
        string eta = "";
        if (total > 0)
        {
            int filled = (int)(20 * Math.Min(bytes, total) / total);
            bar = "[" + new string('=', filled) + new string(' ', 20 - filled) + "] ";
            eta = bytes >= total ? $", {Duration(elapsed)}" : speed > 0 ? $", ETA {Duration((total - bytes) / speed)}" : "";
        }
        return $"downloading {name} {bar}{size} at {Megabytes((long)speed)} MB/s{eta}";
    }

    private static string Megabytes(long bytes) => (bytes / 1e6).ToString("F1", CultureInfo.InvariantCulture);

    /// <summary>12s, 3m05s, 1h02m: Keras's progbar units.</summary>
    internal static string Duration(double seconds)
    {
        long s = (long)Math.Round(seconds);
        return s < 60 ? $"{s}s" : s < 3600 ? $"{s / 60}m{s % 60:00}s" : $"{s / 3600}h{s % 3600 / 60:00}m";
    }
}
