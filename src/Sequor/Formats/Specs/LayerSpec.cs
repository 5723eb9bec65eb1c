using System.Text.Json.Nodes;
using Sequor.Layers;

namespace Sequor.Formats.Specs;

/// <summary>
/// What one layer type means to Keras, in one place: the class name Keras gives it, how its config is read into a
/// layer and written back (in each <see cref="KerasConfigWriter.Style"/>), how many weights a config implies, the
/// names and paths its weights have in Keras files. Keras's default layer name is no per-type fact: it is Keras's
/// snake case of the class name (<see cref="Layer.DefaultName"/>). Adding an option to a layer touches the layer's
/// file and its spec; the shared plumbing (JSON numbers, dtype, initializers, styles) stays in
/// <see cref="KerasConfigReader"/> and <see cref="KerasConfigWriter"/>.
/// </summary>
internal abstract class LayerSpec
{
    /// <summary>Keras's class name, as in configs and <c>summary()</c>.</summary>
    internal abstract string ClassName { get; }

    /// <summary>Sequor's layer type the spec describes.</summary>
    internal abstract Type LayerType { get; }

    /// <summary>Reads a config (its common options already checked) into an unbuilt layer.</summary>
    internal abstract Layer Read(KerasConfigReader reader, JsonObject config, string name, string where);

    /// <summary>The layer's config in the writer's style.</summary>
    internal abstract JsonObject Write(KerasConfigWriter.Writer writer, Layer layer);

    /// <summary>
    /// The number of weights the layer's config implies for an input of <paramref name="shape"/> (without the
    /// batch axis), Keras's formulas; <paramref name="shape"/> becomes the output shape.
    /// </summary>
    internal abstract long ParameterCount(Layer layer, ref long[] shape);

    /// <summary>The activations the layer uses (a model may not mix Keras 2's and Keras 3's hard_sigmoid).</summary>
    internal virtual IEnumerable<Activation> Activations(Layer layer) => [];

    /// <summary>The input shape (no batch axis) a first layer's own config declares beyond the batch shapes, if any.</summary>
    internal virtual int?[]? DeclaredInputShape(JsonObject config) => null;

    /// <summary>Keys Keras 2 adds to the first layer's config about the model input (its time axis: null when open).</summary>
    internal virtual void WriteKeras2Input(JsonObject config, int? length) { }

    /// <summary>Keras 2's variable names for the layer's weights, in order (e.g. <c>dense/kernel:0</c>).</summary>
    internal virtual string[] WeightNames(Layer layer) => layer.Weights.Select(w => $"{layer.Name}/{w.Name}:0").ToArray();

    /// <summary>Keras 3's variable paths for the layer's weights, in order (e.g. <c>sequential/dense/kernel</c>).</summary>
    internal virtual string[] Keras3WeightPaths(string modelName, Layer layer) =>
        layer.Weights.Select(w => $"{modelName}/{layer.Name}/{w.Name}").ToArray();

    /// <summary>The objects a Keras 3 .weights.h5 store holds for the layer, under <paramref name="path"/>.</summary>
    internal virtual IEnumerable<WeightsH5.Entry> Layout(Layer layer, string path) => [new(layer, path, layer.Name, [.. layer.Weights])];
}
