using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sequor.Layers;

/// <summary>
/// What SimpleRNN, LSTM and GRU share, as Keras's RNN base: the time loop, <c>return_sequences</c>,
/// <c>go_backwards</c>, masking, and <c>dropout</c> / <c>recurrent_dropout</c>. A subclass supplies one
/// time step of its cell, forward and backward, over the whole (shard of the) batch.
/// <code>
/// X̃ = X ⊙ m_x                      input dropout, one mask [B, F] for all steps (training only)
/// P = X̃·W (+ b)                    the input projection: one GEMM over every timestep
/// for each step t (t = T−1 … 0 with go_backwards):
///   h̃ = h_prev ⊙ m_h               recurrent dropout, one mask [B, H] for all steps
///   state_t = cell(P[:, t], h̃, state_prev)
///   masked step (mask[b, t] = 0): state_t = state_prev, output_t = output_prev (or 0 under Bidirectional)
/// ∂W = X̃ᵀ·∂P,   ∂X = (∂P·Wᵀ) ⊙ m_x       after the reverse loop, again one GEMM each
/// </code>
/// Shapes: [B, T, F] → [B, H], or [B, T, H] with returnSequences (in processing order, so reversed in time
/// with goBackwards, as Keras). Legend: B batch, T timesteps, F input features, H units, G gate blocks.
/// </summary>
/// <remarks>
/// Dropout masks follow Keras 3: one input mask and one recurrent mask per batch, reused at every step and
/// shared by all gates; the recurrent mask applies to h only where it enters a matrix product.
/// The layer's input and output are batch-major [B, T, ·], but its internal buffers are time-major [T, B, ·] and
/// indexed by original time t: a step reads and writes one contiguous block per buffer instead of B rows spread
/// T rows apart (fewer cache and TLB misses, and the hardware prefetcher follows the time loop).
/// </remarks>
public abstract class Recurrent : Layer
{
    private Weight kernel = null!;
    private readonly Tensor[] states;         // each [T, B, H]: the state after the step at time t
    private readonly Tensor[] stateGradients;  // each [B, H]: ∂loss/∂state after the current step
    private readonly Tensor[] previousStateGradients;  // each [B, H]: a cell step's ∂ wrt its incoming states
    private readonly Tensor zeroState = new(0);
    private readonly Tensor timeMajorInput = new(0, 0, 0);  // [T, B, F]: X or X̃ for the projection; ∂X scratch in backward
    private readonly Tensor inputDropMask = new(0, 0);
    private readonly Tensor recurrentDropMask = new(0, 0);
    private readonly Tensor output = new(0, 0);
    private readonly Tensor inputGradient = new(0, 0, 0);
    private int[] oneHotIndex = [];  // per time-major row: the column of its single 1, −1 for an all-zero row
    private int[] batchMajorIndex = [];  // FindOneHotRows' answer in the input's own row order
    private bool oneHot;             // this batch's input rows are all exactly one-hot (or zero)
    private bool idsInput;           // this batch came as one-hot columns [B, T] (see Forward)
    private bool lookedUp;           // this batch's input is the EmbeddingSource's lookup, done here
    private bool folded;             // this batch's projection is a lookup in E·W + b (see EmbeddingSource)
    private bool handedOver;         // this batch's input is SequenceSource's time-major states (see there)
    private readonly Tensor foldedTable = new(0, 0);  // [V, G·H]: E·W + b in forward, its gradient in backward
    private long foldedTablePass;    // the InferencePass whose E·W + b foldedTable holds (0: none)
    private Tensor? mask;
    private bool inputDropped, recurrentDropped;

    private protected Recurrent(int units, Activation? activation, Activation? recurrentActivation, bool useBias,
        Real dropout, Real recurrentDropout, bool returnSequences, bool goBackwards, string? name, int stateCount) : base(name)
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
        states = new Tensor[stateCount];
        stateGradients = new Tensor[stateCount];
        previousStateGradients = new Tensor[stateCount];
        for (int k = 0; k < stateCount; k++)
        {
            states[k] = new Tensor(0, 0, 0);
            stateGradients[k] = new Tensor(0, 0);
            previousStateGradients[k] = new Tensor(0, 0);
        }
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

