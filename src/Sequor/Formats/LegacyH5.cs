using System.Text.Json.Nodes;
using PureHDF;
using PureHDF.VOL.Native;
using Sequor.Formats.Specs;
using Sequor.Layers;

namespace Sequor.Formats;

/// <summary>
/// Keras's legacy HDF5 files: the full model (<c>model.save("m.h5")</c>: root attributes
/// <c>keras_version</c>, <c>backend</c>, <c>model_config</c>, <c>training_config</c>, weights under
/// <c>/model_weights</c>) and the weights-only file (<c>save_weights("w.h5")</c>: the same weights group at
/// the root). Weights are matched to layers by position, never by name, as Keras's own loader does.
/// </summary>
internal static class LegacyH5
{
    internal const string Backend = "tensorflow";

    /// <summary>
    /// Reads a full-model .h5: config, then weights, then the compile settings of <c>training_config</c> and the
    /// optimizer state of <c>optimizer_weights</c> when present. What cannot be restored is told to
    /// <paramref name="warn"/> (one line) and the model loads anyway.
    /// </summary>
    internal static Sequential Read(Stream stream, int[]? inputShape, Action<string>? warn = null)
    {
        using var file = H5Reading.Open(stream);
        string? config = H5Reading.StringAttribute(file, "model_config");
        if (config is null)
        {
            if (H5Reading.StringListAttribute(file, "layer_names") is not null)
                throw new SequorException("the file holds only weights (no model_config); build the model and call LoadWeights");
            throw new SequorException("no model_config attribute: this is not a Keras full-model .h5 file");
        }
        string? version = H5Reading.StringAttribute(file, "keras_version");
        var read = KerasConfigReader.Read(config, version, inputShape);
        var (model, shape) = read;
        BuildForLoading(model, shape, stream.Length);
        if (read.OpenLength) model.OpenLength();
        if (!file.LinkExists("model_weights")) throw new SequorException("no model_weights group");
        LoadWeights(file.Group("model_weights"), model, stream.Length);
        if (H5Reading.StringAttribute(file, "training_config") is { Length: > 0 } training)
        {
            bool legacyOptimizer = CompileConfig.IsLegacyOptimizer(training, version);
            CompileConfig.Restore(model, new TrainingConfig(training, Keras3: false),
                () => OptimizerState.ReadLegacy(file, model, legacyOptimizer, stream.Length), warn);
        }
        return model;
    }

    /// <summary>
    /// Builds a model read from a config after checking that its weights are of a size the file could hold
    /// (a corrupt config must not make Sequor allocate gigabytes).
    /// </summary>
    internal static void BuildForLoading(Sequential model, int[] inputShape, long weightBytes)
    {
        long parameters = ParameterCount.Of(model, inputShape);
        // Keras stores every weight as at least 4 bytes (float32), uncompressed.
        if (parameters > int.MaxValue / 4 || parameters * 4 > weightBytes)
            throw new SequorException($"model '{model.Name}' config implies {parameters} weights, more than the {weightBytes} bytes of weight data can hold");
        model.Build(inputShape);
    }

    /// <summary>
    /// Loads a weights group (the root of a weights-only file or <c>/model_weights</c>) into a built model:
    /// the file's layers that have weights are paired by position with the model's layers that have weights.
    /// </summary>
    internal static void LoadWeights(IH5Group group, Sequential model, long fileLength)
    {
        var layerNames = H5Reading.StringListAttribute(group, "layer_names")
            ?? throw new SequorException("the weights group has no layer_names attribute");
        var stored = new List<(string Layer, string[] Weights)>();
        foreach (var name in layerNames)
        {
            if (!group.LinkExists(name)) throw new SequorException($"layer_names lists '{name}' but the file has no group of that name");
            var weights = H5Reading.StringListAttribute(group.Group(name), "weight_names") ?? [];
            if (weights.Length > 0) stored.Add((name, weights));
        }
        var layers = model.Layers.Where(l => l.Weights.Count > 0).ToArray();
        if (stored.Count != layers.Length)
            throw new SequorException($"the file has weights for {stored.Count} layers ({string.Join(", ", stored.Select(s => s.Layer))}), the model has {layers.Length} layers with weights ({string.Join(", ", layers.Select(l => l.Name))})");

        // Everything is read and checked before any weight changes, so a bad file leaves the model as it was.
        var loaded = new Tensor[layers.Length][];
        for (int i = 0; i < layers.Length; i++)
        {
            var (layerName, weightNames) = stored[i];
            var layer = layers[i];
            if (weightNames.Length != layer.Weights.Count)
                throw new SequorException($"file layer '{layerName}' has {weightNames.Length} weights, model layer '{layer.Name}' ({layer.ClassName}) has {layer.Weights.Count}");
            var layerGroup = group.Group(layerName);
            var values = new Tensor[weightNames.Length];
            for (int w = 0; w < weightNames.Length; w++)
            {
                string what = $"weight '{layerName}/{weightNames[w]}' (for layer '{layer.Name}' {layer.Weights[w].Name})";
                if (!layerGroup.LinkExists(weightNames[w])) throw new SequorException($"{what} is listed but missing");
                values[w] = H5Reading.ReadWeight(layerGroup.Dataset(weightNames[w]), layer.Weights[w].Value.Shape.ToArray(), fileLength, what);
            }
            loaded[i] = values;
        }
        for (int i = 0; i < layers.Length; i++) layers[i].SetWeights(loaded[i]);
    }

