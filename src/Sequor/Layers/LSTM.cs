namespace Sequor.Layers;

/// <summary>
/// Keras <c>LSTM(units, activation="tanh", recurrent_activation="sigmoid")</c>: the recurrent loop
/// (<see cref="Recurrent"/>) around an <see cref="LSTMCell"/>, which holds the equations.
/// Weights: <c>kernel</c> [F, 4H] glorot_uniform, <c>recurrent_kernel</c> [H, 4H] orthogonal,
/// <c>bias</c> [4H] zeros with ones on the forget block (unit_forget_bias).
/// </summary>
public sealed class LSTM : Recurrent
{
    public LSTM(int units, Activation? activation = null, Activation? recurrentActivation = null, bool useBias = true,
        Real dropout = 0, Real recurrentDropout = 0, bool returnSequences = false, bool goBackwards = false,
        bool unitForgetBias = true, string? name = null)
        : base(units, activation, recurrentActivation, useBias, dropout, recurrentDropout, returnSequences, goBackwards, name)
    {
        UnitForgetBias = unitForgetBias;
        Cell = new LSTMCell(Units, Activation, RecurrentActivation, UseBias, unitForgetBias);
    }

    public bool UnitForgetBias { get; }

    public override string ClassName => "LSTM";

    internal override Recurrent CloneWith(bool goBackwards) =>
        new LSTM(Units, Activation, RecurrentActivation, UseBias, Dropout, RecurrentDropout, ReturnSequences, goBackwards, UnitForgetBias, Name)
        {
            KernelInitializer = KernelInitializer, RecurrentInitializer = RecurrentInitializer, BiasInitializer = BiasInitializer,
        };
}
