using System.Runtime.Intrinsics;

namespace Sequor.Layers;

/// <summary>
/// One step of a recurrent layer, as Keras's <c>LSTMCell</c>, <c>GRUCell</c> and <c>SimpleRNNCell</c>: the weights
/// and the math from (P[t], h̃, states at t−1) to the states at t, forward and backward, for all rows of a step. The
/// time loop, masking, go_backwards, return_sequences and dropout belong to <see cref="Recurrent"/>, which also forms
/// the input part P = X̃·W (+ b) of every step in one product before the loop.
/// </summary>
/// <remarks>
/// Each cell has a plain per-row reference step (its <c>ReferenceForward</c>/<c>ReferenceBackward</c>, with the
/// activations' own functions) and, for tanh/sigmoid with units a multiple of the vector width, the fast kernels of
/// Kernels/Cells, which run unless <see cref="Kernels.Choice"/> is <see cref="KernelChoice.Reference"/>.
/// </remarks>
internal abstract class RecurrentCell(int units, Activation activation, Activation recurrentActivation, bool useBias)
{
    public int Units { get; } = units;
    public Activation Activation { get; } = activation;
    public Activation RecurrentActivation { get; } = recurrentActivation;
    public bool UseBias { get; } = useBias;

    /// <summary>Gate blocks G: the kernel is [F, G·H].</summary>
    public abstract int Gates { get; }

    /// <summary>States carried between steps (h; LSTM's h and c).</summary>
    public virtual int StateCount => 1;

    /// <summary>W [F, G·H], the input part of every gate.</summary>
    public Weight Kernel { get; private set; } = null!;

    private protected Weight RecurrentKernel { get; private set; } = null!;

    private protected Weight? Bias { get; private set; }

    /// <summary>The bias added to every row of P (G·H values), or empty.</summary>
    public virtual ReadOnlySpan<Real> InputBias => Bias is null ? default : Bias.Value.Span;

    /// <summary>Creates kernel, recurrent_kernel and bias, in Keras's order, through <paramref name="add"/>.</summary>
    public void Build(int features, Func<string, int[], Initializer, Weight> add, Initializer kernel, Initializer recurrent, Initializer bias)
    {
        Kernel = add("kernel", [features, Gates * Units], kernel);
        RecurrentKernel = add("recurrent_kernel", [Units, Gates * Units], recurrent);
        if (UseBias) Bias = add("bias", BiasShape, bias);
        InitializeBias();
    }

    private protected virtual int[] BiasShape => [Gates * Units];

    private protected virtual void InitializeBias() { }

    /// <summary>Sizes the cell's own per-pass buffers (the step buffers are sized).</summary>
    public virtual void Resize(StepBuffers s) { }

    /// <summary>One step at time t for all rows: reads P[t], h̃[t] and the states at <paramref name="previousTime"/>
    /// (−1: the zero initial state); writes the states at t.</summary>
    public abstract void Forward(StepBuffers s, int t, int previousTime);

    /// <summary>
    /// The reverse of <see cref="Forward"/>: from the state gradients (∂ wrt the states at t) writes ∂P[t] (zero for
    /// masked rows), ∂h̃ and the previous-state gradients (∂ wrt the incoming states other than through h̃).
    /// </summary>
    public abstract void Backward(StepBuffers s, int t, int previousTime);

    /// <summary>
    /// Gradients of the recurrent kernel and the bias (∂W is the projection's) from the rows of times
    /// [<paramref name="firstTime"/>, <paramref name="firstTime"/> + <paramref name="times"/>) of the filled ∂P and h̃;
    /// with <paramref name="accumulate"/> added to what earlier blocks of times left (see <see cref="Recurrent"/>).
    /// </summary>
    public abstract void WeightGradients(StepBuffers s, int firstTime, int times, bool accumulate);

    /// <summary>
    /// True when <see cref="Backward"/> itself leaves ∂ wrt the incoming states in the state gradients for the next
    /// (earlier) step, active rows only, so the loop's per-row hand-over is skipped.
    /// </summary>
    public virtual bool HandsOverStateGradients(StepBuffers s) => false;

    /// <summary>True when ∂ wrt h_{t−1} flows only through h̃ (LSTM, SimpleRNN): the loop skips adding it.</summary>
    public virtual bool PreviousStateGradientIsZero => false;

    /// <summary>Called once before the reverse loop: lays out Uᵀ for the step products ∂h̃ = ∂z·Uᵀ.</summary>
    public void BeginBackward(StepBuffers s)
    {
        int columns = Gates * Units;
        Kernels.Transpose(RecurrentKernel.Value.Span, Units, columns, columns, s.TransposedRecurrentKernel.Reshape(columns, Units).Span);
    }

    /// <summary>Whether the fast kernels run: tanh and sigmoid, units a multiple of the vector width, vector kernels chosen.</summary>
    private protected bool Fast => Kernels.Vectorized && Activation == Activation.Tanh && RecurrentActivation == Activation.Sigmoid
        && Units % Vector256<Real>.Count == 0;
}
