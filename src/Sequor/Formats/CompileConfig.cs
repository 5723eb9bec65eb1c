using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sequor.Training;

namespace Sequor.Formats;

/// <summary>
/// The compile settings of a model (optimizer with its hyper-parameters, loss, metrics) as Keras writes them:
/// Keras 3's <c>compile_config</c> in a .keras <c>config.json</c> and Keras 2's <c>training_config</c> root
/// attribute of a legacy .h5. Reading accepts both forms whatever file they come from.
/// </summary>
internal static class CompileConfig
{
    /// <summary>Keras's class name of an optimizer (<c>RMSprop</c>, <c>Adam</c>, <c>SGD</c>).</summary>
    internal static string ClassName(Optimizer optimizer) => optimizer switch
    {
        RMSprop => "RMSprop",
        Adam => "Adam",
        SGD => "SGD",
        _ => throw new SequorException($"optimizer {optimizer.GetType().Name} has no Keras counterpart"),
    };

    /// <summary>Keras 3's <c>compile_config</c> of a compiled model, as <c>model.compile</c> records it.</summary>
    internal static JsonObject WriteKeras3(Sequential model)
    {
        var optimizer = model.Optimizer!;
        var config = new JsonObject
        {
            ["name"] = optimizer.Name,
            ["learning_rate"] = LearningRate(optimizer.LearningRate),
            ["weight_decay"] = null,
            ["clipnorm"] = Optional(optimizer.Clipnorm),
            ["global_clipnorm"] = Optional(optimizer.GlobalClipnorm),
            ["clipvalue"] = Optional(optimizer.Clipvalue),
            ["use_ema"] = false,
            ["ema_momentum"] = JsonFloat.Of(0.99),
            ["ema_overwrite_frequency"] = null,
            ["loss_scale_factor"] = null,
            ["gradient_accumulation_steps"] = null,
        };
        AddHyperParameters(config, optimizer);
        return new JsonObject
        {
            ["optimizer"] = new JsonObject
            {
                ["module"] = "keras.optimizers",
                ["class_name"] = ClassName(optimizer),
                ["config"] = config,
                ["registered_name"] = null,
            },
            ["loss"] = model.Loss!.Name,
            ["loss_weights"] = null,
            ["metrics"] = model.Metrics.Count == 0 ? null : new JsonArray([.. model.Metrics.Select(m => (JsonNode)m.Name)]),
            ["weighted_metrics"] = null,
            ["run_eagerly"] = false,
            ["steps_per_execution"] = 1,
            ["jit_compile"] = false,
        };
    }

    /// <summary>
    /// Keras 3's <c>training_config</c> of a full-model .h5 (its legacy HDF5 writer, <c>saving_utils.model_metadata</c>):
    /// the <c>compile_config</c> with the optimizer moved to <c>optimizer_config</c> as <c>{class_name, config}</c>.
    /// </summary>
    internal static JsonObject WriteKeras3Legacy(Sequential model) => ToTrainingConfig(WriteKeras3(model));

    /// <summary>A Keras 3 <c>compile_config</c> turned into the <c>training_config</c> of a Keras 3 .h5.</summary>
    internal static JsonObject ToTrainingConfig(JsonObject compileConfig)
    {
        var training = (JsonObject)compileConfig.DeepClone();
        if (training["optimizer"] is not { } optimizer) return training;
        training.Remove("optimizer");
        training["optimizer_config"] = optimizer is JsonObject entry
            ? new JsonObject { ["class_name"] = entry["class_name"]?.DeepClone(), ["config"] = entry["config"]?.DeepClone() }
            : optimizer.DeepClone();
        return training;
    }

