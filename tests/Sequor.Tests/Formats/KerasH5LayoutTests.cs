using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PureHDF;

namespace Sequor.Tests.Formats;

/// <summary>
/// Sequor's full-model .h5 is the file Keras 3 itself writes for the same model: every model of the interop
/// matrix, read from the .h5 Keras 3 wrote (Fixtures/Keras) and saved again by Sequor, has Keras's root
/// attributes, the same model_config and training_config (keys, values, JSON floats), the same weight paths and
/// the same optimizer_weights names. Keys Keras added after 3.6.0 (the version Sequor's files claim, and which
/// refuses them) are the only difference allowed.
/// </summary>
public class KerasH5LayoutTests
{
    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        foreach (var (name, _, _) in KerasInteropTests.Matrix()) data.Add(name);
        return data;
    }

    // Keras 3.15 writes these; Keras 3.6.0 rejects them as unknown arguments, so a file claiming 3.6.0 must not hold them.
    private static readonly string[] NewerThan36 = ["quantization_config", "optional", "input_axes", "output_axes"];

    [Theory]
    [MemberData(nameof(Models))]
    public void SequorWritesTheH5KerasWrites(string name)
    {
        string keras = SharedData.Fixture("Keras", name + ".h5");
        using var dir = new TempDirectory();
        string sequor = dir.File(name + ".h5");
        using (var model = Sequential.Load(keras)) model.Save(sequor);

        using var expected = H5File.OpenRead(keras);
        using var actual = H5File.OpenRead(sequor);
        Assert.Equal(Names(expected.Attributes()), Names(actual.Attributes()));
        Assert.Equal(Canonical(Config(expected, "model_config")), Canonical(Config(actual, "model_config")));
        Assert.Equal(Canonical(Training(Config(expected, "training_config"))), Canonical(Training(Config(actual, "training_config"))));

        var expectedWeights = expected.Group("model_weights");
        var actualWeights = actual.Group("model_weights");
        var layers = expectedWeights.Attribute("layer_names").Read<string[]>();
        Assert.Equal(layers, actualWeights.Attribute("layer_names").Read<string[]>());
        foreach (var layer in layers)
        {
            var names = WeightNames(expectedWeights.Group(layer));
            Assert.Equal(names, WeightNames(actualWeights.Group(layer)));
            foreach (var weight in names)
                Assert.Equal(expectedWeights.Group(layer).Dataset(weight).Read<float[]>(), actualWeights.Group(layer).Dataset(weight).Read<float[]>());
        }

        // The paths start with the optimizer's name: "rm_sprop" in Keras 3.15, "rmsprop" in 3.6.0 and Sequor.
        static string[] WithoutOptimizerName(IH5Group file) =>
            file.Group("optimizer_weights").Attribute("weight_names").Read<string[]>().Select(n => n[n.IndexOf('/')..]).ToArray();
        Assert.Equal(WithoutOptimizerName(expected), WithoutOptimizerName(actual));
    }

    private static string[] Names(IEnumerable<IH5Attribute> attributes) => attributes.Select(a => a.Name).Order(StringComparer.Ordinal).ToArray();

    private static string[] WeightNames(IH5Group layer)
    {
        var attribute = layer.Attribute("weight_names");
        return attribute.Type.Class == H5DataTypeClass.String ? attribute.Read<string[]>() : [];
    }

    private static JsonNode Config(IH5Object file, string attribute) => JsonNode.Parse(file.Attribute(attribute).Read<string>())!;

    // jit_compile records how Keras ran; the optimizer's default name differs between Keras versions (rm_sprop, rmsprop).
    private static JsonNode Training(JsonNode training)
    {
        training.AsObject().Remove("jit_compile");
        training["optimizer_config"]!["config"]!.AsObject().Remove("name");
        return training;
    }

    /// <summary>JSON with sorted keys, Keras 3.15's newer keys dropped, numbers tagged int or float (0 ≠ 0.0).</summary>
    private static string Canonical(JsonNode? node)
    {
        var text = new StringBuilder();
        Write(node, text);
        return text.ToString();
    }

    private static void Write(JsonNode? node, StringBuilder text)
    {
        switch (node)
        {
            case JsonObject o:
                bool input = (string?)o["class_name"] == "InputLayer";
                text.Append('{');
                foreach (var (key, value) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (NewerThan36.Contains(key) || key == "shared_object_id") continue;
                    if (key == "config" && input && value is JsonObject c) c.Remove("ragged");  // 3.15's InputLayer only
                    text.Append(key).Append(':');
                    Write(value, text);
                    text.Append(',');
                }
                text.Append('}');
                break;
            case JsonArray a:
                text.Append('[');
                foreach (var item in a)
                {
                    Write(item, text);
                    text.Append(',');
                }
                text.Append(']');
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                string raw = v.ToJsonString();
                text.Append(raw.IndexOfAny(['.', 'e', 'E']) >= 0
                    ? "float " + double.Parse(raw, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture)
                    : "int " + raw);
                break;
            default:
                text.Append(node?.ToJsonString() ?? "null");
                break;
        }
    }
}