    /// <summary>
    /// Writes a full-model .h5 in the layout Keras 3's own legacy writer gives the same model, so Keras 3 loads it;
    /// a model with Keras 2's hard_sigmoid, which only Keras 2 computes, in Keras 2.11–2.15's layout.
    /// </summary>
    internal static void Write(Sequential model, Stream stream)
    {
        string version = KerasConfigWriter.KerasVersionFor(model);
        bool keras2 = KerasConfigReader.IsKeras2OrOlder(version);
        var style = keras2 ? KerasConfigWriter.Style.Keras2Legacy : KerasConfigWriter.Style.Keras3Legacy;
        var file = new H5File();
        file.Attributes["backend"] = Backend;
        file.Attributes["keras_version"] = version;
        file.Attributes["model_config"] = KerasConfigWriter.Write(model, style).ToJsonString();
        bool compiled = model.Optimizer is not null && model.Loss is not null;
        if (compiled) file.Attributes["training_config"] = (keras2 ? CompileConfig.WriteKeras2(model) : CompileConfig.WriteKeras3Legacy(model)).ToJsonString();
        else if (model.TrainingConfig is { } training && (!keras2 || !training.Keras3))
            // Settings Sequor could not compile are kept as read; Keras 3 reads Keras 2's training_config too.
            file.Attributes["training_config"] = training.Keras3 ? CompileConfig.ToTrainingConfig((JsonObject)JsonNode.Parse(training.Json)!).ToJsonString() : training.Json;
        var weights = new H5Group();
        FillWeightsGroup(weights, model, version, keras2);
        file["model_weights"] = weights;
        if (compiled)
        {
            if (keras2) OptimizerState.WriteLegacy(file, model);
            else OptimizerState.WriteKeras3Legacy(file, model);
        }
        file.Write(stream);
    }

    /// <summary>Writes a Keras 2 weights-only .h5 (Keras 3 saves weights only as .weights.h5): the weights group at the file's root.</summary>
    internal static void WriteWeightsOnly(Sequential model, Stream stream)
    {
        var file = new H5File();
        FillWeightsGroup(file, model, KerasConfigWriter.KerasVersionFor(model), keras2: true);
        file.Write(stream);
    }

    private static void FillWeightsGroup(H5Group target, Sequential model, string version, bool keras2)
    {
        target.Attributes["layer_names"] = model.Layers.Select(l => l.Name).ToArray();
        target.Attributes["backend"] = Backend;
        target.Attributes["keras_version"] = version;
        foreach (var layer in model.Layers)
        {
            var group = new H5Group();
            var names = keras2 ? WeightNames(layer) : Keras3WeightPaths(model, layer);
            group.Attributes["weight_names"] = names.Length > 0 ? names : EmptyList();
            for (int w = 0; w < names.Length; w++) AddDataset(group, names[w], layer.Weights[w].Value);
            target[layer.Name] = group;
        }
        target["top_level_model_weights"] = new H5Group { Attributes = { ["weight_names"] = EmptyList() } };
    }

    // h5py stores an empty name list as a float64 array of length 0; Keras reads exactly that.
    private static H5Attribute EmptyList() => new(Array.Empty<double>(), [0]);

    /// <summary>Keras 2's variable names for a layer's weights, in order (e.g. <c>lstm/lstm_cell/kernel:0</c>).</summary>
    internal static string[] WeightNames(Layer layer) => LayerSpecs.For(layer).WeightNames(layer);

    /// <summary>
    /// Keras 3's variable paths for a layer's weights, in order (e.g. <c>sequential/lstm/lstm_cell/kernel</c>,
    /// <c>sequential/bidirectional/forward_lstm/lstm_cell/kernel</c>): no <c>:0</c>, prefixed by the model's name.
    /// </summary>
    internal static string[] Keras3WeightPaths(Sequential model, Layer layer) => LayerSpecs.For(layer).Keras3WeightPaths(model.Name, layer);

    /// <summary>Adds a float32 dataset, creating the subgroups a '/' in its name implies (as h5py does).</summary>
    internal static void AddDataset(H5Group group, string path, Tensor value) =>
        AddDataset(group, path, new H5Dataset(value.Span.ToArray(), fileDims: value.Shape.ToArray().Select(d => (ulong)d).ToArray()));

    /// <summary>Adds a scalar dataset (an optimizer's iteration count or learning rate) at a '/'-separated path.</summary>
    internal static void AddDataset<T>(H5Group group, string path, T scalar) where T : unmanaged =>
        AddDataset(group, path, new H5Dataset(scalar));

    private static void AddDataset(H5Group group, string path, H5Dataset dataset)
    {
        var parts = path.Split('/');
        for (int i = 0; i < parts.Length - 1; i++)
        {
            if (!group.TryGetValue(parts[i], out var child))
            {
                child = new H5Group();
                group[parts[i]] = child;
            }
            group = child as H5Group ?? throw new SequorException($"weight path '{path}' clashes with another weight");
        }
        group[parts[^1]] = dataset;
    }
}
