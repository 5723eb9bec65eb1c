namespace Sequor.Training;

/// <summary>
/// Keras's metrics, accumulated over an epoch (reset at each epoch and for validation).
/// <c>accuracy</c> resolves as Keras resolves the string: an output of width 1 → binary accuracy
/// (p &gt; 0.5, strict); a sparse loss or class-id targets → sparse categorical accuracy (argmax = label);
/// otherwise categorical accuracy (argmax = argmax). <c>precision</c> and <c>recall</c> threshold every
/// output value at 0.5.
/// </summary>
public sealed class Metric
{
    internal enum Kind { Accuracy, Precision, Recall }

    private Metric(string name, Kind kind)
    {
        Name = name;
        MetricKind = kind;
    }

    public static readonly Metric Accuracy = new("accuracy", Kind.Accuracy);
    public static readonly Metric Precision = new("precision", Kind.Precision);
    public static readonly Metric Recall = new("recall", Kind.Recall);

    /// <summary>The key in logs and History (<c>accuracy</c>, <c>val_accuracy</c>, …).</summary>
    public string Name { get; }

    internal Kind MetricKind { get; }

    public static Metric FromName(string name) => name.ToLowerInvariant() switch
    {
        "accuracy" => Accuracy,
        "acc" => new Metric("acc", Kind.Accuracy),
        "precision" => Precision,
        "recall" => Recall,
        _ => throw new SequorException($"unknown metric '{name}' (Sequor has accuracy, precision, recall)"),
    };

    public override string ToString() => Name;
}

/// <summary>Running totals of one metric over an epoch.</summary>
internal sealed class MetricAccumulator(Metric metric, bool sparseTargets)
{
    private double hits, count;

    public Metric Metric => metric;

    public void Reset() => hits = count = 0;

    public double Result => count == 0 ? 0 : hits / count;

    public void Update(ReadOnlySpan<Real> output, ReadOnlySpan<Real> targets, int rows, int width)
    {
        if (metric.MetricKind == Metric.Kind.Accuracy)
        {
            for (int r = 0; r < rows; r++)
            {
                var p = output.Slice(r * width, width);
                if (width == 1 && !sparseTargets)
                {
                    hits += (p[0] > 0.5f ? 1 : 0) == targets[r] ? 1 : 0;
                    count++;
                }
                else
                {
                    int predicted = ArgMax(p);
                    int actual = sparseTargets ? (int)targets[r] : ArgMax(targets.Slice(r * width, width));
                    hits += predicted == actual ? 1 : 0;
                    count++;
                }
            }
            return;
        }
        // precision = TP / (TP + FP), recall = TP / (TP + FN), element-wise at threshold 0.5
        for (int i = 0; i < rows * width; i++)
        {
            bool predicted = output[i] > 0.5f;
            bool actual = sparseTargets ? (int)targets[i / width] == i % width : targets[i] > 0.5f;
            if (predicted && actual) hits++;
            if (metric.MetricKind == Metric.Kind.Precision ? predicted : actual) count++;
        }
    }

    private static int ArgMax(ReadOnlySpan<Real> values)
    {
        int best = 0;
        for (int j = 1; j < values.Length; j++) if (values[j] > values[best]) best = j;
        return best;
    }
}
