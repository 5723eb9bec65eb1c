using System.Text.Json.Nodes;
using Sequor.Layers;

namespace Sequor.Formats;

/// <summary>
/// Writes a built <see cref="Sequential"/> as a Keras model config, in the legacy style of a Keras 2 .h5
/// (<c>model_config</c>) or the Keras 3 style of a .keras archive (<c>config.json</c>), with the keys Keras's
/// loaders read (§6.2, §6.6 of the Keras reference).
/// </summary>
internal static class KerasConfigWriter
{
    internal enum Style { Keras2Legacy, Keras3 }

    /// <summary>
    /// The Keras version to stamp on a file. hard_sigmoid means different formulas in Keras 2 and 3, so a
    /// model that uses Keras 2's must claim Keras 2; a model cannot mix the two.
    /// </summary>
    internal static string KerasVersionFor(Sequential model)
    {
        var hard = AllRecurrent(model).SelectMany(r => new[] { r.Activation, r.RecurrentActivation })
            .Concat(model.Layers.OfType<Dense>().Select(d => d.Activation))
            .Where(a => a.Name == "hard_sigmoid").Select(a => a.IsKeras2HardSigmoid).Distinct().ToArray();
        if (hard.Length > 1)
            throw new SequorException($"model '{model.Name}' mixes Keras 2's and Keras 3's hard_sigmoid; a Keras file can hold only one of them");
        return hard is [true] ? "2.15.0" : "3.6.0";
    }

    private static IEnumerable<Recurrent> AllRecurrent(Sequential model) =>
        model.Layers.Select(l => l switch { Recurrent r => r, Bidirectional b => b.Layer, _ => null }).OfType<Recurrent>();

    internal static JsonObject Write(Sequential model, Style style)
    {
        if (!model.IsBuilt) throw new SequorException($"model '{model.Name}' is not built: call Build(inputShape) before saving");
        bool k3 = style == Style.Keras3;
        bool open = model.HasOpenLength;
        var batchShape = BatchShape(model.InputShape, open);
        var layers = new JsonArray();
        string inputName = k3 ? "input_layer" : model.Layers[0].Name + "_input";
        var inputConfig = new JsonObject
        {
            [k3 ? "batch_shape" : "batch_input_shape"] = batchShape.DeepClone(),
            ["dtype"] = "float32",
            ["sparse"] = false,
        };
        if (!k3) inputConfig["ragged"] = false;
        inputConfig["name"] = inputName;
        layers.Add(Entry("InputLayer", inputConfig, null, k3));

        for (int i = 0; i < model.Layers.Count; i++)
        {
            var layer = model.Layers[i];
            var config = LayerConfig(layer, k3);
            if (!k3 && i == 0)
            {
                // Keras 2 records the model input on its first layer as well.
                config.Insert(2, "batch_input_shape", batchShape.DeepClone());
                if (layer is Embedding) config["input_length"] = open ? null : model.InputShape[0];
            }
            // the model's input is all time axis; further inputs have one when they are sequences (rank two and more)
            layers.Add(Entry(layer.ClassName, config, k3 ? BatchShape(layer.InputShape, open && (i == 0 || layer.InputShape.Count >= 2)) : null, k3));
        }

        var modelConfig = new JsonObject { ["name"] = model.Name };
        if (k3)
        {
            modelConfig["trainable"] = true;
            modelConfig["dtype"] = "float32";
        }
        modelConfig["layers"] = layers;
        if (k3) modelConfig["build_input_shape"] = batchShape.DeepClone();

        var root = new JsonObject();
        if (k3) root["module"] = "keras";
        root["class_name"] = "Sequential";
        root["config"] = modelConfig;
        if (k3)
        {
            root["registered_name"] = null;
            root["build_config"] = new JsonObject { ["input_shape"] = batchShape.DeepClone() };
        }
        return root;
    }

    // openTime: the shape's time axis (its first, after the batch) is None, as a model of open length has it.
    private static JsonArray BatchShape(IReadOnlyList<int> shape, bool openTime)
    {
        var array = new JsonArray { null };
        for (int i = 0; i < shape.Count; i++)
            array.Add(openTime && i == 0 ? null : (JsonNode)shape[i]);  // JsonValue, not Add<T>: no reflection, trimming-safe
        return array;
    }

    private static JsonObject Entry(string className, JsonObject config, JsonArray? buildShape, bool k3)
    {
        if (!k3) return new JsonObject { ["class_name"] = className, ["config"] = config };
        var entry = new JsonObject { ["module"] = "keras.layers", ["class_name"] = className, ["config"] = config, ["registered_name"] = null };
        if (buildShape is not null) entry["build_config"] = new JsonObject { ["input_shape"] = buildShape };
        return entry;
    }

