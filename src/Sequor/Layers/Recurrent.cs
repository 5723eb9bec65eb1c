using System.Runtime.CompilerServices;

namespace Sequor.Layers;

/// <summary>
/// Keras's <c>RNN</c> layer around a cell (SimpleRNN, LSTM and GRU are this layer with their cell): the time loop,
/// <c>return_sequences</c>, <c>go_backwards</c>, masking, and the <c>dropout</c> / <c>recurrent_dropout</c> masks. The
/// cell (<see cref="RecurrentCell"/>) owns the weights and the step math; <see cref="RecurrentProjection"/> the input
/// part of every step, formed before the loop.
/// <code>
/// X̃ = X ⊙ m_x                      input dropout, one mask [B, F] for all steps (training only)
/// P = X̃·W (+ b)                    the input projection: one GEMM over every timestep
/// for each step t (t = T−1 … 0 with go_backwards):
///   h̃ = h_prev ⊙ m_h               recurrent dropout, one mask [B, H] for all steps
///   state_t = cell(P[:, t], h̃, state_prev)
///   masked step (mask[b, t] = 0): state_t = state_prev, output_t = output_prev (or 0 under Bidirectional)
/// ∂W = X̃ᵀ·∂P,   ∂X = (∂P·Wᵀ) ⊙ m_x       one GEMM each over the pass, or per block of steps (BlockSteps)
/// </code>
/// Shapes: [B, T, F] → [B, H], or [B, T, H] with returnSequences (in processing order, so reversed in time with
/// goBackwards, as Keras). Legend: B batch, T timesteps, F input features, H units, G gate blocks.
/// </summary>
/// <remarks>
/// Dropout masks follow Keras 3: one input mask and one recurrent mask per batch, reused at every step and shared by
/// all gates; the recurrent mask applies to h only where it enters a matrix product. Keras's source:
/// <see href="https://github.com/keras-team/keras/blob/master/keras/src/layers/rnn/rnn.py">rnn.py</see> and
/// <see href="https://github.com/keras-team/keras/blob/master/keras/src/layers/rnn/dropout_rnn_cell.py">dropout_rnn_cell.py</see>;
/// what Sequor relies on is written out in docs/keras-semantics.md.
/// </remarks>
public abstract class Recurrent : Layer
{
    private readonly RecurrentProjection projection = new();
    private readonly Tensor inputDropMask = new(0, 0);
    private readonly Tensor recurrentDropMask = new(0, 0);
    private readonly Tensor output = new(0, 0);
    private StepBuffers s = null!;
    private bool inputDropped;

    private protected Recurrent(int units, Activation? activation, Activation? recurrentActivation, bool useBias,
        Real dropout, Real recurrentDropout, bool returnSequences, bool goBackwards, string? name) : base(name)
    {
        if (units <= 0) throw new SequorException($"{GetType().Name}: units must be positive, got {units}");
        if (!(dropout >= 0 && dropout <= 1)) throw new SequorException($"{GetType().Name}: dropout must be in [0, 1], got {dropout}");
        if (!(recurrentDropout >= 0 && recurrentDropout <= 1)) throw new SequorException($"{GetType().Name}: recurrentDropout must be in [0, 1], got {recurrentDropout}");
        Units = units;
        Activation = activation ?? Activation.Tanh;
        RecurrentActivation = recurrentActivation ?? Activation.Sigmoid;
        if (!Activation.IsElementwise || !RecurrentActivation.IsElementwise)
            throw new SequorException($"{GetType().Name}: softmax cannot be a recurrent cell's activation");
        UseBias = useBias;
        Dropout = dropout;
        RecurrentDropout = recurrentDropout;
        ReturnSequences = returnSequences;
        GoBackwards = goBackwards;
    }

    public int Units { get; }
    public Activation Activation { get; }
    public Activation RecurrentActivation { get; }
    public bool UseBias { get; }
    public Real Dropout { get; }
    public Real RecurrentDropout { get; }
    public bool ReturnSequences { get; }
    public bool GoBackwards { get; }
    public Initializer KernelInitializer { get; init; } = Initializer.GlorotUniform;
    public Initializer RecurrentInitializer { get; init; } = Initializer.Orthogonal;
    public Initializer BiasInitializer { get; init; } = Initializer.Zeros;

    /// <summary>The cell: its weights and its step (set by the subclass's constructor).</summary>
    internal RecurrentCell Cell { get; private protected init; } = null!;

    /// <summary>Masked steps output zeros instead of the previous output (Bidirectional with sequences).</summary>
    internal bool ZeroOutputForMask { get; set; }

