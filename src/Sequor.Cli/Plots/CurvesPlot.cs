using ScottPlot;
using ScottPlot.TickGenerators;
using Sequor.Training;

namespace Sequor.Cli.Plots;

/// <summary>The notebook's training curves: a metric and its validation counterpart per epoch, as a PNG.</summary>
internal static class CurvesPlot
{
    /// <summary>
    /// Plots <paramref name="metric"/> (and <c>val_</c><paramref name="metric"/> when recorded) against the 1-based
    /// epoch, with whole-number epoch ticks, the best epoch (<paramref name="bestRow"/>, a row of the history) marked
    /// by a dashed line and a dot on the validation curve, and the legend beside the plot, never over the data.
    /// </summary>
    public static void SavePng(string path, History history, string metric, string title, int? bestRow = null, int width = 800, int height = 500)
    {
        var plot = new Plot();
        double[] epochs = history.Epoch.Select(e => (double)(e + 1)).ToArray();
        foreach (var (key, label) in new[] { (metric, "training"), ("val_" + metric, "validation") })
        {
            if (!history.Contains(key)) continue;
            var line = plot.Add.Scatter(epochs, history[key].ToArray());
            line.LegendText = label;
        }
        if (bestRow is int best && best >= 0 && best < epochs.Length)
        {
            var marker = plot.Add.VerticalLine(epochs[best]);
            marker.LinePattern = LinePattern.Dashed;
            marker.Color = Colors.Gray;
            marker.LegendText = $"best epoch ({epochs[best]:0})";  // the epoch whose weights were kept (lowest val_loss)
            string key = history.Contains("val_" + metric) ? "val_" + metric : metric;
            var dot = plot.Add.Marker(epochs[best], history[key][best]);
            dot.Color = Colors.Black;
            dot.Size = 9;
        }
        // epochs are whole numbers: no 2.5 on the axis, even for a two-epoch run
        plot.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
        if (epochs.Length > 0) plot.Axes.SetLimitsX(Math.Min(0.5, epochs[0] - 0.5), epochs[^1] + 0.5);
        plot.ShowLegend(Edge.Right);
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(metric);
        byte[] png = plot.GetImageBytes(width, height, ImageFormat.Png);
        AtomicFile.Write(path, s => s.Write(png));
    }
}
