using System.Diagnostics;
using System.Globalization;
using System.Text;
using Sequor.Training;

namespace Sequor.Cli;

/// <summary>
/// The CLI's console during <c>Fit</c>, as Keras's progbar: on a terminal one line redrawn in place (at most
/// every 0.1 s) with the epoch, the step count, a bar, the running loss and accuracy, the time so far and the time
/// left in the epoch; then a line per finished epoch with its validation values. Redirected to a file, only the
/// line per finished epoch. An interrupted epoch ends in a line that says so and is never shown as finished.
/// <code>
/// lstm  epoch 3/100  187/313 [===========>        ] loss: 0.6512 - accuracy: 0.6120  2s, ETA 1s
/// lstm  epoch 3/100  313/313  3s 10ms/step - loss: 0.6489 - accuracy: 0.6153 - val_loss: 0.6401 - val_accuracy: 0.6410
/// </code>
/// </summary>
internal sealed class TrainingProgress(string title, int epochs, int steps, TextWriter output, bool terminal, Func<double>? seconds = null) : ICallback
{
    private readonly Stopwatch clock = new();
    private double lastDraw;
    private int lastWidth;
    private int epoch = -1;
    private int stepsDone;
    private bool epochOpen;

    private double Now => seconds?.Invoke() ?? clock.Elapsed.TotalSeconds;

    private string Head => $"{title}  epoch {(epoch + 1).ToString(CultureInfo.InvariantCulture).PadLeft(epochs.ToString(CultureInfo.InvariantCulture).Length)}/{epochs}  ";

    void ICallback.OnEpochBegin(Sequential model, int epoch)
    {
        this.epoch = epoch;
        stepsDone = 0;
        epochOpen = true;
        clock.Restart();
        lastDraw = double.NegativeInfinity;
        if (terminal) Draw(Head + Counter(0) + " " + Bar(0));
    }

    void ICallback.OnTrainBatchEnd(Sequential model, int batch, IReadOnlyDictionary<string, double> logs)
    {
        stepsDone = batch + 1;
        if (!terminal) return;
        double now = Now;
        if (stepsDone < steps && now - lastDraw < 0.1) return;
        lastDraw = now;
        var line = new StringBuilder(Head).Append(Counter(stepsDone)).Append(' ').Append(Bar(stepsDone)).Append(' ');
        AppendValues(line, logs, separatorFirst: false);
        line.Append("  ").Append(DownloadProgress.Duration(now));
        // the epoch's validation runs after its last step: say so rather than sit at "ETA 0s"
        line.Append(stepsDone < steps ? $", ETA {DownloadProgress.Duration(now / stepsDone * (steps - stepsDone))}" : ", validating…");
        Draw(line.ToString());
    }

    void ICallback.OnEpochEnd(Sequential model, int epoch, IDictionary<string, double> logs)
    {
        double elapsed = Now;
        var line = new StringBuilder(Head).Append(Counter(steps)).Append("  ").Append(DownloadProgress.Duration(elapsed))
            .Append(' ').Append(PerStep(elapsed / Math.Max(1, steps)));
        AppendValues(line, logs, separatorFirst: true);
        Finish(line.ToString());
        epochOpen = false;
    }

    void ICallback.OnTrainEnd(Sequential model)
    {
        // Fit dropped this epoch (Ctrl-C): it is not in the history, the checkpoint or the CSV, and not shown as done
        if (epochOpen) Finish($"{Head}{Counter(stepsDone)}  interrupted: this epoch is not recorded");
        epochOpen = false;
    }

    private void Draw(string text)
    {
        output.Write("\r" + text.PadRight(lastWidth));
        output.Flush();
        lastWidth = text.Length;
    }

    private void Finish(string text)
    {
        output.WriteLine(terminal ? "\r" + text.PadRight(lastWidth) : text);
        output.Flush();
        lastWidth = 0;
    }

    private string Counter(int done) => done.ToString(CultureInfo.InvariantCulture).PadLeft(steps.ToString(CultureInfo.InvariantCulture).Length) + "/" + steps;

    private string Bar(int done)
    {
        int filled = (int)(20L * done / Math.Max(1, steps));
        return "[" + new string('=', filled) + (filled < 20 ? ">" + new string(' ', 19 - filled) : "") + "]";
    }

    private static string PerStep(double seconds) =>
        seconds >= 1 ? $"{(int)seconds}s/step" : seconds >= 1e-3 ? $"{(int)(seconds * 1e3)}ms/step" : $"{(int)(seconds * 1e6)}us/step";

    // loss, the metrics, then the validation values, as Keras's lines; values in Keras's format
    private static void AppendValues(StringBuilder line, IEnumerable<KeyValuePair<string, double>> logs, bool separatorFirst)
    {
        bool first = !separatorFirst;
        foreach (var (key, value) in logs.OrderBy(p => p.Key.StartsWith("val_", StringComparison.Ordinal) ? 1 : 0)
                     .ThenBy(p => p.Key is "loss" or "val_loss" ? 0 : 1))
        {
            line.Append(first ? "" : " - ").Append(key).Append(": ").Append(ProgressLogger.Format(value));
            first = false;
        }
    }
}
