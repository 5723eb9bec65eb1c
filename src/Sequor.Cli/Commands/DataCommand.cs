using System.CommandLine;
using Sequor.Cli.Plots;
using Sequor.Data;

namespace Sequor.Cli.Commands;

/// <summary><c>sequor data stats</c>: the notebook's review-length statistics and histogram.</summary>
internal static class DataCommand
{
    public static Command Create(CliOptions options)
    {
        var data = Shared.Data();
        var numWords = Shared.NumWords();
        var plot = new Option<string?>("--plot") { Description = "Write the length histogram to this PNG" };
        var (textColumn, labelColumn) = Shared.Columns();
        var stats = new Command("stats", "Length statistics of the training part after the notebook's split (train_test_split 0.2, random_state 42)")
        {
            data, numWords, plot, textColumn, labelColumn,
        };
        stats.SetAction(Shared.Run(options, result =>
        {
            var columns = new TextColumns(result.GetValue(textColumn)!, result.GetValue(labelColumn)!);
            var dataset = Dataset.Load(result.GetValue(data)!, result.GetValue(numWords) ?? 500, options, columns);
            var (train, _) = dataset.SplitValidation(0.2);
            Write(train, dataset.Description, options.Out);
            if (result.GetValue(plot) is { } png) HistogramPlot.SavePng(png, Histogram.Of(train.X), "Review lengths (training part)");
            return 0;
        }));
        return new Command("data", "Look at a dataset") { stats };
    }

    internal static LengthStatistics Write(LabeledSequences train, string description, TextWriter output)
    {
        var statistics = LengthStatistics.Of(train.X);
        output.WriteLine($"{description}, training part after the validation split");
        output.WriteLine($"count   {statistics.Count}");
        output.WriteLine($"mean    {statistics.Mean:F5}");
        output.WriteLine($"median  {statistics.Median}");
        output.WriteLine($"min     {statistics.Min}");
        foreach (double q in new[] { 25.0, 75, 90, 95, 99 }) output.WriteLine($"p{q,-6:0} {statistics.Percentile(q)}");
        output.WriteLine($"max     {statistics.Max}");
        return statistics;
    }
}
