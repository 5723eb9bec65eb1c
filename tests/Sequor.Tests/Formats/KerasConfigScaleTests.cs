using System.Diagnostics;
using System.Text;
using Sequor.Formats;

namespace Sequor.Tests.Formats;

/// <summary>
/// <see cref="KerasConfigReader"/> takes time linear in the config: a hostile .keras of 300,000 layers used to take
/// more than 120 s (100,000 took 48 s; now about a second) because every added layer's name was compared with all earlier ones.
/// </summary>
public class KerasConfigScaleTests
{
    private static string Config(int layers)
    {
        var json = new StringBuilder("{\"class_name\": \"Sequential\", \"config\": {\"name\": \"deep\", \"layers\": [");
        json.Append("{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4], \"name\": \"input\"}}");
        for (int i = 0; i < layers; i++)
            json.Append(", {\"class_name\": \"Dropout\", \"config\": {").Append(i % 2 == 0 ? $"\"name\": \"dropout_{i}\", " : "").Append("\"rate\": 0.1, \"dtype\": \"float32\"}}");
        return json.Append("]}}").ToString();
    }

    private static TimeSpan Parse(int layers)
    {
        string json = Config(layers);
        var clock = Stopwatch.StartNew();
        var (model, shape) = KerasConfigReader.Read(json, "3.6.0", null);
        clock.Stop();
        Assert.Equal(layers, model.Layers.Count);
        Assert.Equal([4], shape);
        return clock.Elapsed;
    }

    [Fact]
    public void AConfigOfAHundredThousandLayersParsesInLinearTime()
    {
        Parse(1_000);  // warm up the JIT
        var small = Parse(10_000);
        var large = Parse(100_000);
        // 10x the layers: linear is ~10x, the old quadratic name check ~100x
        Console.WriteLine($"10,000 layers {small.TotalSeconds:F2} s, 100,000 layers {large.TotalSeconds:F2} s");
        Assert.True(large < TimeSpan.FromSeconds(15), $"100,000 layers took {large.TotalSeconds:F1} s");
        Assert.True(large.TotalSeconds < 30 * Math.Max(small.TotalSeconds, 0.02), $"10,000 layers {small.TotalSeconds:F2} s, 100,000 layers {large.TotalSeconds:F2} s: not linear");
    }

    /// <summary>
    /// A config whose input is 2,000,000 steps long (it drove the engine out of memory at load): the model loads with
    /// no buffer allocated for that length, and its summary shows it; a prediction allocates for the rows it is given.
    /// </summary>
    [Fact]
    public void AHugeBatchShapeLoadsWithoutAllocatingForIt()
    {
        string folder = Directory.CreateTempSubdirectory("sequor-batch-shape-").FullName;
        try
        {
            string path = Path.Combine(folder, "long.keras");
            using (var small = new Sequential([new Sequor.Layers.Embedding(500, 16), new Sequor.Layers.LSTM(8), new Sequor.Layers.Dense(1, Sequor.Layers.Activation.Sigmoid)], seed: 1))
            {
                small.Build([10]);
                small.Save(path);
            }
            using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Update))
            {
                var entry = zip.GetEntry("config.json")!;
                string json;
                using (var reader = new StreamReader(entry.Open())) json = reader.ReadToEnd();
                entry.Delete();
                string longer = json.Replace("[null,10]", "[null,2000000]").Replace("[null, 10]", "[null, 2000000]");
                Assert.NotEqual(json, longer);
                using var writer = new StreamWriter(zip.CreateEntry("config.json").Open());
                writer.Write(longer);
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            using var model = Sequential.Load(path);
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64L << 20, "loading allocated for the input length");
            Assert.Equal([2_000_000], model.InputShape);
            Assert.Contains("(None, 2000000, 16)", SummaryText(model));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    private static string SummaryText(Sequential model)
    {
        var text = new StringWriter();
        model.Summary(text);
        return text.ToString();
    }
}
