namespace Sequor.Layers;

/// <summary>
/// Keras <c>SimpleRNN(units, activation="tanh")</c>: the recurrent loop (<see cref="Recurrent"/>) around a
/// <see cref="SimpleRNNCell"/>, which holds the equation h_t = f(x̃_t·W + b + h̃_{t−1}·U).
/// Weights: <c>kernel</c> [F, H] glorot_uniform, <c>recurrent_kernel</c> [H, H] orthogonal, <c>bias</c> [H] zeros.
/// </summary>
public sealed class SimpleRNN : Recurrent
{
    public SimpleRNN(int units, Activation? activation = null, bool useBias = true, Real dropout = 0, Real recurrentDropout = 0,
        bool returnSequences = false, bool goBackwards = false, string? name = null)
        : base(units, activation, null, useBias, dropout, recurrentDropout, returnSequences, goBackwards, name)
    {
        Cell = new SimpleRNNCell(Units, Activation, UseBias);
    }

    public override string ClassName => "SimpleRNN";

    internal override Recurrent CloneWith(bool goBackwards) =>
        new SimpleRNN(Units, Activation, UseBias, Dropout, RecurrentDropout, ReturnSequences, goBackwards, Name)
        {
            KernelInitializer = KernelInitializer, RecurrentInitializer = RecurrentInitializer, BiasInitializer = BiasInitializer,
        };
}
