using System.Text.Json.Nodes;
using Sequor.Layers;

namespace Sequor.Formats.Specs;

/// <summary>Keras's <c>Dense</c>: a kernel over the last axis, an optional bias, an activation.</summary>
internal sealed class DenseSpec : LayerSpec
{
    internal override string ClassName => "Dense";

    internal override Type LayerType => typeof(Dense);

    internal override Layer Read(KerasConfigReader reader, JsonObject config, string name, string where) =>
        new Dense(KerasConfigReader.Int(config, "units", where), reader.ReadActivation(config, "activation", where, Activation.Linear),
            KerasConfigReader.Bool(config, "use_bias", where, true), name)
        {
            KernelInitializer = KerasConfigReader.ReadInitializer(config, "kernel_initializer", where, Initializer.GlorotUniform),
            BiasInitializer = KerasConfigReader.ReadInitializer(config, "bias_initializer", where, Initializer.Zeros),
        };

    internal override JsonObject Write(KerasConfigWriter.Writer writer, Layer layer)
    {
        var d = (Dense)layer;
        var config = KerasConfigWriter.Add(writer.Common(d.Name),
            ("units", d.Units), ("activation", d.Activation.Name), ("use_bias", d.UseBias),
            ("kernel_initializer", writer.Initializer(d.KernelInitializer)), ("bias_initializer", writer.Initializer(d.BiasInitializer)),
            ("kernel_regularizer", null), ("bias_regularizer", null));
        // Keras 3's Dense does not list activity_regularizer in its config.
        if (!writer.Keras3) config["activity_regularizer"] = null;
        return KerasConfigWriter.Add(config, ("kernel_constraint", null), ("bias_constraint", null));
    }

    internal override IEnumerable<Activation> Activations(Layer layer) => [((Dense)layer).Activation];

    internal override long ParameterCount(Layer layer, ref long[] shape)
    {
        var d = (Dense)layer;
        long features = shape.Length > 0 ? shape[^1] : 0;
        shape[^1] = d.Units;
        return features * d.Units + (d.UseBias ? d.Units : 0);
    }
}
