using System.CommandLine;
using System.Globalization;
using Sequor.Cli.Plots;
using Sequor.Data;

namespace Sequor.Cli.Commands;

/// <summary><c>sequor data stats</c>: the notebook's review-length statistics and histogram.</summary>
internal static class DataCommand
{
    public static Command Create(CliOptions options)
    {
        var data = Shared.Data();
        var numWords = Shared.NumWords(defaultText: "500");
        var plot = new Option<string?>("--plot") { Description = "Write the length histogram to this PNG [default: none]" };
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
        output.WriteLine($"mean    {statistics.Mean.ToString("F5", CultureInfo.InvariantCulture)}");
        output.WriteLine($"median  {Number(statistics.Median)}");
        output.WriteLine($"min     {Number(statistics.Min)}");
        foreach (double q in new[] { 25.0, 75, 90, 95, 99 }) output.WriteLine($"p{q,-6:0} {Number(statistics.Percentile(q))}");
        output.WriteLine($"max     {Number(statistics.Max)}");
        return statistics;
    }

    /// <summary>
    /// A length or percentile as numpy prints it to a person: 492.1, not the interpolation's 492.0999999999999
    /// (four decimals are more than a count of tokens can carry).
    /// </summary>
    internal static string Number(double value) => Math.Round(value, 4).ToString(CultureInfo.InvariantCulture);
}
