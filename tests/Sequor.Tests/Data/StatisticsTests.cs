using System.Globalization;
using System.Text.Json;
using Sequor.Data;

namespace Sequor.Tests.Data;

public class StatisticsTests
{
    private static readonly JsonElement Fixture =
        JsonDocument.Parse(File.ReadAllText(SharedData.Fixture("Data", "stats.json"))).RootElement;

    private static double D(JsonElement e) => double.Parse(e.GetString()!, CultureInfo.InvariantCulture);

    [Fact]
    public void MeanMedianAndPercentilesEqualNumpy()
    {
        foreach (var c in Fixture.GetProperty("cases").EnumerateArray())
        {
            var values = c.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var s = LengthStatistics.Of(values);
            Assert.Equal(values.Length, s.Count);
            Assert.Equal(D(c.GetProperty("mean")), s.Mean);
            Assert.Equal(D(c.GetProperty("median")), s.Median);
            foreach (var p in c.GetProperty("percentiles").EnumerateObject())
                Assert.Equal(D(p.Value), s.Percentile(double.Parse(p.Name, CultureInfo.InvariantCulture)));
        }
    }

    [Fact]
    public void HistogramCountsAndEdgesEqualNumpy()
    {
        foreach (var c in Fixture.GetProperty("cases").EnumerateArray())
        {
            var values = c.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            foreach (var h in c.GetProperty("histograms").EnumerateObject())
            {
                var hist = Histogram.Of(values, int.Parse(h.Name, CultureInfo.InvariantCulture));
                Assert.Equal(h.Value.GetProperty("counts").EnumerateArray().Select(v => v.GetInt64()), hist.Counts);
                Assert.Equal(h.Value.GetProperty("edges").EnumerateArray().Select(D), hist.Edges);
            }
        }
    }

    [Fact]
    public void StatisticsOfSequencesUseTheirLengths()
    {
        var s = LengthStatistics.Of(new[] { new int[3], new int[5], new int[10] });
        Assert.Equal((3, 6.0, 5.0, 3.0, 10.0), (s.Count, s.Mean, s.Median, s.Min, s.Max));
    }
}
