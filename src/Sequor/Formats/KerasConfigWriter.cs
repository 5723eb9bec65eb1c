using System.Text.Json.Nodes;
using Sequor.Formats.Specs;
using Sequor.Layers;

namespace Sequor.Formats;

/// <summary>
/// Writes a built <see cref="Sequential"/> as a Keras model config in one of three styles: the Keras 3 style of a
/// .keras archive (<c>config.json</c>), the config Keras 3's own legacy HDF5 writer puts in a full-model .h5
/// (<c>model_config</c>: plain <c>{class_name, config}</c> entries, <c>module</c> only where Keras 3's loader
/// needs it), and Keras 2's <c>model_config</c> (<c>time_major</c>, <c>implementation</c>), for models only Keras 2
/// computes as Sequor does.
/// </summary>
internal static class KerasConfigWriter
{
    internal enum Style
    {
        /// <summary>Keras 2's legacy .h5 <c>model_config</c>, as Keras 2.11–2.15 write it.</summary>
        Keras2Legacy,

        /// <summary>The <c>model_config</c> of a .h5 as Keras 3's <c>legacy_h5_format.save_model_to_hdf5</c> writes it.</summary>
        Keras3Legacy,

        /// <summary>The <c>config.json</c> of a .keras archive.</summary>
        Keras3,
    }

    /// <summary>
    /// The Keras version to stamp on a file. hard_sigmoid means different formulas in Keras 2 and 3, so a
    /// model that uses Keras 2's must claim Keras 2; a model cannot mix the two.
    /// </summary>
    internal static string KerasVersionFor(Sequential model)
    {
        var hard = model.Layers.SelectMany(l => LayerSpecs.For(l).Activations(l))
            .Where(a => a.Name == "hard_sigmoid").Select(a => a.IsKeras2HardSigmoid).Distinct().ToArray();
        if (hard.Length > 1)
            throw new SequorException($"model '{model.Name}' mixes Keras 2's and Keras 3's hard_sigmoid; a Keras file can hold only one of them");
        return hard is [true] ? "2.15.0" : "3.6.0";
    }

    internal static JsonObject Write(Sequential model, Style style)
    {
        if (!model.IsBuilt) throw new SequorException($"model '{model.Name}' is not built: call Build(inputShape) before saving");
        bool open = model.HasOpenLength;
        var writer = new Writer(style, open);
        var batchShape = BatchShape(model.InputShape, open);
        var layers = new JsonArray();
        string inputName = style == Style.Keras2Legacy ? model.Layers[0].Name + "_input" : "input_layer";
        var inputConfig = new JsonObject
        {
            [style == Style.Keras2Legacy ? "batch_input_shape" : "batch_shape"] = batchShape.DeepClone(),
            ["dtype"] = "float32",
            ["sparse"] = false,
        };
        if (style == Style.Keras2Legacy) inputConfig["ragged"] = false;
        inputConfig["name"] = inputName;
        layers.Add(writer.Entry("InputLayer", inputConfig, null));

        for (int i = 0; i < model.Layers.Count; i++)
        {
            var layer = model.Layers[i];
            var config = writer.LayerConfig(layer);
            if (style == Style.Keras2Legacy && i == 0)
            {
                // Keras 2 records the model input on its first layer as well.
                config.Insert(2, "batch_input_shape", batchShape.DeepClone());
                LayerSpecs.For(layer).WriteKeras2Input(config, open ? null : model.InputShape[0]);
            }
            // the model's input is all time axis; further inputs have one when they are sequences (rank two and more)
            layers.Add(writer.Entry(layer.ClassName, config,
                style == Style.Keras3 ? BatchShape(layer.InputShape, open && (i == 0 || layer.InputShape.Count >= 2)) : null));
        }

        var modelConfig = new JsonObject { ["name"] = model.Name };
        if (style != Style.Keras2Legacy)
        {
            modelConfig["trainable"] = true;
            modelConfig["dtype"] = writer.DType();
        }
        modelConfig["layers"] = layers;
        if (style != Style.Keras2Legacy) modelConfig["build_input_shape"] = batchShape.DeepClone();

        var root = new JsonObject();
        if (style == Style.Keras3) root["module"] = "keras";
        root["class_name"] = "Sequential";
        root["config"] = modelConfig;
        if (style == Style.Keras3)
        {
            root["registered_name"] = null;
            root["build_config"] = new JsonObject { ["input_shape"] = batchShape.DeepClone() };
        }
        return root;
    }

    // openTime: the shape's time axis (its first, after the batch) is None, as a model of open length has it.
    internal static JsonArray BatchShape(IReadOnlyList<int> shape, bool openTime)
    {
        var array = new JsonArray { null };
        for (int i = 0; i < shape.Count; i++)
            array.Add(openTime && i == 0 ? null : (JsonNode)shape[i]);  // JsonValue, not Add<T>: no reflection, trimming-safe
        return array;
    }

    // open: the model is of open length, so a sequence's time axis is written as None.
    internal sealed class Writer(Style style, bool open)
    {
        internal bool Keras3 => style != Style.Keras2Legacy;

        /// <summary>The model is of open length: a sequence's time axis is written as None.</summary>
        internal bool Open => open;

        // The .keras style serializes every object with its module; Keras 3's .h5 writer and Keras 2 do not.
        private bool Modules => style == Style.Keras3;

        internal JsonObject Entry(string className, JsonObject config, JsonArray? buildShape)
        {
            if (!Modules) return new JsonObject { ["class_name"] = className, ["config"] = config };
            var entry = new JsonObject { ["module"] = "keras.layers", ["class_name"] = className, ["config"] = config, ["registered_name"] = null };
            if (buildShape is not null) entry["build_config"] = new JsonObject { ["input_shape"] = buildShape };
            return entry;
        }

        // Keras 3's .h5 writer serializes the dtype policy as an object, as Keras 3.6 writes it; the other styles a name.
        internal JsonNode DType() => style == Style.Keras3Legacy
            ? new JsonObject { ["module"] = "keras", ["class_name"] = "DTypePolicy", ["config"] = new JsonObject { ["name"] = "float32" }, ["registered_name"] = null }
            : "float32";

        internal JsonObject Common(string name) => new() { ["name"] = name, ["trainable"] = true, ["dtype"] = DType() };

        internal JsonObject LayerConfig(Layer layer) =>
            (LayerSpecs.Find(layer) ?? throw new SequorException($"layer '{layer.Name}' ({layer.ClassName}) has no Keras config writer")).Write(this, layer);

        internal JsonNode Initializer(Initializer initializer)
        {
            var (className, config) = KerasInitializers.Describe(initializer);
            return Keras3
                ? new JsonObject { ["module"] = "keras.initializers", ["class_name"] = className, ["config"] = config, ["registered_name"] = null }
                : new JsonObject { ["class_name"] = className, ["config"] = config };
        }
    }

    internal static JsonObject Add(JsonObject config, params (string Key, JsonNode? Value)[] entries)
    {
        foreach (var (key, value) in entries) config[key] = value;
        return config;
    }
}
