using ScottPlot;
using Sequor.Data;

namespace Sequor.Cli.Plots;

/// <summary>
/// The notebook's length histogram (matplotlib <c>plt.hist</c>) as a PNG: one bar per bin of a
/// <see cref="Histogram"/>, touching bars, counts on the y axis.
/// </summary>
public static class HistogramPlot
{
    /// <summary>Renders <paramref name="histogram"/> and writes it to <paramref name="path"/> (atomically).</summary>
    public static void SavePng(string path, Histogram histogram, string title = "Review lengths",
        string xLabel = "length (tokens)", string yLabel = "reviews", int width = 800, int height = 500)
    {
        if (width < 50 || height < 50)
            throw new SequorException($"HistogramPlot: image size {width}x{height} is too small (at least 50x50)");
        var plot = new Plot();
        int bins = histogram.Counts.Length;
        var bars = new List<Bar>(bins);
        for (int i = 0; i < bins; i++)
        {
            double left = histogram.Edges[i], right = histogram.Edges[i + 1];
            bars.Add(new Bar
            {
                Position = (left + right) / 2,
                Value = histogram.Counts[i],
                Size = right - left,
                FillColor = Colors.SteelBlue,
                LineColor = Colors.White,
                LineWidth = bins > 100 ? 0 : 1,
            });
        }
        plot.Add.Bars(bars);
        plot.Axes.Margins(bottom: 0);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        byte[] png = plot.GetImageBytes(width, height, ImageFormat.Png);
        AtomicFile.Write(path, s => s.Write(png));
    }
}