    /// <summary>See <see cref="RecurrentProjection.InferencePass"/>.</summary>
    internal long InferencePass { get => projection.InferencePass; set => projection.InferencePass = value; }

    private protected int Timesteps { get; private set; }
    private protected int Features { get; private set; }

    /// <summary>Whether <paramref name="next"/> can take this layer's sequence time-major (see <see cref="ExecutionPlan"/>).</summary>
    internal bool CanHandOverTo(Recurrent next) => ReturnSequences && !GoBackwards && !ZeroOutputForMask && next.Features == Units;

    private protected override int[] BuildCore(int[] inputShape, RandomGenerator random)
    {
        if (inputShape.Length != 2) throw ShapeError(inputShape, "(None, timesteps, features)");
        Timesteps = inputShape[0];
        Features = inputShape[1];
        Cell.Build(Features, (name, shape, initializer) => AddWeight(name, shape, initializer, random), KernelInitializer, RecurrentInitializer, BiasInitializer);
        s = new StepBuffers(Cell.StateCount);
        return ReturnSequences ? [Timesteps, Units] : [Units];
    }

    private int TimeAt(int step) => GoBackwards ? Timesteps - 1 - step : step;

    /// <summary>
    /// Runs the layer on <paramref name="input"/> [B, T, F], or on what its <see cref="Layer.Plan"/> says: one-hot
    /// columns [B, T], the Embedding's ids [B, T], or the previous layer's states [T, B, F].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override Tensor Forward(Tensor input, Tensor? inputMask, bool training)
    {
        int batch = Plan.Input == LayerInput.TimeMajorStates ? input.Dim(1) : input.Dim(0), units = Units;
        s.Resize(batch, Timesteps, units, Cell.Gates);
        s.Mask = inputMask;
        Cell.Resize(s);
        inputDropped = training && Dropout > 0 && Dropout < 1;
        if (inputDropped) SampleDropoutMask(inputDropMask.Reshape(batch, Features).Span, Dropout, Random);
        s.RecurrentDropped = training && RecurrentDropout > 0 && RecurrentDropout < 1;
        if (s.RecurrentDropped) SampleDropoutMask(recurrentDropMask.Reshape(batch, units).Span, RecurrentDropout, Random);

        projection.Forward(input, Plan, inputDropped ? inputDropMask : null, Cell.Kernel, Cell.InputBias, Timesteps, Features, s.Projection);

        for (int step = 0; step < Timesteps; step++)
        {
            int t = TimeAt(step), previous = step == 0 ? -1 : TimeAt(step - 1);
            if (s.RecurrentDropped)
                for (int b = 0; b < batch; b++)
                    Rows.Multiply(ref s.StateRef(0, b, previous), ref Rows.At(recurrentDropMask, b, 0, 1, units), ref s.RowRef(s.RecurrentInput, b, t, units), units);
            else
            {
                // h̃ = h_prev for the whole step: one contiguous block in the time-major buffers
                var hIn = s.RecurrentInput.Span.Slice(t * batch * units, batch * units);
                if (previous < 0) hIn.Clear();
                else s.States[0].Span.Slice(previous * batch * units, batch * units).CopyTo(hIn);
            }
            Cell.Forward(s, t, previous);
            if (inputMask is not null)
                for (int b = 0; b < batch; b++)
                    if (!s.IsActive(b, t))
                        for (int k = 0; k < s.States.Length; k++) s.State(k, b, previous).CopyTo(s.State(k, b, t));
        }
        return WriteOutput();
    }

    private Tensor WriteOutput()
    {
        int batch = s.Batch, units = Units;
        if (!ReturnSequences)
        {
            output.Reshape(batch, units);
            int last = TimeAt(Timesteps - 1);
            for (int b = 0; b < batch; b++)
            {
                var o = output.Span.Slice(b * units, units);
                if (ZeroOutputForMask && !s.IsActive(b, last)) o.Clear();
                else s.State(0, b, last).CopyTo(o);
            }
            return output;
        }
        if (Plan.OutputIsTimeMajor) return s.States[0];  // the next layer projects the states as they are
        output.Reshape(batch, Timesteps, units);
        for (int b = 0; b < batch; b++)
            for (int step = 0; step < Timesteps; step++)
            {
                int t = TimeAt(step);
                ref Real o = ref Rows.At(output, step, b, Timesteps, units);  // the output is batch-major: row (b, step)
                if (ZeroOutputForMask && !s.IsActive(b, t)) output.Span.Slice((b * Timesteps + step) * units, units).Clear();
                else Rows.Copy(ref s.StateRef(0, b, t), ref o, units);
            }
        return output;
    }

