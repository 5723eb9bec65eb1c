using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sequor.Formats.Specs;
using Sequor.Layers;

namespace Sequor.Formats;

/// <summary>
/// Turns a Keras model config (the <c>model_config</c> attribute of a legacy .h5, or <c>config.json</c> of a
/// .keras archive) into an unbuilt <see cref="Sequential"/> plus the input shape it was built for.
/// </summary>
/// <remarks>
/// Both serialization styles are read: Keras 2's legacy <c>{"class_name", "config"}</c> entries and Keras 3's
/// <c>{"module", "class_name", "config", "registered_name", "build_config"}</c>. Keys Sequor does not know are
/// ignored (every Keras version adds some); a layer class or an option value that would change what the model
/// computes and that Sequor cannot honour is an error naming it, never a silent approximation.
/// </remarks>
internal sealed class KerasConfigReader
{
    // Keras 2 and Keras 3 define hard_sigmoid differently (slope 0.2 versus 1/6), so the file's Keras version
    // decides which formula a stored "hard_sigmoid" means.
    private readonly bool keras2;

    private KerasConfigReader(bool keras2) => this.keras2 = keras2;

    /// <summary>
    /// A parsed model: its layers, not built, and the input shape without the batch axis. With
    /// <see cref="OpenLength"/> the file leaves the time axis open (None) and InputShape holds length 1 there.
    /// </summary>
    internal sealed record Result(Sequential Model, int[] InputShape)
    {
        public bool OpenLength { get; init; }
    }

    /// <summary>True when a file of <paramref name="kerasVersion"/> means Keras 2's hard_sigmoid (absent = Keras 1).</summary>
    internal static bool IsKeras2OrOlder(string? kerasVersion)
    {
        if (string.IsNullOrWhiteSpace(kerasVersion)) return true;
        var major = kerasVersion.Trim().Split('.')[0];
        return !int.TryParse(major, NumberStyles.None, CultureInfo.InvariantCulture, out int m) || m <= 2;
    }

