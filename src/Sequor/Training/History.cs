namespace Sequor.Training;

/// <summary>
/// What <c>Fit</c> returns, as Keras's <c>History</c>: per-epoch values by name (<c>loss</c>,
/// <c>accuracy</c>, <c>val_loss</c>, <c>val_accuracy</c>, …), keys sorted as Keras 3 sorts them.
/// </summary>
public sealed class History
{
    private readonly SortedDictionary<string, List<double>> values = new(StringComparer.Ordinal);
    private readonly List<int> epochs = [];

    /// <summary>The 0-based epoch indices that ran.</summary>
    public IReadOnlyList<int> Epoch => epochs;

    /// <summary>The names recorded, alphabetically.</summary>
    public IEnumerable<string> Keys => values.Keys;

    /// <summary>The values of <paramref name="key"/>, one per epoch.</summary>
    public IReadOnlyList<double> this[string key] =>
        values.TryGetValue(key, out var list) ? list : throw new SequorException($"History has no '{key}' (it has {string.Join(", ", values.Keys)})");

    public bool Contains(string key) => values.ContainsKey(key);

    internal void Record(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        epochs.Add(epoch);
        foreach (var (key, value) in logs)
        {
            if (!values.TryGetValue(key, out var list)) values[key] = list = [];
            list.Add(value);
        }
    }
}

/// <summary>What <c>Evaluate</c> returns: the loss and each compiled metric, in compile order.</summary>
public sealed class EvaluationResult
{
    internal EvaluationResult(double loss, IReadOnlyList<KeyValuePair<string, double>> metrics)
    {
        Loss = loss;
        Metrics = metrics;
    }

    public double Loss { get; }

    /// <summary>The metrics in compile order.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Metrics { get; }

    public double this[string name] => name == "loss" ? Loss
        : Metrics.FirstOrDefault(m => m.Key == name) is { Key: not null } m ? m.Value
        : throw new SequorException($"Evaluate computed no '{name}'");

    /// <summary><c>var (loss, accuracy) = model.Evaluate(x, y)</c>: the loss and the first metric.</summary>
    public void Deconstruct(out double loss, out double firstMetric)
    {
        loss = Loss;
        firstMetric = Metrics.Count > 0 ? Metrics[0].Value : double.NaN;
    }

    public override string ToString() => string.Join(" - ", Metrics.Prepend(new("loss", Loss)).Select(m => $"{m.Key}: {m.Value:F4}"));
}
