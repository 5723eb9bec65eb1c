using System.IO.Compression;
using System.Text.Json.Nodes;
using PureHDF;

namespace Sequor.Tests.Formats;

/// <summary>
/// Each real Keras model, saved by Sequor as .h5 and as .keras and loaded again, predicts identically; the
/// written files carry the attributes, dataset paths and JSON keys Keras's loaders read.
/// </summary>
public class RoundTripTests
{
    public static TheoryData<string> Files => RealKerasFileTests.Files;

    [SkippableTheory]
    [MemberData(nameof(Files))]
    public void SavedAsH5AndKerasPredictsIdentically(string file)
    {
        var reference = RealKerasFileTests.Open(file);
        var model = Sequential.Load(reference.Path);
        var x = reference.Inputs();
        var before = model.Predict(x, 64).Span.ToArray();
        using var dir = new TempDirectory();
        foreach (var name in new[] { "copy.h5", "copy.keras" })
        {
            model.Save(dir.File(name));
            var again = Sequential.Load(dir.File(name));
            Assert.Equal(model.SummaryText(), again.SummaryText());
            Assert.Equal(before, again.Predict(x, 64).Span.ToArray());
        }
        AssertLegacyLayout(dir.File("copy.h5"), model);
        AssertKerasLayout(dir.File("copy.keras"), model);
        // Nothing but the two models: the temporary files were renamed away.
        Assert.Equal(["copy.h5", "copy.keras"], Directory.GetFiles(dir.Path).Select(p => Path.GetFileName(p)!).Order().ToArray());
    }

    /// <summary>What Keras 3's legacy loader reads from a .h5, in the layout Keras 3 writes.</summary>
    internal static void AssertLegacyLayout(string path, Sequential model)
    {
        using var file = H5File.OpenRead(path);
        Assert.False(string.IsNullOrEmpty(file.Attribute("keras_version").Read<string>()));
        Assert.Equal("tensorflow", file.Attribute("backend").Read<string>());
        var config = JsonNode.Parse(file.Attribute("model_config").Read<string>())!.AsObject();
        Assert.Equal("Sequential", (string?)config["class_name"]);
        var layers = config["config"]!["layers"]!.AsArray();
        Assert.Equal("InputLayer", (string?)layers[0]!["class_name"]);
        Assert.NotNull(layers[0]!["config"]!["batch_shape"]);
        Assert.Equal(model.Layers.Select(l => l.ClassName), layers.Skip(1).Select(l => (string?)l!["class_name"]));
        Assert.All(layers, l => Assert.Null(l!["module"]));  // legacy style: no module keys at layer level
        // Keras 3 refuses Keras 2's RNN arguments.
        Assert.All(layers, l => Assert.False(l!["config"]!.AsObject().ContainsKey("time_major") || l["config"]!.AsObject().ContainsKey("implementation")));

        var weights = file.Group("model_weights");
        Assert.Equal(model.Layers.Select(l => l.Name), weights.Attribute("layer_names").Read<string[]>());
        foreach (var layer in model.Layers)
        {
            var group = weights.Group(layer.Name);
            var attribute = group.Attribute("weight_names");
            if (layer.Weights.Count == 0)
            {
                Assert.Equal(H5DataTypeClass.FloatingPoint, attribute.Type.Class);
                Assert.Equal([0UL], attribute.Space.Dimensions);
                continue;
            }
            var names = attribute.Read<string[]>();
            Assert.Equal(layer.Weights.Count, names.Length);
            for (int w = 0; w < names.Length; w++)
            {
                Assert.StartsWith($"{model.Name}/{layer.Name}/", names[w]);  // Keras 3's variable paths, no ":0"
                Assert.EndsWith("/" + layer.Weights[w].Name, names[w]);
                var dataset = group.Dataset(names[w]);
                Assert.Equal(layer.Weights[w].Value.Shape.ToArray().Select(d => (ulong)d), dataset.Space.Dimensions);
                Assert.Equal(layer.Weights[w].Value.Span.ToArray(), dataset.Read<float[]>());
            }
        }
        Assert.True(weights.LinkExists("top_level_model_weights"));
    }

    /// <summary>What Keras 3's <c>load_model</c> reads from a .keras archive.</summary>
    internal static void AssertKerasLayout(string path, Sequential model)
    {
        using var zip = ZipFile.OpenRead(path);
        Assert.Equal(["metadata.json", "config.json", "model.weights.h5"], zip.Entries.Select(e => e.FullName).ToArray());
        var metadata = JsonNode.Parse(zip.GetEntry("metadata.json")!.Open())!;
        Assert.StartsWith("3.", (string?)metadata["keras_version"]);
        Assert.NotNull(metadata["date_saved"]);
        var config = JsonNode.Parse(zip.GetEntry("config.json")!.Open())!.AsObject();
        Assert.Equal("keras", (string?)config["module"]);
        Assert.Equal("Sequential", (string?)config["class_name"]);
        Assert.True(config.ContainsKey("registered_name"));
        Assert.NotNull(config["build_config"]!["input_shape"]);
        var layers = config["config"]!["layers"]!.AsArray();
        Assert.Equal("InputLayer", (string?)layers[0]!["class_name"]);
        Assert.NotNull(layers[0]!["config"]!["batch_shape"]);
        foreach (var entry in layers.Skip(1))
        {
            Assert.Equal("keras.layers", (string?)entry!["module"]);
            Assert.NotNull(entry["build_config"]!["input_shape"]);
            Assert.NotNull(entry["config"]!["name"]);
        }

        using var weights = new MemoryStream();
        zip.GetEntry("model.weights.h5")!.Open().CopyTo(weights);
        weights.Position = 0;
        using var file = H5File.Open(weights, leaveOpen: true);
        Assert.Equal(model.Name, file.Group("vars").Attribute("name").Read<string>());
        var counts = new Dictionary<string, int>();
        foreach (var layer in model.Layers)
        {
            string snake = layer.ClassName switch { "SimpleRNN" => "simple_rnn", var c => c.ToLowerInvariant() };
            int k = counts.GetValueOrDefault(snake);
            counts[snake] = k + 1;
            string path3 = "layers/" + (k == 0 ? snake : $"{snake}_{k}");
            string vars = layer is Sequor.Layers.Recurrent ? path3 + "/cell/vars" : path3 + "/vars";
            Assert.Equal(layer.Name, file.Group(path3 + "/vars").Attribute("name").Read<string>());
            for (int w = 0; w < layer.Weights.Count; w++)
                Assert.Equal(layer.Weights[w].Value.Span.ToArray(), file.Dataset($"{vars}/{w}").Read<float[]>());
            Assert.False(file.Group(vars).LinkExists(layer.Weights.Count.ToString()));
        }
    }
}
