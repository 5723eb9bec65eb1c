using System.Text.Json.Nodes;
using Sequor.Layers;

namespace Sequor.Formats.Specs;

/// <summary>Keras's <c>Dropout</c>: a rate, no weights.</summary>
internal sealed class DropoutSpec : LayerSpec
{
    internal override string ClassName => "Dropout";

    internal override Type LayerType => typeof(Dropout);

    internal override Layer Read(KerasConfigReader reader, JsonObject config, string name, string where)
    {
        if (config["noise_shape"] is { } noise) throw new SequorException($"{where}: noise_shape {KerasConfigReader.Short(noise)} is not supported (only null)");
        return new Dropout((Real)KerasConfigReader.Number(config, "rate", where), name);
    }

    internal override JsonObject Write(KerasConfigWriter.Writer writer, Layer layer) =>
        KerasConfigWriter.Add(writer.Common(layer.Name), ("rate", JsonFloat.Of(((Dropout)layer).Rate)), ("noise_shape", null), ("seed", null));

    internal override long ParameterCount(Layer layer, ref long[] shape) => 0;
}
