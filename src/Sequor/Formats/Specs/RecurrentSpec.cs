using System.Text.Json.Nodes;
using Sequor.Layers;

namespace Sequor.Formats.Specs;

/// <summary>
/// What Keras's recurrent layers share (<c>units</c>, <c>return_sequences</c>, dropouts, initializers; weights in a
/// <c>…_cell</c> object); <see cref="SimpleRNNSpec"/>, <see cref="LSTMSpec"/> and <see cref="GRUSpec"/> add their own.
/// </summary>
internal abstract class RecurrentSpec : LayerSpec
{
    /// <summary>Gates per unit: the weight blocks of kernel, recurrent kernel and bias.</summary>
    protected abstract int Gates { get; }

    /// <summary>LSTM and GRU have a recurrent_activation, Keras 2's implementation and Keras 3's seed; SimpleRNN none.</summary>
    protected virtual bool Gated => true;

    internal override Layer Read(KerasConfigReader reader, JsonObject config, string name, string where) =>
        Read(reader, config, name, where, topLevel: true);

    /// <param name="topLevel">False inside a Bidirectional, where Keras forces zero_output_for_mask itself.</param>
    internal Recurrent Read(KerasConfigReader reader, JsonObject config, string name, string where, bool topLevel)
    {
        foreach (var key in new[] { "return_state", "stateful", "time_major" })
            if (KerasConfigReader.Bool(config, key, where, false)) throw new SequorException($"{where}: {key}=true is not supported");
        // Under Bidirectional Keras itself forces zero_output_for_mask, so only a top-level true changes results.
        if (topLevel && KerasConfigReader.Bool(config, "zero_output_for_mask", where, false))
            throw new SequorException($"{where}: zero_output_for_mask=true is not supported outside Bidirectional");
        // unroll and implementation only choose how Keras schedules the same arithmetic, so they are ignored.
        var options = new Options(
            KerasConfigReader.Int(config, "units", where),
            reader.ReadActivation(config, "activation", where, Activation.Tanh),
            KerasConfigReader.Bool(config, "use_bias", where, true),
            (Real)KerasConfigReader.NumberOr(config, "dropout", where, 0),
            (Real)KerasConfigReader.NumberOr(config, "recurrent_dropout", where, 0),
            KerasConfigReader.Bool(config, "return_sequences", where, false),
            KerasConfigReader.Bool(config, "go_backwards", where, false),
            KerasConfigReader.ReadInitializer(config, "kernel_initializer", where, Initializer.GlorotUniform),
            KerasConfigReader.ReadInitializer(config, "recurrent_initializer", where, Initializer.Orthogonal),
            KerasConfigReader.ReadInitializer(config, "bias_initializer", where, Initializer.Zeros));
        return Create(reader, config, options, name, where);
    }

    /// <summary>The options every recurrent layer reads, in its constructor's terms.</summary>
    protected sealed record Options(int Units, Activation Activation, bool UseBias, Real Dropout, Real RecurrentDropout, bool ReturnSequences, bool GoBackwards,
        Initializer KernelInitializer, Initializer RecurrentInitializer, Initializer BiasInitializer);

    /// <summary>Makes the layer from the shared options and its own keys.</summary>
    protected abstract Recurrent Create(KerasConfigReader reader, JsonObject config, Options options, string name, string where);

    internal override JsonObject Write(KerasConfigWriter.Writer writer, Layer layer) => Write(writer, (Recurrent)layer);