    /// <summary>
    /// The Embedding that feeds this layer in a model (set by <see cref="Sequential"/>), or null. Then X[b, t] =
    /// E[id[b, t]] and this layer does the lookup (the Embedding writes no output), so this layer's Backward
    /// writes ∂E and returns null (the Embedding's does not run). Without input dropout and when the vocabulary V
    /// is smaller than B·T rows, P = X·W + b is a lookup in the [V, G·H] table E·W + b computed once per batch
    /// instead of a [B·T, F]·[F, G·H] product, and backward sums ∂P by token into that table's gradient ∂Q and
    /// forms ∂W = Eᵀ·∂Q and ∂E = ∂Q·Wᵀ (the fold). Otherwise the rows E[id] (⊙ m_x) are gathered time-major
    /// for the product, and ∂X (⊙ m_x) is scattered into ∂E by token.
    /// </summary>
    internal Embedding? EmbeddingSource { get; set; }

    /// <summary>
    /// Non-zero while <see cref="Sequential"/> runs one inference batch's shards on this replica: the weights cannot
    /// change within it, so the fold table E·W + b is formed once per pass instead of once per 32-row shard
    /// (~10 % of the chapter LSTM's inference). Zero in training, where backward reuses the table for ∂Q.
    /// </summary>
    internal long InferencePass { get; set; }

    /// <summary>Whether a forward pass of <paramref name="batch"/> rows takes the folded projection.</summary>
    internal bool FoldsEmbedding(int batch, bool training) => EmbeddingSource is { } source
        && !(training && Dropout > 0 && Dropout < 1) && source.InputDim < batch * Timesteps;

    /// <summary>
    /// The recurrent layer (with returnSequences, not goBackwards) that feeds this one in a model (set by
    /// <see cref="Sequential"/>), or null. Its output X[b, t] is its state h[t, b], already time-major: this layer
    /// projects those states directly, and its Backward returns ∂X time-major [T, B, F] to it, so the sequence
    /// is never turned batch-major and back between the two layers.
    /// </summary>
    internal Recurrent? SequenceSource { get; set; }

    /// <summary>The layer this one hands its states to (see <see cref="SequenceSource"/>): it writes no output rows.</summary>
    internal Recurrent? SequenceConsumer { get; set; }

    /// <summary>Whether <paramref name="next"/> can take this layer's sequence time-major.</summary>
    internal bool CanHandOverTo(Recurrent next) => ReturnSequences && !GoBackwards && !ZeroOutputForMask && next.Features == Units;

    /// <summary>Masked steps output zeros instead of the previous output (Bidirectional with sequences).</summary>
    internal bool ZeroOutputForMask { get; set; }

    /// <summary>Gate blocks G: columns of the kernel are G·H.</summary>
    private protected abstract int Gates { get; }

    private protected int Timesteps { get; private set; }
    private protected int Features { get; private set; }
    private protected int Batch { get; private set; }
    private protected Weight Kernel => kernel;

    /// <summary>P = X̃·W (+ input bias), [T, B, G·H].</summary>
    private protected Tensor Projection { get; } = new(0, 0, 0);

    /// <summary>∂loss/∂P, [T, B, G·H]; rows of masked steps are zero.</summary>
    private protected Tensor ProjectionGradient { get; } = new(0, 0, 0);

    /// <summary>h̃ entering the step at time t (h_prev ⊙ m_h), [T, B, H].</summary>
    private protected Tensor RecurrentInput { get; } = new(0, 0, 0);

    /// <summary>Scratch for one step's recurrent product h̃·U, [B, G·H].</summary>
    private protected Tensor StepBuffer { get; } = new(0, 0);

    /// <summary>∂loss/∂h̃ of the current step, [B, H], written by the cell.</summary>
    private protected Tensor RecurrentInputGradient { get; } = new(0, 0);

    private protected override int[] BuildCore(int[] inputShape, RandomGenerator random)
    {
        if (inputShape.Length != 2) throw ShapeError(inputShape, "(None, timesteps, features)");
        Timesteps = inputShape[0];
        Features = inputShape[1];
        kernel = AddWeight("kernel", [Features, Gates * Units], KernelInitializer, random);
        BuildCell(random);
        return ReturnSequences ? [Timesteps, Units] : [Units];
    }

    /// <summary>Adds <c>recurrent_kernel</c> and <c>bias</c> in Keras's order.</summary>
    private protected abstract void BuildCell(RandomGenerator random);

    /// <summary>The bias added to every row of P (G·H values), or empty.</summary>
    private protected abstract ReadOnlySpan<Real> InputBias { get; }