    /// <param name="json">The config text.</param>
    /// <param name="kerasVersion">The version that wrote the file (root attribute or metadata.json).</param>
    /// <param name="inputShape">Overrides the input shape (needed when the file leaves a dimension as None).</param>
    internal static Result Read(string json, string? kerasVersion, int[]? inputShape)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new SequorException($"the model config is not valid JSON ({OneLine(e.Message)})");
        }
        return new KerasConfigReader(IsKeras2OrOlder(kerasVersion)).ReadModel(root, inputShape);
    }

    private Result ReadModel(JsonNode? root, int[]? inputShapeOverride)
    {
        if (root is not JsonObject rootObject) throw new SequorException("the model config is not a JSON object");
        string className = String(rootObject, "class_name", "model config") ?? "";
        if (className != "Sequential")
            throw new SequorException($"the model is a Keras '{className}' model; Sequor loads Sequential models only");

        var config = rootObject["config"];
        string name = "sequential";
        JsonArray? layers;
        if (config is JsonArray list) layers = list;  // Keras ≤ 2.1 stored a Sequential as the bare layer list
        else if (config is JsonObject configObject)
        {
            name = String(configObject, "name", "model config") ?? name;
            layers = configObject["layers"] as JsonArray;
        }
        else throw new SequorException("the model config has no 'config' object");
        if (layers is null || layers.Count == 0) throw new SequorException($"model '{name}' config has no 'layers' list");

        int?[]? shape = null;
        var model = new Sequential([], seed: null, name);
        foreach (var entry in layers)
        {
            if (entry is not JsonObject layerEntry) throw new SequorException($"model '{name}': a layer entry is not a JSON object");
            string layerClass = String(layerEntry, "class_name", "layer entry")
                ?? throw new SequorException($"model '{name}': a layer entry has no class_name");
            var layerConfig = layerEntry["config"] as JsonObject
                ?? throw new SequorException($"model '{name}': layer of class '{layerClass}' has no config object");
            if (model.Layers.Count == 0) shape ??= DeclaredInputShape(layerEntry, layerConfig, layerClass);
            if (layerClass == "InputLayer")
            {
                if (model.Layers.Count > 0) throw new SequorException($"model '{name}': an InputLayer after the first layer is not supported");
                continue;
            }
            model.Add(ReadLayer(layerClass, layerConfig));
        }
        if (config is JsonObject c) shape ??= ShapeAfterBatch(c["build_input_shape"]);
        shape ??= ShapeAfterBatch((rootObject["build_config"] as JsonObject)?["input_shape"]);

        if (inputShapeOverride is not null) return new Result(model, inputShapeOverride.ToArray());
        if (shape is null)
            throw new SequorException($"model '{name}' config does not say its input shape; pass the input shape to Load");
        // Keras's Input(shape=(None,)) or (None, depth): any sequence length; the weights do not depend on it.
        if (shape[0] is null && shape.Length <= 2 && shape.Skip(1).All(d => d is not null))
            return new Result(model, [1, .. shape.Skip(1).Select(d => d!.Value)]) { OpenLength = true };
        if (shape.Any(d => d is null))
            throw new SequorException($"model '{name}' has input shape {FormatShape(shape)} with an open (None) dimension; pass the input shape to Load");
        return new Result(model, shape.Select(d => d!.Value).ToArray());
    }

    /// <summary>The input shape the first entry declares (InputLayer or the first layer's own batch shape).</summary>
    private int?[]? DeclaredInputShape(JsonObject entry, JsonObject config, string layerClass)
    {
        var shape = ShapeAfterBatch(config["batch_input_shape"]) ?? ShapeAfterBatch(config["batch_shape"]);
        if (shape is null && config["input_shape"] is JsonArray inputShape) shape = Shape(inputShape, "input_shape");
        shape ??= ShapeAfterBatch((entry["build_config"] as JsonObject)?["input_shape"]);
        shape ??= LayerSpecs.ForClassName(layerClass)?.DeclaredInputShape(config);
        return shape;
    }

    private static int?[]? ShapeAfterBatch(JsonNode? node)
    {
        if (node is not JsonArray array) return null;
        if (array.Count < 2) throw new SequorException($"input shape {node.ToJsonString()} needs a batch axis and at least one more");
        return Shape(array, "input shape")[1..];
    }

    private static int?[] Shape(JsonArray array, string what)
    {
        var shape = new int?[array.Count];
        for (int i = 0; i < array.Count; i++)
        {
            var d = array[i];
            if (d is null) continue;
            if (d is not JsonValue v || !v.TryGetValue(out long n) || n <= 0 || n > int.MaxValue)
                throw new SequorException($"{what} {array.ToJsonString()} has dimension {d.ToJsonString()}; expected a positive integer or null");
            shape[i] = (int)n;
        }
        return shape;
    }

    private static string FormatShape(int?[] shape) => "(None, " + string.Join(", ", shape.Select(d => d?.ToString(CultureInfo.InvariantCulture) ?? "None")) + ")";

    private Layer ReadLayer(string className, JsonObject config)
    {
        string name = String(config, "name", className) ?? "";
        string where = name.Length > 0 ? $"layer '{name}' ({className})" : className;
        CheckCommon(config, where);
        try
        {
            var spec = LayerSpecs.ForClassName(className)
                ?? throw new SequorException($"{where}: Sequor has no layer class '{className}' (it has {LayerSpecs.Names})");
            return spec.Read(this, config, name, where);
        }
        catch (SequorException e) when (!e.Message.StartsWith(where, StringComparison.Ordinal) && !e.Message.StartsWith("layer '", StringComparison.Ordinal))
        {
            throw new SequorException($"{where}: {e.Message}", e);
        }
    }

    // Options every layer may carry that would change training or numerics if ignored.
    internal static void CheckCommon(JsonObject config, string where)
    {
        if (config["trainable"] is JsonValue trainable && trainable.TryGetValue(out bool t) && !t)
            throw new SequorException($"{where}: trainable=false (frozen layers) is not supported");
        var dtype = config["dtype"];
        string? dtypeName = dtype switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonObject o => (o["config"] as JsonObject)?["name"] is JsonValue n && n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : null,
            _ => null,
        };
        if (dtype is not null && dtypeName != "float32")
            throw new SequorException($"{where}: dtype {dtype.ToJsonString()} is not supported; Sequor computes in float32");
        foreach (var key in new[] { "activity_regularizer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                     "embeddings_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "embeddings_constraint" })
            if (config[key] is { } value)
                throw new SequorException($"{where}: {key} {Short(value)} is not supported (only null)");
    }

    internal Activation ReadActivation(JsonObject config, string key, string where, Activation fallback)
    {
        var node = config[key];
        if (node is null) return config.ContainsKey(key) ? Activation.Linear : fallback;
        string? name = node switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            // Keras 3 may serialize a built-in function as {"module": "keras.activations", "class_name": "function", "config": "tanh"}
            JsonObject o when o["config"] is JsonValue c && c.GetValueKind() == JsonValueKind.String => c.GetValue<string>(),
            JsonObject o when o["class_name"] is JsonValue c && c.GetValueKind() == JsonValueKind.String => c.GetValue<string>(),
            _ => null,
        };
        if (name is null) throw new SequorException($"{where}: {key} {Short(node)} is not an activation name");
        try
        {
            return Activation.FromName(name, keras2);
        }
        catch (SequorException e)
        {
            throw new SequorException($"{where}: {key}: {e.Message}", e);
        }
    }

    internal static Initializer ReadInitializer(JsonObject config, string key, string where, Initializer fallback)
    {
        var node = config[key];
        if (node is null) return fallback;
        string? className;
        JsonObject? arguments = null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String) className = v.GetValue<string>();
        else if (node is JsonObject o && o["class_name"] is JsonValue c && c.GetValueKind() == JsonValueKind.String)
        {
            className = c.GetValue<string>();
            arguments = o["config"] as JsonObject;
        }
        else throw new SequorException($"{where}: {key} {Short(node)} is not an initializer");

        switch (className)
        {
            case "RandomUniform" or "random_uniform" or "uniform":
                double min = arguments is null ? -0.05 : NumberOr(arguments, "minval", where, -0.05);
                double max = arguments is null ? 0.05 : NumberOr(arguments, "maxval", where, 0.05);
                return KerasInitializers.Uniform(min, max);
            case "Orthogonal" or "OrthogonalInitializer" or "orthogonal":
                if (arguments is not null && NumberOr(arguments, "gain", where, 1) != 1)
                    throw new SequorException($"{where}: {key} Orthogonal with gain {arguments["gain"]!.ToJsonString()} is not supported (only 1.0)");
                return Initializer.Orthogonal;
        }
        try
        {
            return Initializer.FromName(className);
        }
        catch (SequorException e)
        {
            throw new SequorException($"{where}: {key}: {e.Message}", e);
        }
    }

    internal static string? String(JsonObject o, string key, string where)
    {
        var node = o[key];
        if (node is null) return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String) return v.GetValue<string>();
        throw new SequorException($"{where}: {key} {Short(node)} is not a string");
    }

    internal static int Int(JsonObject o, string key, string where)
    {
        var node = o[key] ?? throw new SequorException($"{where}: config has no '{key}'");
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double d) && d == Math.Floor(d) && d >= int.MinValue && d <= int.MaxValue)
            return (int)d;
        throw new SequorException($"{where}: {key} {Short(node)} is not an integer");
    }

    internal static bool Bool(JsonObject o, string key, string where, bool fallback)
    {
        var node = o[key];
        if (node is null) return fallback;
        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return v.GetValue<bool>();
        throw new SequorException($"{where}: {key} {Short(node)} is not true or false");
    }

    internal static double Number(JsonObject o, string key, string where) =>
        o[key] is null ? throw new SequorException($"{where}: config has no '{key}'") : NumberOr(o, key, where, 0);

    internal static double NumberOr(JsonObject o, string key, string where, double fallback)
    {
        var node = o[key];
        if (node is null) return fallback;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double d) && double.IsFinite(d)) return d;
        throw new SequorException($"{where}: {key} {Short(node)} is not a number");
    }

    internal static string Short(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "null";
        return text.Length > 80 ? text[..77] + "..." : text;
    }

    /// <summary>One line, cut at 300 characters: messages from the HDF5, zip and JSON readers can quote file content.</summary>
    internal static string OneLine(string message) => SequorException.OneLine(message, 300);
}