    internal JsonObject Write(KerasConfigWriter.Writer writer, Recurrent r)
    {
        var config = writer.Common(r.Name);
        KerasConfigWriter.Add(config, ("return_sequences", r.ReturnSequences), ("return_state", false), ("go_backwards", r.GoBackwards),
            ("stateful", false), ("unroll", false));
        // Keras 3 has no time_major; under Bidirectional it forces zero_output_for_mask to return_sequences.
        if (writer.Keras3) config["zero_output_for_mask"] = r.ZeroOutputForMask;
        else config["time_major"] = false;
        KerasConfigWriter.Add(config, ("units", r.Units), ("activation", r.Activation.Name));
        if (Gated) config["recurrent_activation"] = r.RecurrentActivation.Name;
        KerasConfigWriter.Add(config, ("use_bias", r.UseBias),
            ("kernel_initializer", writer.Initializer(r.KernelInitializer)),
            ("recurrent_initializer", writer.Initializer(r.RecurrentInitializer)),
            ("bias_initializer", writer.Initializer(r.BiasInitializer)));
        WriteAfterInitializers(config, r);
        KerasConfigWriter.Add(config, ("kernel_regularizer", null), ("recurrent_regularizer", null), ("bias_regularizer", null),
            ("activity_regularizer", null), ("kernel_constraint", null), ("recurrent_constraint", null), ("bias_constraint", null),
            ("dropout", JsonFloat.Of(r.Dropout)), ("recurrent_dropout", JsonFloat.Of(r.RecurrentDropout)));
        // Keras 3 refuses Keras 2's implementation argument (an unknown keyword for its RNN layers).
        if (!writer.Keras3 && Gated) config["implementation"] = 2;
        WriteAfterDropouts(config, r);
        if (writer.Keras3 && Gated) config["seed"] = null;
        return config;
    }

    /// <summary>Keys Keras lists after the initializers (LSTM's unit_forget_bias).</summary>
    protected virtual void WriteAfterInitializers(JsonObject config, Recurrent r) { }

    /// <summary>Keys Keras lists after the dropouts (GRU's reset_after).</summary>
    protected virtual void WriteAfterDropouts(JsonObject config, Recurrent r) { }

    internal override IEnumerable<Activation> Activations(Layer layer) => [((Recurrent)layer).Activation, ((Recurrent)layer).RecurrentActivation];

    internal override long ParameterCount(Layer layer, ref long[] shape)
    {
        var r = (Recurrent)layer;
        long count = Parameters(r, shape.Length > 0 ? shape[^1] : 0);
        shape = r.ReturnSequences && shape.Length > 0 ? [shape[0], r.Units] : [r.Units];
        return count;
    }

    /// <summary>Weights for <paramref name="features"/> inputs: kernel, recurrent kernel and bias of every gate.</summary>
    internal long Parameters(Recurrent r, long features)
    {
        long h = r.Units;
        return Gates * h * (features + h) + (r.UseBias ? BiasBlocks(r) * Gates * h : 0);
    }

    /// <summary>Bias vectors per gate (GRU with reset_after keeps two).</summary>
    protected virtual int BiasBlocks(Recurrent r) => 1;

    internal override string[] WeightNames(Layer layer) => CellWeightNames((Recurrent)layer, layer.Name);

    internal override string[] Keras3WeightPaths(string modelName, Layer layer) => CellWeightPaths((Recurrent)layer, $"{modelName}/{layer.Name}");

    // Keras keeps a recurrent layer's weights in its cell: lstm/lstm_cell/kernel.
    internal string[] CellWeightNames(Recurrent r, string prefix) =>
        r.Weights.Select(w => $"{prefix}/{r.DefaultName}_cell/{w.Name}:0").ToArray();

    internal string[] CellWeightPaths(Recurrent r, string prefix) =>
        r.Weights.Select(w => $"{prefix}/{r.DefaultName}_cell/{w.Name}").ToArray();

    internal override IEnumerable<WeightsH5.Entry> Layout(Layer layer, string path) => Layout(layer, (Recurrent)layer, path, layer.Name);

    /// <summary>The layer's object (no variables of its own) and its cell's, which holds the weights.</summary>
    internal IEnumerable<WeightsH5.Entry> Layout(Layer owner, Recurrent r, string path, string objectName) =>
        [new(owner, path, objectName, []), new(owner, path + "/cell", r.DefaultName + "_cell", [.. r.Weights])];

    /// <summary>The spec of a recurrent layer.</summary>
    internal static RecurrentSpec Of(Recurrent r) => (RecurrentSpec)LayerSpecs.For(r);
}
