using Sequor.Layers;

namespace Sequor.Formats.Specs;

/// <summary>The layer specs, found by Keras class name (reading a config) or by layer (writing one).</summary>
internal static class LayerSpecs
{
    private static readonly LayerSpec[] All =
        [new EmbeddingSpec(), new DenseSpec(), new DropoutSpec(), SimpleRNNSpec.Instance, LSTMSpec.Instance, GRUSpec.Instance, new BidirectionalSpec()];

    private static readonly Dictionary<string, LayerSpec> ByClassName = All.ToDictionary(s => s.ClassName, StringComparer.Ordinal);

    private static readonly Dictionary<Type, LayerSpec> ByType = All.ToDictionary(s => s.LayerType);

    /// <summary>The spec for a Keras class name, or null when Sequor has no such layer.</summary>
    internal static LayerSpec? ForClassName(string className) => ByClassName.GetValueOrDefault(className);

    /// <summary>The spec for a layer, or null for a layer type Keras does not know.</summary>
    internal static LayerSpec? Find(Layer layer) => ByType.GetValueOrDefault(layer.GetType());

    /// <summary>The spec for a layer; a layer without one is an error naming it.</summary>
    internal static LayerSpec For(Layer layer) =>
        Find(layer) ?? throw new SequorException($"layer '{layer.Name}' ({layer.ClassName}) has no Keras spec");

    /// <summary>The class names Sequor reads, for messages.</summary>
    internal static string Names => string.Join(", ", All.Select(s => s.ClassName));
}
