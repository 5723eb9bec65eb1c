namespace Sequor.Data;

/// <summary>
/// <c>numpy.histogram(values, bins=n)</c> (what matplotlib's <c>hist</c> draws): <c>n</c> equal-width bins from
/// the minimum to the maximum (±0.5 when they are equal), every bin half-open except the last, which
/// includes the maximum.
/// </summary>
public sealed record Histogram(long[] Counts, double[] Edges)
{
    public static Histogram Of(IEnumerable<int[]> sequences, int bins = 10) => Of(sequences.Select(s => (double)s.Length), bins);

    public static Histogram Of(IEnumerable<double> values, int bins = 10)
    {
        if (bins < 1) throw new SequorException($"Histogram: bins {bins} should be positive");
        var a = values.ToArray();
        if (a.Any(v => !double.IsFinite(v))) throw new SequorException("Histogram: values must be finite");
        double first = a.Length == 0 ? 0 : a.Min(), last = a.Length == 0 ? 1 : a.Max();
        if (first == last) { first -= 0.5; last += 0.5; }
        var edges = Linspace(first, last, bins + 1);
        var counts = new long[bins];
        double norm = bins / (last - first);
        foreach (double v in a)
        {
            // numpy's fast path: scale to a bin, then nudge by one where rounding put it across an edge.
            int i = (int)((v - first) * norm);
            if (i == bins) i--;
            if (v < edges[i]) i--;
            else if (i != bins - 1 && v >= edges[i + 1]) i++;
            counts[i]++;
        }
        return new Histogram(counts, edges);
    }

    /// <summary><c>np.linspace(start, stop, num)</c>: <c>start + i·step</c>, the last value exactly <c>stop</c>.</summary>
    internal static double[] Linspace(double start, double stop, int num)
    {
        var r = new double[num];
        int div = num - 1;
        double step = (stop - start) / div;
        for (int i = 0; i < num; i++) r[i] = i * step + start;
        r[^1] = stop;
        return r;
    }
}
