namespace Sequor.Training;

/// <summary>Whether a monitored value is better when lower or higher.</summary>
public enum MonitorMode
{
    /// <summary>Lower for losses; higher for accuracy, precision, recall and AUC (Keras 3's resolution).</summary>
    Auto,
    Min,
    Max,
}

/// <summary>The improvement test EarlyStopping, ModelCheckpoint and ReduceLROnPlateau share.</summary>
internal sealed class Monitor(string name, MonitorMode mode, double minDelta)
{
    private readonly bool higherIsBetter = mode == MonitorMode.Max
        || (mode == MonitorMode.Auto && IsHigherBetter(name));
    private readonly double delta = Math.Abs(minDelta);

    public string Name => name;

    /// <summary>Strict: current &lt; reference − δ (min) or current &gt; reference + δ (max); anything beats "no value yet".</summary>
    public bool IsImprovement(double current, double? reference) =>
        reference is not { } r || (higherIsBetter ? current > r + delta : current < r - delta);

    public bool TryRead(IDictionary<string, double> logs, out double value) => logs.TryGetValue(name, out value);

    private static bool IsHigherBetter(string metric)
    {
        string bare = metric.StartsWith("val_", StringComparison.Ordinal) ? metric[4..] : metric;
        return bare is "accuracy" or "acc" or "precision" or "recall" or "auc";
    }
}