    private static JsonObject Common(Layer layer) => new() { ["name"] = layer.Name, ["trainable"] = true, ["dtype"] = "float32" };

    private static JsonObject LayerConfig(Layer layer, bool k3) => layer switch
    {
        Embedding e => Embedding(e, k3),
        Dense d => Dense(d, k3),
        Dropout d => Add(Common(d), ("rate", Num(d.Rate)), ("noise_shape", null), ("seed", null)),
        Recurrent r => Recurrent(r, r.Name, k3),
        Bidirectional b => Bidirectional(b, k3),
        _ => throw new SequorException($"layer '{layer.Name}' ({layer.ClassName}) has no Keras config writer"),
    };

    private static JsonObject Embedding(Embedding e, bool k3) => Add(Common(e),
        ("input_dim", e.InputDim), ("output_dim", e.OutputDim),
        ("embeddings_initializer", Initializer(e.EmbeddingsInitializer, k3)),
        ("embeddings_regularizer", null), ("activity_regularizer", null), ("embeddings_constraint", null),
        ("mask_zero", e.MaskZero));

    private static JsonObject Dense(Dense d, bool k3) => Add(Common(d),
        ("units", d.Units), ("activation", d.Activation.Name), ("use_bias", d.UseBias),
        ("kernel_initializer", Initializer(d.KernelInitializer, k3)), ("bias_initializer", Initializer(d.BiasInitializer, k3)),
        ("kernel_regularizer", null), ("bias_regularizer", null), ("activity_regularizer", null),
        ("kernel_constraint", null), ("bias_constraint", null));

    private static JsonObject Recurrent(Recurrent r, string name, bool k3)
    {
        var config = Common(r);
        config["name"] = name;
        Add(config, ("return_sequences", r.ReturnSequences), ("return_state", false), ("go_backwards", r.GoBackwards),
            ("stateful", false), ("unroll", false));
        if (k3) config["zero_output_for_mask"] = false;
        else config["time_major"] = false;
        Add(config, ("units", r.Units), ("activation", r.Activation.Name));
        if (r is not SimpleRNN) config["recurrent_activation"] = r.RecurrentActivation.Name;
        Add(config, ("use_bias", r.UseBias),
            ("kernel_initializer", Initializer(r.KernelInitializer, k3)),
            ("recurrent_initializer", Initializer(r.RecurrentInitializer, k3)),
            ("bias_initializer", Initializer(r.BiasInitializer, k3)));
        if (r is LSTM lstm) config["unit_forget_bias"] = lstm.UnitForgetBias;
        Add(config, ("kernel_regularizer", null), ("recurrent_regularizer", null), ("bias_regularizer", null),
            ("activity_regularizer", null), ("kernel_constraint", null), ("recurrent_constraint", null), ("bias_constraint", null),
            ("dropout", Num(r.Dropout)), ("recurrent_dropout", Num(r.RecurrentDropout)));
        if (!k3 && r is not SimpleRNN) config["implementation"] = 2;
        if (r is GRU gru) config["reset_after"] = gru.ResetAfter;
        if (k3 && r is not SimpleRNN) config["seed"] = null;
        return config;
    }

    private static JsonObject Bidirectional(Bidirectional b, bool k3)
    {
        var inner = Recurrent(b.Layer, b.Layer.Name, k3);
        var config = Common(b);
        config["layer"] = k3
            ? new JsonObject { ["module"] = "keras.layers", ["class_name"] = b.Layer.ClassName, ["config"] = inner, ["registered_name"] = null }
            : new JsonObject { ["class_name"] = b.Layer.ClassName, ["config"] = inner };
        config["merge_mode"] = b.MergeMode switch
        {
            MergeMode.Concat => "concat",
            MergeMode.Sum => "sum",
            MergeMode.Mul => "mul",
            _ => "ave",
        };
        return config;
    }

    private static JsonNode Initializer(Initializer initializer, bool k3)
    {
        var (className, config) = KerasInitializers.Describe(initializer);
        return k3
            ? new JsonObject { ["module"] = "keras.initializers", ["class_name"] = className, ["config"] = config, ["registered_name"] = null }
            : new JsonObject { ["class_name"] = className, ["config"] = config };
    }

    // The shortest decimal that round-trips the float (0.3, not 0.30000001192092896), as Keras writes it.
    private static double Num(Real value) => double.Parse(value.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);

    private static JsonObject Add(JsonObject config, params (string Key, JsonNode? Value)[] entries)
    {
        foreach (var (key, value) in entries) config[key] = value;
        return config;
    }
}