    /// <summary>
    /// Steps per block of the weight gradients in the reverse loop: for wide layers (G·H ≥ 64, the products that take
    /// <see cref="GemmWide"/>) ∂U, ∂W, the biases and ∂X are formed every ~256 rows of ∂P while those rows are in cache,
    /// instead of streaming all of ∂P (13 MB for a 32-row shard of LSTM(128) over 200 steps) from memory three times
    /// after the loop. Sums then run over the blocks from the last one back, a fixed order for a given shape, so results
    /// stay the same for any thread count and kernel choice. Narrower layers (the chapter's), and the folded and one-hot
    /// inputs, keep one block, the whole pass, in time order.
    /// </summary>
    private int BlockSteps(int batch) =>
        Cell.Gates * Units >= GemmWide.MinimumColumns && projection.DenseInBlocks ? Math.Max(1, BlockRows / Math.Max(1, batch)) : Timesteps;

    /// <summary>Rows of ∂P per block of <see cref="BlockSteps"/> (GemmWide's depth chunk); tests set it to compare
    /// blocked against whole-pass gradients.</summary>
    internal int BlockRows { get; set; } = 256;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override Tensor? Backward(Tensor outputGradient)
    {
        int batch = s.Batch, units = Units, blockSteps = BlockSteps(batch);
        foreach (var g in s.StateGradients) g.Span.Clear();
        Cell.BeginBackward(s);
        for (int step = Timesteps - 1; step >= 0; step--)
        {
            int t = TimeAt(step), previous = step == 0 ? -1 : TimeAt(step - 1);
            bool outputHere = ReturnSequences || step == Timesteps - 1;
            if (outputHere && Plan.OutputIsTimeMajor)
            {
                // ∂X from the next layer, time-major [T, B, H] (step = t here): one block for all rows
                ref Real block = ref s.StateGradientRef(0, 0);
                Rows.Add(ref block, ref Rows.At(outputGradient, 0, t, batch, units), ref block, batch * units);
                outputHere = false;
            }
            for (int b = 0; b < batch; b++)
            {
                if (!outputHere || (ZeroOutputForMask && !s.IsActive(b, t))) continue;
                ref Real d = ref ReturnSequences ? ref Rows.At(outputGradient, step, b, Timesteps, units) : ref Rows.At(outputGradient, b, 0, 1, units);
                Rows.Add(ref s.StateGradientRef(0, b), ref d, ref s.StateGradientRef(0, b), units);
            }

            Cell.Backward(s, t, previous);
            if (step % blockSteps == 0)
            {
                // processing steps [step, step + count) are done: the times they cover are contiguous
                int count = Math.Min(blockSteps, Timesteps - step), firstTime = GoBackwards ? Timesteps - step - count : step;
                bool accumulate = step + count < Timesteps;
                Cell.WeightGradients(s, firstTime, count, accumulate);
                if (projection.DenseInBlocks) projection.BackwardBlock(s.ProjectionGradient.Span, Plan, Cell.Kernel, firstTime, count, accumulate);
            }
            if (Cell.HandsOverStateGradients(s)) continue;

            for (int b = 0; b < batch; b++)
            {
                if (!s.IsActive(b, t)) continue;  // a masked step passes its state gradients through unchanged
                ref Real dhIn = ref Rows.At(s.RecurrentInputGradient, b, 0, 1, units);
                if (s.RecurrentDropped)
                {
                    ref Real dh = ref s.StateGradientRef(0, b);
                    Rows.Multiply(ref dhIn, ref Rows.At(recurrentDropMask, b, 0, 1, units), ref dh, units);
                    if (!Cell.PreviousStateGradientIsZero) Rows.Add(ref dh, ref s.PreviousStateGradientRef(0, b), ref dh, units);
                }
                else if (Cell.PreviousStateGradientIsZero) Rows.Copy(ref dhIn, ref s.StateGradientRef(0, b), units);
                else Rows.Add(ref dhIn, ref s.PreviousStateGradientRef(0, b), ref s.StateGradientRef(0, b), units);
                for (int k = 1; k < s.States.Length; k++) Rows.Copy(ref s.PreviousStateGradientRef(k, b), ref s.StateGradientRef(k, b), units);
            }
        }
        return projection.Backward(s.ProjectionGradient.Span, Plan, Cell.Kernel);
    }

    internal override Tensor? OutputMask(Tensor input, Tensor? inputMask) => ReturnSequences ? inputMask : null;

    /// <summary>The same configuration with <paramref name="goBackwards"/> (Bidirectional's backward copy).</summary>
    internal abstract Recurrent CloneWith(bool goBackwards);

    internal override Layer CloneConfiguration()
    {
        var replica = CloneWith(GoBackwards);
        replica.BlockRows = BlockRows;
        return replica;
    }
}
