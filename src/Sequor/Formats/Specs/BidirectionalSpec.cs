using System.Text.Json;
using System.Text.Json.Nodes;
using Sequor.Layers;

namespace Sequor.Formats.Specs;

/// <summary>
/// Keras's <c>Bidirectional</c>: a recurrent layer run both ways and merged; its config holds the wrapped layer's
/// (Keras 3 also the backward copy), its weights are the forward layer's then the backward layer's.
/// </summary>
internal sealed class BidirectionalSpec : LayerSpec
{
    internal override string ClassName => "Bidirectional";

    internal override Type LayerType => typeof(Bidirectional);

    internal override Layer Read(KerasConfigReader reader, JsonObject config, string name, string where)
    {
        var mergeNode = config["merge_mode"];
        string? merge = mergeNode is JsonValue m && m.GetValueKind() == JsonValueKind.String ? m.GetValue<string>() : null;
        var mergeMode = merge switch
        {
            "concat" => MergeMode.Concat,
            "sum" => MergeMode.Sum,
            "mul" => MergeMode.Mul,
            "ave" => MergeMode.Ave,
            _ => throw new SequorException($"{where}: merge_mode {KerasConfigReader.Short(mergeNode)} is not supported (concat, sum, mul, ave)"),
        };
        var inner = config["layer"] as JsonObject ?? throw new SequorException($"{where}: config has no 'layer' object");
        string innerClass = KerasConfigReader.String(inner, "class_name", where) ?? "";
        var innerConfig = inner["config"] as JsonObject ?? throw new SequorException($"{where}: its 'layer' has no config");
        if (LayerSpecs.ForClassName(innerClass) is not RecurrentSpec innerSpec)
            throw new SequorException($"{where}: wraps a '{innerClass}'; Sequor's Bidirectional takes SimpleRNN, LSTM or GRU");
        string innerName = KerasConfigReader.String(innerConfig, "name", where) ?? "";
        // Keras 3 stores the already renamed forward copy; Sequor adds the prefix itself when it builds.
        if (innerName.StartsWith("forward_", StringComparison.Ordinal)) innerName = innerName["forward_".Length..];
        string innerWhere = $"{where} inner layer '{innerName}' ({innerClass})";
        KerasConfigReader.CheckCommon(innerConfig, innerWhere);
        var recurrent = innerSpec.Read(reader, innerConfig, innerName, innerWhere, topLevel: false);
        if (config["backward_layer"] is JsonObject backward)
        {
            // A custom backward layer must be the mirror of the forward one: Sequor derives it the same way.
            string backwardClass = KerasConfigReader.String(backward, "class_name", where) ?? "";
            var backwardConfig = backward["config"] as JsonObject;
            if (backwardClass != innerClass || backwardConfig is null || KerasConfigReader.Int(backwardConfig, "units", where) != recurrent.Units)
                throw new SequorException($"{where}: a backward_layer that differs from the forward layer is not supported");
        }
        return new Bidirectional(recurrent, mergeMode, name);
    }

    internal override JsonObject Write(KerasConfigWriter.Writer writer, Layer layer)
    {
        var b = (Bidirectional)layer;
        var config = writer.Common(b.Name);
        config["merge_mode"] = b.MergeMode switch
        {
            MergeMode.Concat => "concat",
            MergeMode.Sum => "sum",
            MergeMode.Mul => "mul",
            _ => "ave",
        };
        if (!writer.Keras3)
        {
            config["layer"] = new JsonObject { ["class_name"] = b.Layer.ClassName, ["config"] = RecurrentSpec.Of(b.Layer).Write(writer, b.Layer) };
            return config;
        }
        // Keras 3 writes both wrapped layers, each with its module even in a .h5: its Bidirectional deserializes
        // them with the Keras 3 loader, which cannot locate a class without one.
        JsonObject Wrapped(Recurrent inner) => new()
        {
            ["module"] = "keras.layers",
            ["class_name"] = inner.ClassName,
            ["config"] = RecurrentSpec.Of(inner).Write(writer, inner),
            ["registered_name"] = null,
            ["build_config"] = new JsonObject { ["input_shape"] = KerasConfigWriter.BatchShape(b.InputShape, writer.Open) },
        };
        config["layer"] = Wrapped(b.ForwardLayer);
        config["backward_layer"] = Wrapped(b.BackwardLayer);
        return config;
    }

    internal override IEnumerable<Activation> Activations(Layer layer) => RecurrentSpec.Of(((Bidirectional)layer).Layer).Activations(((Bidirectional)layer).Layer);

    internal override long ParameterCount(Layer layer, ref long[] shape)
    {
        var b = (Bidirectional)layer;
        long count = 2 * RecurrentSpec.Of(b.Layer).Parameters(b.Layer, shape.Length > 0 ? shape[^1] : 0);
        long width = b.MergeMode == MergeMode.Concat ? 2L * b.Layer.Units : b.Layer.Units;
        shape = b.Layer.ReturnSequences && shape.Length > 0 ? [shape[0], width] : [width];
        return count;
    }

    internal override string[] WeightNames(Layer layer)
    {
        var b = (Bidirectional)layer;
        return [.. RecurrentSpec.Of(b.ForwardLayer).CellWeightNames(b.ForwardLayer, $"{b.Name}/{b.ForwardLayer.Name}"),
            .. RecurrentSpec.Of(b.BackwardLayer).CellWeightNames(b.BackwardLayer, $"{b.Name}/{b.BackwardLayer.Name}")];
    }

    internal override string[] Keras3WeightPaths(string modelName, Layer layer)
    {
        var b = (Bidirectional)layer;
        return [.. RecurrentSpec.Of(b.ForwardLayer).CellWeightPaths(b.ForwardLayer, $"{modelName}/{b.Name}/{b.ForwardLayer.Name}"),
            .. RecurrentSpec.Of(b.BackwardLayer).CellWeightPaths(b.BackwardLayer, $"{modelName}/{b.Name}/{b.BackwardLayer.Name}")];
    }

    internal override IEnumerable<WeightsH5.Entry> Layout(Layer layer, string path)
    {
        var b = (Bidirectional)layer;
        yield return new WeightsH5.Entry(layer, path, layer.Name, []);
        // Keras walks attributes alphabetically: backward_layer before forward_layer.
        foreach (var (attribute, inner) in new[] { ("backward_layer", b.BackwardLayer), ("forward_layer", b.ForwardLayer) })
            foreach (var entry in RecurrentSpec.Of(inner).Layout(layer, inner, $"{path}/{attribute}", inner.Name))
                yield return entry;
    }
}
