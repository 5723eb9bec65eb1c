namespace Sequor.Data;

/// <summary>
/// Summary of sequence lengths as the notebook prints it with numpy: count, mean, median, min, max and
/// percentiles by numpy's default linear interpolation (<c>np.percentile(..., method="linear")</c>).
/// </summary>
public sealed class LengthStatistics
{
    private readonly double[] sorted;

    private LengthStatistics(double[] sorted)
    {
        this.sorted = sorted;
        Count = sorted.Length;
        if (Count == 0) return;
        double sum = 0;
        foreach (double v in sorted) sum += v;
        Mean = sum / Count;
        Min = sorted[0];
        Max = sorted[^1];
        Median = Percentile(50);
    }

    /// <summary>Statistics of the lengths of <paramref name="sequences"/>.</summary>
    public static LengthStatistics Of(IEnumerable<int[]> sequences) => Of(sequences.Select(s => (double)s.Length));

    /// <summary>Statistics of arbitrary values (e.g. word counts of raw texts).</summary>
    public static LengthStatistics Of(IEnumerable<double> values)
    {
        var a = values.ToArray();
        if (a.Any(double.IsNaN)) throw new SequorException("LengthStatistics: values contain NaN");
        Array.Sort(a);
        return new LengthStatistics(a);
    }

    public int Count { get; }

    public double Mean { get; } = double.NaN;

    public double Median { get; } = double.NaN;

    public double Min { get; } = double.NaN;

    public double Max { get; } = double.NaN;

    /// <summary>
    /// <c>np.percentile(values, q)</c>: the value at virtual index <c>(n − 1)·q/100</c>, interpolated linearly
    /// between its neighbours the way numpy's <c>_lerp</c> does (from the upper neighbour when the fraction is ≥ 0.5).
    /// </summary>
    public double Percentile(double q)
    {
        if (!(q >= 0 && q <= 100)) throw new SequorException($"LengthStatistics.Percentile: q {q} should be within 0..100");
        if (Count == 0) throw new SequorException("LengthStatistics.Percentile: there are no values");
        double virtualIndex = (Count - 1) * (q / 100);
        double lowerIndex = Math.Floor(virtualIndex);
        int lo = (int)Math.Clamp(lowerIndex, 0, Count - 1);
        int hi = Math.Min(lo + 1, Count - 1);
        double t = virtualIndex - lowerIndex;
        double a = sorted[lo], b = sorted[hi];
        double diff = b - a;
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
    }

    public override string ToString() =>
        Count == 0 ? "count 0" : FormattableString.Invariant($"count {Count}, mean {Mean:0.##}, median {Median:0.##}, min {Min}, max {Max}, 90th percentile {Percentile(90):0.##}");
}