    /// <summary>
    /// Keras 2's <c>training_config</c> of a compiled model, as Keras 2.11–2.15 write it for their (non-legacy)
    /// optimizers: class <c>Custom&gt;RMSprop</c> with <c>is_legacy_optimizer: false</c>, metrics wrapped per output.
    /// </summary>
    internal static JsonObject WriteKeras2(Sequential model)
    {
        var optimizer = model.Optimizer!;
        var config = new JsonObject
        {
            ["name"] = ClassName(optimizer),
            ["weight_decay"] = null,
            ["clipnorm"] = Optional(optimizer.Clipnorm),
            ["global_clipnorm"] = Optional(optimizer.GlobalClipnorm),
            ["clipvalue"] = Optional(optimizer.Clipvalue),
            ["use_ema"] = false,
            ["ema_momentum"] = JsonFloat.Of(0.99),
            ["ema_overwrite_frequency"] = 100,
            ["jit_compile"] = false,
            ["is_legacy_optimizer"] = false,
            ["learning_rate"] = LearningRate(optimizer.LearningRate),
        };
        AddHyperParameters(config, optimizer);
        var metrics = new JsonArray([.. model.Metrics.Select(m => (JsonNode)Keras2Metric(model, m))]);
        return new JsonObject
        {
            ["loss"] = model.Loss!.Name,
            ["metrics"] = model.Metrics.Count == 0 ? null : new JsonArray(metrics),
            ["weighted_metrics"] = null,
            ["loss_weights"] = null,
            ["optimizer_config"] = new JsonObject { ["class_name"] = "Custom>" + ClassName(optimizer), ["config"] = config },
        };
    }

    private static void AddHyperParameters(JsonObject config, Optimizer optimizer)
    {
        switch (optimizer)
        {
            case RMSprop r:
                config["rho"] = Number(r.Rho);
                config["momentum"] = Number(r.Momentum);
                config["epsilon"] = Number(r.Epsilon);
                config["centered"] = r.Centered;
                break;
            case Adam a:
                config["beta_1"] = Number(a.Beta1);
                config["beta_2"] = Number(a.Beta2);
                config["epsilon"] = Number(a.Epsilon);
                config["amsgrad"] = a.Amsgrad;
                break;
            case SGD s:
                config["momentum"] = Number(s.Momentum);
                config["nesterov"] = s.Nesterov;
                break;
        }
    }

    // Keras 2 serializes each metric object; "accuracy" resolves by output width and loss as at compile time.
    private static JsonObject Keras2Metric(Sequential model, Metric metric)
    {
        if (metric.MetricKind != Metric.Kind.Accuracy)
            return new JsonObject
            {
                ["class_name"] = metric.MetricKind == Metric.Kind.Precision ? "Precision" : "Recall",
                ["config"] = new JsonObject { ["name"] = metric.Name, ["dtype"] = "float32", ["thresholds"] = null, ["top_k"] = null, ["class_id"] = null },
            };
        string fn = model.Loss!.IsSparse ? "sparse_categorical_accuracy"
            : model.IsBuilt && model.OutputShape[^1] == 1 ? "binary_accuracy" : "categorical_accuracy";
        return new JsonObject
        {
            ["class_name"] = "MeanMetricWrapper",
            ["config"] = new JsonObject { ["name"] = metric.Name, ["dtype"] = "float32", ["fn"] = fn },
        };
    }

    // Keras holds the learning rate in a float32 variable and writes its value widened to double.
    private static JsonNode LearningRate(Real value) => JsonFloat.Widened((float)value);

    // Other hyper-parameters are Python floats in Keras: the shortest decimal that reads back to the same float,
    // always a float literal (0.0, not 0: Keras refuses an int momentum).
    private static JsonNode Number(Real value) => JsonFloat.Of((float)value);

    private static JsonNode? Optional(Real? value) => value is { } v ? Number(v) : null;

    /// <summary>
    /// Compiles a loaded model as <paramref name="config"/> says and restores its optimizer state with
    /// <paramref name="restoreState"/> (which returns why not, or null). When either cannot be done the model
    /// stays loaded — uncompiled (keeping the raw config to write back), or with fresh optimizer state — and
    /// one line says so.
    /// </summary>
    internal static void Restore(Sequential model, TrainingConfig config, Func<string?> restoreState, Action<string>? warn)
    {
        warn ??= message => Console.Error.WriteLine(message);
        (Optimizer Optimizer, Loss Loss, Metric[] Metrics) settings;
        try
        {
            settings = Read(config.Json);
        }
        catch (SequorException e)
        {
            model.TrainingConfig = config;
            warn($"compile settings not restored ({KerasConfigReader.OneLine(e.Message)}); the model loads uncompiled");
            return;
        }
        model.Compile(settings.Optimizer, settings.Loss, settings.Metrics);
        if (restoreState() is { } problem) warn(problem + "; training resumes with fresh optimizer state");
    }

