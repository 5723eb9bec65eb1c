namespace Sequor.Layers;

/// <summary>
/// Keras <c>GRU(units, reset_after=True)</c>: the recurrent loop (<see cref="Recurrent"/>) around a
/// <see cref="GRUCell"/>, which holds the equations of both variants.
/// Weights: <c>kernel</c> [F, 3H] glorot_uniform, <c>recurrent_kernel</c> [H, 3H] orthogonal, <c>bias</c> zeros,
/// [2, 3H] (rows b_x, b_h) with reset_after, else [3H].
/// </summary>
public sealed class GRU : Recurrent
{
    public GRU(int units, Activation? activation = null, Activation? recurrentActivation = null, bool useBias = true,
        Real dropout = 0, Real recurrentDropout = 0, bool returnSequences = false, bool goBackwards = false,
        bool resetAfter = true, string? name = null)
        : base(units, activation, recurrentActivation, useBias, dropout, recurrentDropout, returnSequences, goBackwards, name)
    {
        ResetAfter = resetAfter;
        Cell = new GRUCell(Units, Activation, RecurrentActivation, UseBias, resetAfter);
    }

    public bool ResetAfter { get; }

    public override string ClassName => "GRU";

    internal override Recurrent CloneWith(bool goBackwards) =>
        new GRU(Units, Activation, RecurrentActivation, UseBias, Dropout, RecurrentDropout, ReturnSequences, goBackwards, ResetAfter, Name)
        {
            KernelInitializer = KernelInitializer, RecurrentInitializer = RecurrentInitializer, BiasInitializer = BiasInitializer,
        };
}
