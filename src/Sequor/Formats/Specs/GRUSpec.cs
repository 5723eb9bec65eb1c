using System.Text.Json.Nodes;
using Sequor.Layers;

namespace Sequor.Formats.Specs;

/// <summary>Keras's <c>GRU</c>: three gates (z, r, h) and <c>reset_after</c>, which gives it two bias rows.</summary>
internal sealed class GRUSpec : RecurrentSpec
{
    internal static readonly GRUSpec Instance = new();

    internal override string ClassName => "GRU";

    internal override Type LayerType => typeof(GRU);

    protected override int Gates => 3;

    // A config without reset_after predates the key, when Keras's GRU default was false.
    protected override Recurrent Create(KerasConfigReader reader, JsonObject config, Options o, string name, string where) =>
        new GRU(o.Units, o.Activation, reader.ReadActivation(config, "recurrent_activation", where, Activation.Sigmoid), o.UseBias,
            o.Dropout, o.RecurrentDropout, o.ReturnSequences, o.GoBackwards, KerasConfigReader.Bool(config, "reset_after", where, false), name)
        { KernelInitializer = o.KernelInitializer, RecurrentInitializer = o.RecurrentInitializer, BiasInitializer = o.BiasInitializer };

    protected override void WriteAfterDropouts(JsonObject config, Recurrent r) => config["reset_after"] = ((GRU)r).ResetAfter;

    protected override int BiasBlocks(Recurrent r) => ((GRU)r).ResetAfter ? 2 : 1;
}