    /// <summary>
    /// The optimizer, loss and metrics a compile or training config names. A setting Sequor does not have (an
    /// unknown class, a learning-rate schedule, weight decay, EMA, from_logits, …) is a SequorException naming it.
    /// </summary>
    internal static (Optimizer Optimizer, Loss Loss, Metric[] Metrics) Read(string json)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new SequorException("the compile config is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new SequorException($"the compile config is not valid JSON ({KerasConfigReader.OneLine(e.Message)})");
        }
        var optimizerNode = root["optimizer"] ?? root["optimizer_config"] ?? throw new SequorException("the compile config names no optimizer");
        var optimizer = ReadOptimizer(optimizerNode);
        var loss = ReadLoss(root["loss"]);
        var metrics = new List<Metric>();
        ReadMetrics(root["metrics"], metrics);
        if (root["weighted_metrics"] is JsonNode weighted && !(weighted is JsonArray { Count: 0 }))
            throw new SequorException("weighted_metrics are not supported");
        if (root["loss_weights"] is JsonNode weights && !(weights is JsonArray { Count: 1 }))
            throw new SequorException("loss_weights are not supported");
        return (optimizer, loss, metrics.ToArray());
    }

    /// <summary>True when an optimizer config is Keras 2's legacy <c>optimizer_v2</c> (TF ≤ 2.10, or <c>is_legacy_optimizer: true</c>).</summary>
    internal static bool IsLegacyOptimizer(string json, string? kerasVersion)
    {
        try
        {
            var node = JsonNode.Parse(json);
            var config = (node?["optimizer_config"] ?? node?["optimizer"]) is JsonObject o ? o["config"] as JsonObject : null;
            if (config?["is_legacy_optimizer"] is JsonValue flag && flag.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
                return flag.GetValue<bool>();
        }
        catch (JsonException)
        {
        }
        // Before 2.11 every Keras 2 optimizer was optimizer_v2 and wrote no flag.
        return kerasVersion is not null && (kerasVersion.StartsWith("1.", StringComparison.Ordinal) || kerasVersion.StartsWith("2.", StringComparison.Ordinal));
    }

    private static Optimizer ReadOptimizer(JsonNode node)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String) return Optimizer.FromName(value.GetValue<string>());
        if (node is not JsonObject entry) throw new SequorException("the optimizer entry is neither a name nor an object");
        string className = Text(entry["class_name"]) ?? throw new SequorException("the optimizer entry has no class_name");
        string name = className.StartsWith("Custom>", StringComparison.Ordinal) ? className["Custom>".Length..] : className;
        var config = entry["config"] as JsonObject ?? [];

        if (config["learning_rate"] is JsonObject) throw new SequorException($"optimizer {name}: learning-rate schedules are not supported");
        if (!IsNullOrZero(config["weight_decay"])) throw new SequorException($"optimizer {name}: weight_decay is not supported");
        if (!IsNullOrZero(config["decay"])) throw new SequorException($"optimizer {name}: the legacy learning-rate decay is not supported");
        if (config["use_ema"] is JsonValue ema && ema.GetValueKind() == JsonValueKind.True) throw new SequorException($"optimizer {name}: use_ema is not supported");
        if (config["loss_scale_factor"] is JsonValue scale && scale.GetValueKind() != JsonValueKind.Null) throw new SequorException($"optimizer {name}: loss_scale_factor is not supported");
        if (config["gradient_accumulation_steps"] is JsonValue steps && steps.GetValueKind() != JsonValueKind.Null && ReadReal(steps, 1) != 1)
            throw new SequorException($"optimizer {name}: gradient_accumulation_steps is not supported");

        Real? lr = ReadReal(config["learning_rate"] ?? config["lr"]);
        Real? clipnorm = ReadReal(config["clipnorm"]), clipvalue = ReadReal(config["clipvalue"]), globalClipnorm = ReadReal(config["global_clipnorm"]);
        return name.ToLowerInvariant() switch
        {
            "rmsprop" => new RMSprop(lr ?? 0.001f, ReadReal(config["rho"]) ?? 0.9f, ReadReal(config["momentum"]) ?? 0, ReadReal(config["epsilon"]) ?? 1e-7f,
                Bool(config["centered"]), clipnorm, clipvalue, globalClipnorm),
            "adam" => new Adam(lr ?? 0.001f, ReadReal(config["beta_1"]) ?? 0.9f, ReadReal(config["beta_2"]) ?? 0.999f, ReadReal(config["epsilon"]) ?? 1e-7f,
                Bool(config["amsgrad"]), clipnorm, clipvalue, globalClipnorm),
            "sgd" => new SGD(lr ?? 0.01f, ReadReal(config["momentum"]) ?? 0, Bool(config["nesterov"]), clipnorm, clipvalue, globalClipnorm),
            _ => throw new SequorException($"optimizer '{className}' is not one Sequor has (RMSprop, Adam, SGD)"),
        };
    }

    private static Loss ReadLoss(JsonNode? node)
    {
        switch (node)
        {
            case null:
                throw new SequorException("the compile config names no loss");
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                return Loss.FromName(v.GetValue<string>());
            case JsonArray { Count: 1 } single:
                return ReadLoss(single[0]);
            case JsonObject o:
                string className = Text(o["class_name"]) ?? throw new SequorException("the loss entry has no class_name");
                // A loss function object: {"class_name": "function", "config": "binary_crossentropy"}.
                if (className == "function") return Loss.FromName(Text(o["config"]) ?? throw new SequorException("the loss function entry has no name"));
                var config = o["config"] as JsonObject ?? [];
                if (config["from_logits"] is JsonValue logits && logits.GetValueKind() == JsonValueKind.True)
                    throw new SequorException($"loss {className} with from_logits=true is not supported");
                if (!IsNullOrZero(config["label_smoothing"])) throw new SequorException($"loss {className} with label_smoothing is not supported");
                return Loss.FromName(className);
            default:
                throw new SequorException("the loss entry is neither a name nor an object (one loss per output is not supported)");
        }
    }

    private static void ReadMetrics(JsonNode? node, List<Metric> metrics)
    {
        switch (node)
        {
            case null:
                return;
            case JsonArray list:
                // Keras 2 nests one list per output; a single-output model has one.
                foreach (var item in list) ReadMetrics(item, metrics);
                return;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                metrics.Add(Metric.FromName(v.GetValue<string>()));
                return;
            case JsonObject o when o.ContainsKey("class_name"):
                metrics.Add(ReadMetric(o));
                return;
            default:
                throw new SequorException("metrics given per output name are not supported");
        }
    }

    private static Metric ReadMetric(JsonObject entry)
    {
        string className = Text(entry["class_name"]) ?? "";
        var config = entry["config"] as JsonObject ?? [];
        string? name = Text(config["name"]);
        switch (className)
        {
            case "MeanMetricWrapper" when name is "accuracy" or "acc":
                return Metric.FromName(name);
            case "Precision" or "Recall":
                if (!(config["thresholds"] is null || (config["thresholds"] is JsonValue t && t.GetValueKind() == JsonValueKind.Number && ReadReal(t) == 0.5f))
                    || config["top_k"] is not null || config["class_id"] is not null)
                    throw new SequorException($"metric {className} with thresholds, top_k or class_id is not supported");
                return className == "Precision" ? Metric.Precision : Metric.Recall;
            default:
                throw new SequorException($"metric '{name ?? className}' ({className}) is not one Sequor has (accuracy, precision, recall)");
        }
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static Real? ReadReal(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => (Real)v.GetValue<double>(),
        _ => throw new SequorException($"expected a number, found {node.ToJsonString()}"),
    };

    private static Real ReadReal(JsonNode? node, Real fallback) => ReadReal(node) ?? fallback;

    private static bool Bool(JsonNode? node) => node switch
    {
        null => false,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Null => false,
        _ => throw new SequorException($"expected true or false, found {node.ToJsonString()}"),
    };

    private static bool IsNullOrZero(JsonNode? node) => ReadReal(node) is null or 0;
}
