using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Sequor.Training;

/// <summary>
/// Keras-like progress for <c>Fit</c>: <c>Epoch k/N</c> (when N &gt; 1), then one line per epoch,
/// <code>313/313 - 2s 6ms/step - loss: 0.6929 - accuracy: 0.5167 - val_loss: 0.6923 - val_accuracy: 0.5706</code>
/// Verbose 1 on a terminal also redraws a live bar (20 <c>━</c>, at most every 0.05 s); verbose 2, or output
/// redirected to a file, prints only the epoch lines. Values use Keras's format: 4 decimals, or 4-digit
/// scientific notation when |v| ≤ 1e-3.
/// </summary>
internal sealed class ProgressLogger(int verbose, int steps, int epochs, TextWriter output, bool live) : ICallback
{
    private readonly Stopwatch clock = new();
    private long lastDraw;
    private int lastWidth;

    void ICallback.OnEpochBegin(Sequential model, int epoch)
    {
        if (epochs > 1) output.WriteLine($"Epoch {epoch + 1}/{epochs}");
        clock.Restart();
        lastDraw = 0;
        lastWidth = 0;
    }

    void ICallback.OnTrainBatchEnd(Sequential model, int batch, IReadOnlyDictionary<string, double> logs)
    {
        if (verbose != 1 || !live) return;
        long now = clock.ElapsedMilliseconds;
        if (batch + 1 < steps && now - lastDraw < 50) return;
        lastDraw = now;
        int done = batch + 1;
        int filled = (int)(20.0 * done / steps);
        var line = new StringBuilder();
        line.Append(Counter(done)).Append(' ').Append('━', filled).Append(' ', 20 - filled);
        double eta = done == 0 ? 0 : now / 1000.0 / done * (steps - done);
        line.Append(' ').Append(((int)eta).ToString(CultureInfo.InvariantCulture)).Append('s');
        AppendValues(line, logs);
        string text = line.ToString();
        output.Write("\r" + text.PadRight(lastWidth));
        lastWidth = text.Length;
    }

    void ICallback.OnEpochEnd(Sequential model, int epoch, IDictionary<string, double> logs)
    {
        double seconds = clock.Elapsed.TotalSeconds;
        var line = new StringBuilder();
        line.Append(Counter(steps)).Append(" - ").Append(((int)seconds).ToString(CultureInfo.InvariantCulture)).Append("s ")
            .Append(PerStep(seconds / Math.Max(1, steps)));
        AppendValues(line, logs);
        string text = line.ToString();
        output.WriteLine(live && verbose == 1 ? "\r" + text.PadRight(lastWidth) : text);
        output.Flush();
    }

    private string Counter(int done) => done.ToString(CultureInfo.InvariantCulture).PadLeft(steps.ToString(CultureInfo.InvariantCulture).Length) + "/" + steps;

    private static string PerStep(double seconds) =>
        seconds >= 1 ? $"{(int)seconds}s/step" : seconds >= 1e-3 ? $"{(int)(seconds * 1e3)}ms/step" : $"{(int)(seconds * 1e6)}us/step";

    // loss first, then the metrics, then validation values: the order of Keras 2's lines.
    private static void AppendValues(StringBuilder line, IEnumerable<KeyValuePair<string, double>> logs)
    {
        foreach (var (key, value) in logs.OrderBy(p => p.Key.StartsWith("val_", StringComparison.Ordinal) ? 1 : 0)
                     .ThenBy(p => p.Key is "loss" or "val_loss" ? 0 : 1))
            line.Append(" - ").Append(key).Append(": ").Append(Format(value));
    }

    internal static string Format(double value) =>
        Math.Abs(value) > 1e-3 ? value.ToString("F4", CultureInfo.InvariantCulture) : value.ToString("0.0000e+00", CultureInfo.InvariantCulture);
}
