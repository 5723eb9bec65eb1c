using System.Text.Json.Nodes;
using Sequor.Layers;

namespace Sequor.Formats.Specs;

/// <summary>Keras's <c>SimpleRNN</c>: one block, no recurrent_activation.</summary>
internal sealed class SimpleRNNSpec : RecurrentSpec
{
    internal static readonly SimpleRNNSpec Instance = new();

    internal override string ClassName => "SimpleRNN";

    internal override Type LayerType => typeof(SimpleRNN);

    protected override int Gates => 1;

    protected override bool Gated => false;

    protected override Recurrent Create(KerasConfigReader reader, JsonObject config, Options o, string name, string where) =>
        new SimpleRNN(o.Units, o.Activation, o.UseBias, o.Dropout, o.RecurrentDropout, o.ReturnSequences, o.GoBackwards, name)
        { KernelInitializer = o.KernelInitializer, RecurrentInitializer = o.RecurrentInitializer, BiasInitializer = o.BiasInitializer };
}
