using System.Globalization;
using System.Text.RegularExpressions;

namespace Sequor.Training;

/// <summary>
/// Keras's <c>ModelCheckpoint</c>: saves the model (or only its weights) at the end of every epoch, or
/// only when <c>monitor</c> improved (<c>saveBestOnly</c>, strict test, starting from
/// <c>initialValueThreshold</c> when given). The path may hold Python-style placeholders filled from the
/// 1-based epoch and the epoch logs: <c>best-{epoch:02d}-{val_loss:.4f}.keras</c>. The format follows the
/// extension: <c>.keras</c> or <c>.h5</c> for the model, <c>.weights.h5</c> (or <c>.h5</c>) for weights only.
/// Files are written to a temporary file and renamed, so a crash never leaves a corrupt checkpoint.
/// If the monitored value is missing, the model is saved anyway with a warning (Keras 3). A model with NaN or
/// infinite weights is never saved (a warning instead), so divergence cannot replace a good checkpoint.
/// </summary>
public sealed partial class ModelCheckpoint : ICallback
{
    private readonly Monitor monitor;
    private readonly double? initialValueThreshold;
    private double? best;  // the best monitored value so far; reset to initialValueThreshold when training begins

    // Fit's writer (ICallback.SetOutput); Console.Out only when the callback is driven outside Fit
    private TextWriter output = Console.Out;

    void ICallback.SetOutput(TextWriter output) => this.output = output;

    public ModelCheckpoint(string filepath, string monitor = "val_loss", int verbose = 0, bool saveBestOnly = false,
        bool saveWeightsOnly = false, MonitorMode mode = MonitorMode.Auto, double? initialValueThreshold = null)
    {
        string lower = filepath.ToLowerInvariant();
        bool h5 = lower.EndsWith(".h5", StringComparison.Ordinal), weightsFile = lower.EndsWith(".weights.h5", StringComparison.Ordinal);
        bool fits = saveWeightsOnly ? h5 : lower.EndsWith(".keras", StringComparison.Ordinal) || (h5 && !weightsFile);
        if (!fits)
            throw new SequorException(saveWeightsOnly
                ? $"ModelCheckpoint: with saveWeightsOnly the path must end in .weights.h5 (or .h5), got '{filepath}'"
                : $"ModelCheckpoint: the path must end in .keras or .h5 (.weights.h5 needs saveWeightsOnly), got '{filepath}'");
        Filepath = filepath;
        this.monitor = new Monitor(monitor, mode, 0);
        Verbose = verbose;
        SaveBestOnly = saveBestOnly;
        SaveWeightsOnly = saveWeightsOnly;
        this.initialValueThreshold = initialValueThreshold;
    }

    public string Filepath { get; }
    public string Monitor => monitor.Name;
    public int Verbose { get; }
    public bool SaveBestOnly { get; }
    public bool SaveWeightsOnly { get; }

    /// <summary>The path of the last file written, if any.</summary>
    public string? LastSaved { get; private set; }

    void ICallback.OnTrainBegin(Sequential model)
    {
        best = initialValueThreshold;
        // A file format that cannot hold the model fails now, not after the first epoch's work.
        if (!SaveWeightsOnly) Formats.ModelFile.CheckCanSave(model, Filepath);
    }

    void ICallback.OnEpochEnd(Sequential model, int epoch, IDictionary<string, double> logs)
    {
        string path = FormatPath(Filepath, epoch + 1, logs);
        if (SaveBestOnly)
        {
            if (!monitor.TryRead(logs, out double current))
                output.WriteLine($"ModelCheckpoint: '{Monitor}' is not in the epoch logs ({string.Join(", ", logs.Keys)}); saving anyway");
            else if (monitor.IsImprovement(current, best))
            {
                if (Verbose > 0)
                    output.WriteLine($"Epoch {epoch + 1}: {Monitor} improved from {Describe(best)} to {current:F5}, saving model to {path}");
                best = current;
            }
            else
            {
                if (Verbose > 0) output.WriteLine($"Epoch {epoch + 1}: {Monitor} did not improve from {Describe(best)}");
                return;
            }
        }
        else if (Verbose > 0) output.WriteLine($"Epoch {epoch + 1}: saving model to {path}");
        Save(model, path);
    }

    private void Save(Sequential model, string path)
    {
        // A diverged model is never a checkpoint: it would replace the last good one.
        if (!AllFinite(model))
        {
            output.WriteLine($"ModelCheckpoint: the model has NaN or infinite weights; not saving it to {path} (the last checkpoint is kept)");
            return;
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        if (SaveWeightsOnly) model.SaveWeights(path);
        else model.Save(path);
        LastSaved = path;
    }

    private static bool AllFinite(Sequential model)
    {
        foreach (var weight in model.GetWeights())
            foreach (var v in weight.Span)
                if (!Real.IsFinite(v)) return false;
        return true;
    }

    private static string Describe(double? value) => value is { } v ? v.ToString("F5", CultureInfo.InvariantCulture) : "inf";

    /// <summary>Fills <c>{name}</c> and <c>{name:spec}</c> (specs <c>02d</c>, <c>d</c>, <c>.4f</c>, <c>.2e</c>) as Python's str.format.</summary>
    internal static string FormatPath(string template, int epoch, IDictionary<string, double> logs) =>
        Placeholder().Replace(template, match =>
        {
            string name = match.Groups["name"].Value, spec = match.Groups["spec"].Value;
            double value = name == "epoch" ? epoch
                : logs.TryGetValue(name, out double v) ? v
                : throw new SequorException($"ModelCheckpoint: the path '{template}' uses {{{name}}}, which is not in the epoch logs ({string.Join(", ", logs.Keys.Prepend("epoch"))})");
            return FormatValue(value, spec, template);
        });

    private static string FormatValue(double value, string spec, string template)
    {
        if (spec.Length == 0) return IsWhole(value) ? ((long)value).ToString(CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);
        var m = Spec().Match(spec);
        if (!m.Success) throw new SequorException($"ModelCheckpoint: unsupported format '{spec}' in '{template}' (use d, 02d, .4f or .2e)");
        bool zero = m.Groups["zero"].Success;
        int width = m.Groups["width"].Success ? int.Parse(m.Groups["width"].Value, CultureInfo.InvariantCulture) : 0;
        int precision = m.Groups["precision"].Success ? int.Parse(m.Groups["precision"].Value, CultureInfo.InvariantCulture) : 6;
        string text = m.Groups["type"].Value switch
        {
            "d" => ((long)value).ToString(CultureInfo.InvariantCulture),
            "f" => value.ToString("F" + precision, CultureInfo.InvariantCulture),
            _ => value.ToString((precision == 0 ? "0" : "0." + new string('0', precision)) + "e+00", CultureInfo.InvariantCulture),
        };
        return zero ? text.PadLeft(width, '0') : text.PadLeft(width);
    }

    private static bool IsWhole(double v) => v == Math.Floor(v) && Math.Abs(v) < 1e15;

    [GeneratedRegex(@"\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(:(?<spec>[^}]*))?\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^(?<zero>0)?(?<width>\d+)?(\.(?<precision>\d+))?(?<type>[dfe])$")]
    private static partial Regex Spec();
}