    /// <summary>Called once before the reverse time loop: lays out Uᵀ for the step products ∂h̃ = ∂z·Uᵀ.</summary>
    private protected virtual void BeginBackward()
    {
        var u = RecurrentKernelValue;
        int columns = Gates * Units;
        var t = TransposedRecurrentKernel.Reshape(columns, Units).Span;
        for (int i = 0; i < Units; i++)
            for (int j = 0; j < columns; j++) t[j * Units + i] = u[i * columns + j];
    }

    /// <summary>The recurrent kernel U [H, G·H] of the cell.</summary>
    private protected abstract ReadOnlySpan<Real> RecurrentKernelValue { get; }

    /// <summary>
    /// Uᵀ [G·H, H], laid out once per backward pass so that each step's ∂z·Uᵀ is a plain register-blocked
    /// product instead of a transposition per step.
    /// </summary>
    private protected Tensor TransposedRecurrentKernel { get; } = new(0, 0);

    /// <summary>
    /// One step at time <paramref name="t"/> for all rows: reads P[:, t], h̃ = RecurrentInput[:, t] and the
    /// states at <paramref name="previousTime"/> (−1: the zero initial state); writes the states at t.
    /// </summary>
    private protected abstract void StepForward(int t, int previousTime);

    /// <summary>
    /// The reverse of <see cref="StepForward"/> for rows active at t: from <see cref="StateGradient"/> (∂ wrt the
    /// states at t) writes ∂P[:, t] (zero for inactive rows), <see cref="RecurrentInputGradient"/> (∂ wrt h̃) and
    /// <see cref="PreviousStateGradient"/> (∂ wrt the incoming states other than through h̃).
    /// </summary>
    private protected abstract void StepBackward(int t, int previousTime);

    /// <summary>Gradients of the recurrent kernel and biases, from the filled ∂P and h̃ buffers.</summary>
    private protected abstract void RecurrentWeightGradients();

    private protected Span<Real> State(int k, int b, int t) =>
        t < 0 ? zeroState.Span : states[k].Span.Slice((t * Batch + b) * Units, Units);

    private protected Span<Real> StateGradient(int k, int b) => stateGradients[k].Span.Slice(b * Units, Units);

    private protected Span<Real> PreviousStateGradient(int k, int b) => previousStateGradients[k].Span.Slice(b * Units, Units);

    /// <summary>Row b of time t in a time-major [T, B, width] buffer.</summary>
    private protected Span<Real> Row(Tensor buffer, int b, int t, int width) => buffer.Span.Slice((t * Batch + b) * width, width);

