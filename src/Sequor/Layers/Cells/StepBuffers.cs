using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Sequor.Layers;

/// <summary>
/// What a recurrent layer's time loop shares with its cell during one pass: the sizes of the (shard of the) batch and
/// the time-major buffers [T, B, ·] indexed by original time t. The loop fills P and h̃ and hands states over between
/// steps; the cell reads them, writes the states at t, and in backward ∂P, ∂h̃ and ∂ wrt the incoming states.
/// </summary>
/// <remarks>
/// Time-major, not batch-major like the layer's input and output: a step reads and writes one contiguous block per
/// buffer instead of B rows spread T rows apart (fewer cache and TLB misses, and the prefetcher follows the loop).
/// </remarks>
internal sealed class StepBuffers
{
    private readonly Tensor zeroState = new(0);

    public StepBuffers(int stateCount)
    {
        States = new Tensor[stateCount];
        StateGradients = new Tensor[stateCount];
        PreviousStateGradients = new Tensor[stateCount];
        for (int k = 0; k < stateCount; k++)
        {
            States[k] = new Tensor(0, 0, 0);
            StateGradients[k] = new Tensor(0, 0);
            PreviousStateGradients[k] = new Tensor(0, 0);
        }
    }

    public int Batch { get; private set; }
    public int Timesteps { get; private set; }
    public int Units { get; private set; }

    /// <summary>P = X̃·W (+ input bias), [T, B, G·H]; a cell may keep its activated gates here.</summary>
    public Tensor Projection { get; } = new(0, 0, 0);

    /// <summary>∂loss/∂P, [T, B, G·H]; rows of masked steps are zero.</summary>
    public Tensor ProjectionGradient { get; } = new(0, 0, 0);

    /// <summary>h̃ entering the step at time t (h_prev ⊙ m_h), [T, B, H].</summary>
    public Tensor RecurrentInput { get; } = new(0, 0, 0);

    /// <summary>Scratch for one step's recurrent product h̃·U, [B, G·H].</summary>
    public Tensor StepProduct { get; } = new(0, 0);

    /// <summary>∂loss/∂h̃ of the current step, [B, H], written by the cell.</summary>
    public Tensor RecurrentInputGradient { get; } = new(0, 0);

    /// <summary>Uᵀ [G·H, H], laid out once per backward pass so that each step's ∂z·Uᵀ is a plain product.</summary>
    public Tensor TransposedRecurrentKernel { get; } = new(0, 0);

    /// <summary>Each [T, B, H]: the state after the step at time t (h first; LSTM's c second).</summary>
    public Tensor[] States { get; }

    /// <summary>Each [B, H]: ∂loss/∂state after the current step.</summary>
    public Tensor[] StateGradients { get; }

    /// <summary>Each [B, H]: a cell step's ∂ wrt its incoming states other than through h̃.</summary>
    public Tensor[] PreviousStateGradients { get; }

    /// <summary>The [B, T] mask of this pass (0: the step is padding), or null.</summary>
    public Tensor? Mask { get; set; }

    /// <summary>Whether this pass applies a recurrent dropout mask (the loop forms h̃ = h_prev ⊙ m_h).</summary>
    public bool RecurrentDropped { get; set; }

    public void Resize(int batch, int timesteps, int units, int gates)
    {
        Batch = batch;
        Timesteps = timesteps;
        Units = units;
        int width = gates * units;
        Projection.Reshape(timesteps, batch, width);
        ProjectionGradient.Reshape(timesteps, batch, width);
        RecurrentInput.Reshape(timesteps, batch, units);
        RecurrentInputGradient.Reshape(batch, units);
        StepProduct.Reshape(batch, width);
        zeroState.Reshape(units);
        for (int k = 0; k < States.Length; k++)
        {
            States[k].Reshape(timesteps, batch, units);
            StateGradients[k].Reshape(batch, units);
            PreviousStateGradients[k].Reshape(batch, units);
        }
    }

    public bool IsActive(int b, int t) => Mask is null || Mask.Span[b * Timesteps + t] != 0;

    public StepMask ActiveRows(int t) => new(Mask is null ? default : Mask.Span, Timesteps, t);

    /// <summary>State k of row b after time t; t = −1 is the zero initial state.</summary>
    public Span<Real> State(int k, int b, int t) =>
        t < 0 ? zeroState.Span : States[k].Span.Slice((t * Batch + b) * Units, Units);

    /// <summary>As <see cref="State"/>, unchecked, for the fused kernels; at t = −1 every row is the one zero row.</summary>
    public ref Real StateRef(int k, int b, int t) => ref t < 0
        ? ref MemoryMarshal.GetArrayDataReference(zeroState.Data)
        : ref Rows.At(States[k], b, t, Batch, Units);

    /// <summary>The row stride of the states at <paramref name="previousTime"/>: 0 for the single zero row.</summary>
    public int StateStride(int previousTime) => previousTime < 0 ? 0 : Units;

    public Span<Real> StateGradient(int k, int b) => StateGradients[k].Span.Slice(b * Units, Units);

    public ref Real StateGradientRef(int k, int b) => ref Rows.At(StateGradients[k], b, 0, 1, Units);

    public Span<Real> PreviousStateGradient(int k, int b) => PreviousStateGradients[k].Span.Slice(b * Units, Units);

    public ref Real PreviousStateGradientRef(int k, int b) => ref Rows.At(PreviousStateGradients[k], b, 0, 1, Units);

    /// <summary>Row b of time t in a time-major [T, B, width] buffer.</summary>
    public Span<Real> Row(Tensor buffer, int b, int t, int width) => buffer.Span.Slice((t * Batch + b) * width, width);

    /// <summary>As <see cref="Row"/>, unchecked (whole vectors of a row), for the fused kernels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref Real RowRef(Tensor buffer, int b, int t, int width) => ref Rows.At(buffer, b, t, Batch, width);

    /// <summary>
    /// C[b, :] (=|+=) A[t, b, :]·M for all rows b: one GEMM over a (contiguous) time slice of a [T, B, aWidth] buffer;
    /// <paramref name="columns"/> limits it to the first columns of A (default: all of aWidth).
    /// </summary>
    public void Product(Tensor a, int t, int aWidth, ReadOnlySpan<Real> m, int ldm, int n, Span<Real> c, bool accumulate,
        bool transposeM = false, int columns = -1) =>
        Gemm.Multiply(false, transposeM, Batch, n, columns < 0 ? aWidth : columns, a.Span.Slice(t * Batch * aWidth), aWidth, m, ldm, c, n, accumulate);
}
