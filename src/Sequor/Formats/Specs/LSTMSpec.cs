using System.Text.Json.Nodes;
using Sequor.Layers;

namespace Sequor.Formats.Specs;

/// <summary>Keras's <c>LSTM</c>: four gates (i, f, c, o) and <c>unit_forget_bias</c>.</summary>
internal sealed class LSTMSpec : RecurrentSpec
{
    internal static readonly LSTMSpec Instance = new();

    internal override string ClassName => "LSTM";

    internal override Type LayerType => typeof(LSTM);

    protected override int Gates => 4;

    protected override Recurrent Create(KerasConfigReader reader, JsonObject config, Options o, string name, string where) =>
        new LSTM(o.Units, o.Activation, reader.ReadActivation(config, "recurrent_activation", where, Activation.Sigmoid), o.UseBias,
            o.Dropout, o.RecurrentDropout, o.ReturnSequences, o.GoBackwards, KerasConfigReader.Bool(config, "unit_forget_bias", where, true), name)
        { KernelInitializer = o.KernelInitializer, RecurrentInitializer = o.RecurrentInitializer, BiasInitializer = o.BiasInitializer };

    protected override void WriteAfterInitializers(JsonObject config, Recurrent r) => config["unit_forget_bias"] = ((LSTM)r).UnitForgetBias;
}
