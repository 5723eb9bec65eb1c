using ScottPlot;
using Sequor.Data;
using Sequor.Training;

namespace Sequor.Cli.Plots;

/// <summary>The notebook's training curves: a metric and its validation counterpart per epoch, as a PNG.</summary>
internal static class CurvesPlot
{
    /// <summary>Plots <paramref name="metric"/> (and <c>val_</c><paramref name="metric"/> when recorded) against the 1-based epoch.</summary>
    public static void SavePng(string path, History history, string metric, string title, int width = 800, int height = 500)
    {
        var plot = new Plot();
        double[] epochs = history.Epoch.Select(e => (double)(e + 1)).ToArray();
        foreach (var (key, label) in new[] { (metric, "train"), ("val_" + metric, "val") })
        {
            if (!history.Contains(key)) continue;
            var line = plot.Add.Scatter(epochs, history[key].ToArray());
            line.LegendText = label;
        }
        plot.ShowLegend();
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(metric);
        byte[] png = plot.GetImageBytes(width, height, ImageFormat.Png);
        AtomicFile.Write(path, s => s.Write(png));
    }
}