    // Unchecked row references for the fused cell kernels, which index whole vectors of a row: callers stay
    // inside [T, B, width] buffers sized by Resize (batch = B), or pass t = 0, batch = 1 for a [B, width] one.
    private protected static ref Real RowRef(Tensor buffer, int b, int t, int batch, int width) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(buffer.Data), (t * batch + b) * width);

    /// <summary>
    /// True for the common configuration that the cells' fused kernels handle: activation tanh, recurrent
    /// activation sigmoid, units a multiple of the vector width. Anything else runs the general per-row code.
    /// </summary>
    private protected bool FusedTanhSigmoid => ReferenceEquals(Activation, Activation.Tanh)
        && ReferenceEquals(RecurrentActivation, Activation.Sigmoid) && Units % Vector256<Real>.Count == 0 && Vector256.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected static Vector256<Real> Load(ref Real row, int j) => Vector256.LoadUnsafe(ref row, (nuint)j);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected static void Store(Vector256<Real> v, ref Real row, int j) => v.StoreUnsafe(ref row, (nuint)j);

    // dst[0..n) = src[0..n): one row of a step, without a span slice and a memmove call per row
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow(ref Real source, ref Real destination, int n)
    {
        int j = 0, width = Vector256<Real>.Count;
        for (; j + width <= n; j += width) Store(Load(ref source, j), ref destination, j);
        for (; j < n; j++) Unsafe.Add(ref destination, j) = Unsafe.Add(ref source, j);
    }

    // z[0..n) = x + y
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRows(ref Real x, ref Real y, ref Real z, int n)
    {
        int j = 0, width = Vector256<Real>.Count;
        for (; j + width <= n; j += width) Store(Load(ref x, j) + Load(ref y, j), ref z, j);
        for (; j < n; j++) Unsafe.Add(ref z, j) = Unsafe.Add(ref x, j) + Unsafe.Add(ref y, j);
    }

    // z[0..n) = x ⊙ y
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyRows(ref Real x, ref Real y, ref Real z, int n)
    {
        int j = 0, width = Vector256<Real>.Count;
        for (; j + width <= n; j += width) Store(Load(ref x, j) * Load(ref y, j), ref z, j);
        for (; j < n; j++) Unsafe.Add(ref z, j) = Unsafe.Add(ref x, j) * Unsafe.Add(ref y, j);
    }

    private protected ref Real StateRef(int k, int b, int t) => ref t < 0
        ? ref MemoryMarshal.GetArrayDataReference(zeroState.Data)
        : ref RowRef(states[k], b, t, Batch, Units);

    private protected ref Real StateGradientRef(int k, int b) => ref RowRef(stateGradients[k], b, 0, 1, Units);

    private protected ref Real PreviousStateGradientRef(int k, int b) => ref RowRef(previousStateGradients[k], b, 0, 1, Units);

    private protected bool IsActive(int b, int t) => mask is null || mask.Span[b * Timesteps + t] != 0;

    /// <summary>C[b, :] (=|+=) A[t, b, :]·M for all rows b: one GEMM over a (contiguous) time slice.</summary>
    /// <paramref name="columns"/> limits the product to the first columns of A (default: all of aWidth).
    private protected void StepProduct(Tensor a, int t, int aWidth, ReadOnlySpan<Real> m, int ldm, int n, Span<Real> c, bool accumulate,
        bool transposeM = false, int columns = -1) =>
        Gemm.Multiply(false, transposeM, Batch, n, columns < 0 ? aWidth : columns, a.Span.Slice(t * Batch * aWidth), aWidth, m, ldm, c, n, accumulate);

    private int TimeAt(int step) => GoBackwards ? Timesteps - 1 - step : step;

    /// <summary>
    /// Runs the layer on <paramref name="input"/> [B, T, F], or on [B, T] one-hot columns: the column of the
    /// single 1 of each row of a one-hot [B, T, F] input (−1 for an all-zero row), as <see cref="Sequential"/>
    /// hands over one-hot batches without building them. No ∂X is formed for such input (it is data).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override Tensor Forward(Tensor input, Tensor? inputMask, bool training)
    {
        Batch = input.Dim(0);
        idsInput = input.Rank == 2;
        int width = Gates * Units;
        mask = inputMask;
        Resize();

        inputDropped = training && Dropout > 0 && Dropout < 1;
        if (inputDropped) SampleDropoutMask(inputDropMask.Reshape(Batch, Features).Span, Dropout, Random);
        recurrentDropped = training && RecurrentDropout > 0 && RecurrentDropout < 1;
        if (recurrentDropped) SampleDropoutMask(recurrentDropMask.Reshape(Batch, Units).Span, RecurrentDropout, Random);

        // One-hot rows are found in the input's own order and their indices put in time order: no copy of a
        // wide one-hot input. Anything else (or X̃) is copied once into time-major order for the projection.
        var p = Projection.Span;
        lookedUp = EmbeddingSource is { Ids: not null } source && ReferenceEquals(input, source.Output);
        folded = lookedUp && FoldsEmbedding(Batch, training);
        handedOver = SequenceSource is { } previousLayer && ReferenceEquals(input, previousLayer.output);
        oneHot = !lookedUp && !handedOver && !inputDropped && (idsInput || (Features >= 2 * Vector256<Real>.Count
            && Kernels.FindOneHotRows(input.Span, Batch * Timesteps, Features, BatchMajorIndex())));
        if (oneHot)
        {
            var index = OneHotIndex();
            var ids = input.Span;
            for (int t = 0; t < Timesteps; t++)
                for (int b = 0; b < Batch; b++)
                    index[t * Batch + b] = idsInput ? (int)ids[b * Timesteps + t] : batchMajorIndex[b * Timesteps + t];
            Kernels.GatherRows(kernel.Value.Span, width, index, InputBias, p);
        }
        else if (folded) FoldedProjection(EmbeddingSource!, p);
        else if (handedOver)
        {
            // X = the source's states [T, B, F], time-major as P; X̃ = X ⊙ m_x into the input copy under dropout
            var x = HandedOverInput();
            if (InputBias.IsEmpty) Gemm.Multiply(false, false, Batch * Timesteps, width, Features, x, Features, kernel.Value.Span, width, p, width, false);
            else Gemm.MultiplyAddBias(Batch * Timesteps, width, Features, x, Features, kernel.Value.Span, width, InputBias, p, width);
        }
        else
        {
            if (lookedUp) LookUpTimeMajor(EmbeddingSource!, inputDropped ? inputDropMask : null);
            else if (idsInput) OneHotToTimeMajor(input, inputDropped ? inputDropMask : null);
            else ToTimeMajor(input, inputDropped ? inputDropMask : null);
            var x = timeMajorInput.Span;
            if (InputBias.IsEmpty) Gemm.Multiply(false, false, Batch * Timesteps, width, Features, x, Features, kernel.Value.Span, width, p, width, false);
            else Gemm.MultiplyAddBias(Batch * Timesteps, width, Features, x, Features, kernel.Value.Span, width, InputBias, p, width);
        }

        for (int s = 0; s < Timesteps; s++)
        {
            int t = TimeAt(s), previous = s == 0 ? -1 : TimeAt(s - 1);
            if (recurrentDropped)
                for (int b = 0; b < Batch; b++)
                    MultiplyRows(ref StateRef(0, b, previous), ref RowRef(recurrentDropMask, b, 0, 1, Units), ref RowRef(RecurrentInput, b, t, Batch, Units), Units);
            else
            {
                // h̃ = h_prev for the whole step: one contiguous block in the time-major buffers
                var hIn = RecurrentInput.Span.Slice(t * Batch * Units, Batch * Units);
                if (previous < 0) hIn.Clear();
                else states[0].Span.Slice(previous * Batch * Units, Batch * Units).CopyTo(hIn);
            }
            StepForward(t, previous);
            if (mask is not null)
                for (int b = 0; b < Batch; b++)
                    if (!IsActive(b, t))
                        for (int k = 0; k < states.Length; k++) State(k, b, previous).CopyTo(State(k, b, t));
        }

        WriteOutput();
        return output;
    }

    // X (the source's states) or X̃ = X ⊙ m_x[b] per time-major row (b, t), into timeMajorInput
    private ReadOnlySpan<Real> HandedOverInput()
    {
        var states = SequenceSource!.states[0].Span[..(Timesteps * Batch * Features)];
        if (!inputDropped) return states;
        int f = Features;
        timeMajorInput.Reshape(Timesteps, Batch, f);
        ref Real x = ref MemoryMarshal.GetReference(states);
        ref Real y = ref MemoryMarshal.GetArrayDataReference(timeMajorInput.Data);
        for (int t = 0; t < Timesteps; t++)
            for (int b = 0; b < Batch; b++)
                MultiplyRows(ref Unsafe.Add(ref x, (t * Batch + b) * f), ref RowRef(inputDropMask, b, 0, 1, f), ref Unsafe.Add(ref y, (t * Batch + b) * f), f);
        return timeMajorInput.Span;
    }

    private Span<int> OneHotIndex()
    {
        int rows = Batch * Timesteps;
        if (oneHotIndex.Length < rows) oneHotIndex = new int[rows];
        return oneHotIndex.AsSpan(0, rows);
    }

    // P[t, b] = (E·W + b)[id[b, t]]: the same sums per value as X·W + b, over V rows instead of B·T
    private void FoldedProjection(Embedding source, Span<Real> p)
    {
        int v = source.InputDim, width = Gates * Units;
        var table = foldedTable.Reshape(v, width).Span;
        if (InferencePass == 0 || InferencePass != foldedTablePass)
        {
            var e = source.Table.Value.Span;
            if (InputBias.IsEmpty) Gemm.Multiply(false, false, v, width, Features, e, Features, kernel.Value.Span, width, table, width, false);
            else Gemm.MultiplyAddBias(v, width, Features, e, Features, kernel.Value.Span, width, InputBias, table, width);
        }
        foldedTablePass = InferencePass;
        var ids = source.Ids!.Span;  // checked against the vocabulary by the Embedding's forward pass
        var index = OneHotIndex();
        for (int t = 0; t < Timesteps; t++)
            for (int b = 0; b < Batch; b++) index[t * Batch + b] = (int)ids[b * Timesteps + t];
        Kernels.GatherRows(table, width, index, default, p);
    }

    private Span<int> BatchMajorIndex()
    {
        int rows = Batch * Timesteps;
        if (batchMajorIndex.Length < rows) batchMajorIndex = new int[rows];
        return batchMajorIndex.AsSpan(0, rows);
    }

    // timeMajorInput[t, b, :] = X[b, t, :] (⊙ m_x[b, :] under input dropout)
    private void ToTimeMajor(Tensor input, Tensor? dropMask)
    {
        int f = Features;
        timeMajorInput.Reshape(Timesteps, Batch, f);
        ref Real x = ref MemoryMarshal.GetArrayDataReference(input.Data);
        ref Real y = ref MemoryMarshal.GetArrayDataReference(timeMajorInput.Data);
        for (int b = 0; b < Batch; b++)
        {
            if (dropMask is null)
                for (int t = 0; t < Timesteps; t++)
                    CopyRow(ref Unsafe.Add(ref x, (b * Timesteps + t) * f), ref Unsafe.Add(ref y, (t * Batch + b) * f), f);
            else
            {
                ref Real m = ref RowRef(dropMask, b, 0, 1, f);
                for (int t = 0; t < Timesteps; t++)
                    MultiplyRows(ref Unsafe.Add(ref x, (b * Timesteps + t) * f), ref m, ref Unsafe.Add(ref y, (t * Batch + b) * f), f);
            }
        }
    }

    // timeMajorInput[t, b, :] = E[id[b, t]] (⊙ m_x[b, :] under input dropout): the Embedding's output, time-major
    private void LookUpTimeMajor(Embedding source, Tensor? dropMask)
    {
        int f = Features;
        timeMajorInput.Reshape(Timesteps, Batch, f);
        var ids = source.Ids!.Span;  // checked against the vocabulary by the Embedding's forward pass
        ref Real table = ref MemoryMarshal.GetArrayDataReference(source.Table.Value.Data);
        ref Real y = ref MemoryMarshal.GetArrayDataReference(timeMajorInput.Data);
        for (int b = 0; b < Batch; b++)
            for (int t = 0; t < Timesteps; t++)
            {
                ref Real row = ref Unsafe.Add(ref table, (int)ids[b * Timesteps + t] * f);
                ref Real destination = ref Unsafe.Add(ref y, (t * Batch + b) * f);
                if (dropMask is null) CopyRow(ref row, ref destination, f);
                else MultiplyRows(ref row, ref RowRef(dropMask, b, 0, 1, f), ref destination, f);
            }
    }

    // ∂E[id[b, t]] += ∂X[t, b] (⊙ m_x[b]) with ∂E cleared first; rows in the Embedding's own (batch-major) order,
    // so the sums are those of its Backward
    private void ScatterIntoEmbedding(Embedding source, Tensor dx, Tensor? dropMask)
    {
        int f = Features;
        var gradient = source.Table.Gradient;
        gradient.Span.Clear();
        var ids = source.Ids!.Span;
        ref Real dE = ref MemoryMarshal.GetArrayDataReference(gradient.Data);
        ref Real d = ref MemoryMarshal.GetArrayDataReference(dx.Data);
        for (int b = 0; b < Batch; b++)
            for (int t = 0; t < Timesteps; t++)
            {
                ref Real row = ref Unsafe.Add(ref dE, (int)ids[b * Timesteps + t] * f);
                ref Real dRow = ref Unsafe.Add(ref d, (t * Batch + b) * f);
                if (dropMask is not null) MultiplyRows(ref dRow, ref RowRef(dropMask, b, 0, 1, f), ref dRow, f);
                AddRows(ref row, ref dRow, ref row, f);
            }
    }

    // timeMajorInput[t, b, :] = one-hot(id[b, t]) (⊙ m_x[b, :] under input dropout): the dense X̃ of [B, T] columns
    private void OneHotToTimeMajor(Tensor ids, Tensor? dropMask)
    {
        int f = Features;
        timeMajorInput.Reshape(Timesteps, Batch, f);
        var x = timeMajorInput.Span;
        x.Clear();
        var columns = ids.Span;
        for (int b = 0; b < Batch; b++)
            for (int t = 0; t < Timesteps; t++)
            {
                int column = (int)columns[b * Timesteps + t];
                if (column >= 0) x[(t * Batch + b) * f + column] = dropMask is null ? 1 : dropMask.Span[b * f + column];
            }
    }

    private void Resize()
    {
        int width = Gates * Units;
        Projection.Reshape(Timesteps, Batch, width);
        ProjectionGradient.Reshape(Timesteps, Batch, width);
        RecurrentInput.Reshape(Timesteps, Batch, Units);
        RecurrentInputGradient.Reshape(Batch, Units);
        StepBuffer.Reshape(Batch, width);
        zeroState.Reshape(Units);
        for (int k = 0; k < states.Length; k++)
        {
            states[k].Reshape(Timesteps, Batch, Units);
            stateGradients[k].Reshape(Batch, Units);
            previousStateGradients[k].Reshape(Batch, Units);
        }
        ResizeCell();
    }

    /// <summary>Sizes the cell's own per-batch buffers (B and T are set).</summary>
    private protected abstract void ResizeCell();

    private void WriteOutput()
    {
        if (!ReturnSequences)
        {
            output.Reshape(Batch, Units);
            int last = TimeAt(Timesteps - 1);
            for (int b = 0; b < Batch; b++)
            {
                var o = output.Span.Slice(b * Units, Units);
                if (ZeroOutputForMask && !IsActive(b, last)) o.Clear();
                else State(0, b, last).CopyTo(o);
            }
            return;
        }
        output.Reshape(Batch, Timesteps, Units);
        if (SequenceConsumer is not null) return;  // it reads the states (shaped, not written, as a folded Embedding's output)
        for (int b = 0; b < Batch; b++)
            for (int s = 0; s < Timesteps; s++)
            {
                int t = TimeAt(s);
                ref Real o = ref RowRef(output, s, b, Timesteps, Units);  // the output is batch-major: row (b, s)
                if (ZeroOutputForMask && !IsActive(b, t)) output.Span.Slice((b * Timesteps + s) * Units, Units).Clear();
                else CopyRow(ref StateRef(0, b, t), ref o, Units);
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override Tensor? Backward(Tensor outputGradient)
    {
        int width = Gates * Units;
        foreach (var g in stateGradients) g.Span.Clear();
        BeginBackward();
        for (int s = Timesteps - 1; s >= 0; s--)
        {
            int t = TimeAt(s), previous = s == 0 ? -1 : TimeAt(s - 1);
            bool outputHere = ReturnSequences || s == Timesteps - 1;
            if (outputHere && SequenceConsumer is not null)
            {
                // ∂X from the consumer, time-major [T, B, H] (s = t here): one block for all rows
                ref Real block = ref StateGradientRef(0, 0);
                AddRows(ref block, ref RowRef(outputGradient, 0, t, Batch, Units), ref block, Batch * Units);
                outputHere = false;
            }
            for (int b = 0; b < Batch; b++)
            {
                if (!outputHere || (ZeroOutputForMask && !IsActive(b, t))) continue;
                ref Real d = ref ReturnSequences ? ref RowRef(outputGradient, s, b, Timesteps, Units) : ref RowRef(outputGradient, b, 0, 1, Units);
                AddRows(ref StateGradientRef(0, b), ref d, ref StateGradientRef(0, b), Units);
            }

            StepBackward(t, previous);
            if (StepWritesStateGradients) continue;  // the cell handed ∂ wrt the incoming states over itself

            for (int b = 0; b < Batch; b++)
            {
                if (!IsActive(b, t)) continue;  // a masked step passes its state gradients through unchanged
                if (recurrentDropped)
                {
                    ref Real dh = ref StateGradientRef(0, b);
                    MultiplyRows(ref RowRef(RecurrentInputGradient, b, 0, 1, Units), ref RowRef(recurrentDropMask, b, 0, 1, Units), ref dh, Units);
                    if (!PreviousStateGradientIsZero) AddRows(ref dh, ref PreviousStateGradientRef(0, b), ref dh, Units);
                }
                else if (PreviousStateGradientIsZero) CopyRow(ref RowRef(RecurrentInputGradient, b, 0, 1, Units), ref StateGradientRef(0, b), Units);
                else AddRows(ref RowRef(RecurrentInputGradient, b, 0, 1, Units), ref PreviousStateGradientRef(0, b), ref StateGradientRef(0, b), Units);
                for (int k = 1; k < states.Length; k++) CopyRow(ref PreviousStateGradientRef(k, b), ref StateGradientRef(k, b), Units);
            }
        }

        var dp = ProjectionGradient.Span;
        if (folded)
        {
            var embedding = EmbeddingSource!;
            int v = embedding.InputDim;
            var dTable = foldedTable.Reshape(v, width).Span;
            Kernels.ScatterAddRows(dp, width, oneHotIndex.AsSpan(0, Batch * Timesteps), dTable);
            Gemm.Multiply(true, false, Features, width, v, embedding.Table.Value.Span, Features, dTable, width, kernel.Gradient.Span, width, false);
            RecurrentWeightGradients();
            Gemm.Multiply(false, true, v, Features, width, dTable, width, kernel.Value.Span, width, embedding.Table.Gradient.Span, Features, false);
            return null;
        }
        if (oneHot) Kernels.ScatterAddRows(dp, width, oneHotIndex.AsSpan(0, Batch * Timesteps), kernel.Gradient.Span);
        else
        {
            var x = handedOver && !inputDropped ? SequenceSource!.states[0].Span : timeMajorInput.Span;
            Gemm.Multiply(true, false, Features, width, Batch * Timesteps, x, Features, dp, width, kernel.Gradient.Span, width, false);
        }
        RecurrentWeightGradients();
        if (InputGradientUnused || idsInput) return null;
        if (handedOver) return HandedOverInputGradient(dp, width);
        if (lookedUp)
        {
            timeMajorInput.Reshape(Timesteps, Batch, Features);
            Gemm.Multiply(false, true, Batch * Timesteps, Features, width, dp, width, kernel.Value.Span, width, timeMajorInput.Span, Features, false);
            ScatterIntoEmbedding(EmbeddingSource!, timeMajorInput, inputDropped ? inputDropMask : null);
            return null;
        }

        // ∂X in time order into the input copy (no longer needed), then back to the caller's batch-major order
        int f = Features;
        timeMajorInput.Reshape(Timesteps, Batch, f);
        var dx = timeMajorInput.Span;
        Gemm.Multiply(false, true, Batch * Timesteps, f, width, dp, width, kernel.Value.Span, width, dx, f, false);
        inputGradient.Reshape(Batch, Timesteps, f);
        ref Real source = ref MemoryMarshal.GetArrayDataReference(timeMajorInput.Data);
        ref Real destination = ref MemoryMarshal.GetArrayDataReference(inputGradient.Data);
        for (int b = 0; b < Batch; b++)
        {
            if (!inputDropped)
                for (int t = 0; t < Timesteps; t++)
                    CopyRow(ref Unsafe.Add(ref source, (t * Batch + b) * f), ref Unsafe.Add(ref destination, (b * Timesteps + t) * f), f);
            else
            {
                ref Real m = ref RowRef(inputDropMask, b, 0, 1, f);
                for (int t = 0; t < Timesteps; t++)
                    MultiplyRows(ref Unsafe.Add(ref source, (t * Batch + b) * f), ref m, ref Unsafe.Add(ref destination, (b * Timesteps + t) * f), f);
            }
        }
        return inputGradient;
    }

    // ∂X = (∂P·Wᵀ) ⊙ m_x, left time-major [T, B, F] for the source layer
    private Tensor HandedOverInputGradient(ReadOnlySpan<Real> dp, int width)
    {
        int f = Features;
        timeMajorInput.Reshape(Timesteps, Batch, f);
        Gemm.Multiply(false, true, Batch * Timesteps, f, width, dp, width, kernel.Value.Span, width, timeMajorInput.Span, f, false);
        if (inputDropped)
        {
            ref Real dx = ref MemoryMarshal.GetArrayDataReference(timeMajorInput.Data);
            for (int t = 0; t < Timesteps; t++)
                for (int b = 0; b < Batch; b++)
                {
                    ref Real row = ref Unsafe.Add(ref dx, (t * Batch + b) * f);
                    MultiplyRows(ref row, ref RowRef(inputDropMask, b, 0, 1, f), ref row, f);
                }
        }
        return timeMajorInput;
    }

    internal override Tensor? OutputMask(Tensor input, Tensor? inputMask) => ReturnSequences ? inputMask : null;

    /// <summary>The same configuration with <paramref name="goBackwards"/> (Bidirectional's backward copy).</summary>
    internal abstract Recurrent CloneWith(bool goBackwards);

    /// <summary>Column sums of a [rows, n] matrix (with leading dimension ld) into <paramref name="sums"/>.</summary>
    private protected static void ColumnSums(ReadOnlySpan<Real> matrix, int rows, int n, int ld, Span<Real> sums) =>
        Kernels.ColumnSums(matrix, rows, n, ld, sums);

    /// <summary>
    /// True when the cell's <see cref="StepBackward"/> itself leaves ∂ wrt the incoming states in
    /// <see cref="StateGradient"/> for the next (earlier) step, active rows only: the base's per-row hand-over is skipped.
    /// </summary>
    private protected virtual bool StepWritesStateGradients => false;

    private protected bool RecurrentDropped => recurrentDropped;

    /// <summary>True when the cell's ∂ wrt h_{t−1} flows only through h̃ (LSTM, SimpleRNN): the base skips adding it.</summary>
    private protected virtual bool PreviousStateGradientIsZero => false;
}
