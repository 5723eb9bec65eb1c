using System.Runtime.InteropServices;

namespace Sequor.Layers;

/// <summary>
/// The input side of a recurrent layer: P = X̃·W (+ b) for every timestep at once, time-major [T, B, G·H], and in or
/// after the reverse loop ∂W = X̃ᵀ·∂P and ∂X = (∂P·Wᵀ) ⊙ m_x. X arrives in the form the layer's <see cref="LayerPlan"/> says,
/// and each form has its cheaper product with the same sums:
/// <list type="bullet">
/// <item>[B, T, F] floats: copied time-major (⊙ m_x) once, one GEMM. One-hot rows (found by a scan) or one-hot
/// columns [B, T] (given by the model for one-hot data): P is a gather of rows of W (+ b), ∂W a scatter of ∂P.</item>
/// <item>Token ids of the Embedding before (<see cref="LayerInput.EmbeddingIds"/>): X[b, t] = E[id[b, t]] is gathered
/// here, and ∂X scattered into ∂E by token. Without input dropout and when the vocabulary V is smaller than B·T, P is
/// instead a lookup in the [V, G·H] table E·W + b (the fold), and ∂W = Eᵀ·∂Q, ∂E = ∂Q·Wᵀ with ∂Q ∂P summed by token.</item>
/// <item>The previous recurrent layer's states (<see cref="LayerInput.TimeMajorStates"/>): already time-major, projected
/// as they are; ∂X is returned time-major.</item>
/// </list>
/// </summary>
internal sealed class RecurrentProjection
{
    private readonly Tensor timeMajorInput = new(0, 0, 0);  // [T, B, F]: X or X̃ for the product; ∂X scratch in backward
    private readonly Tensor inputGradient = new(0, 0, 0);   // [B, T, F]
    private readonly Tensor foldedTable = new(0, 0);        // [V, G·H]: E·W + b in forward, its gradient ∂Q in backward
    private readonly Tensor transposedKernel = new(0, 0);   // [G·H, F]: Wᵀ for the ∂X of BackwardBlock
    private int[] oneHotIndex = [];     // per time-major row: the column of its single 1 (the token id), −1 for none
    private int[] batchMajorIndex = []; // FindOneHotRows' answer in the input's own row order
    private long foldedTablePass;       // the inference pass whose E·W + b foldedTable holds (0: none)
    private Tensor input = null!;
    private Tensor? dropMask;
    private int batch, timesteps, features, width;
    private bool oneHot, idsInput, lookedUp, folded, handedOver;

    /// <summary>
    /// Non-zero while a model runs one inference batch's shards on this replica: the weights cannot change within it,
    /// so the fold table E·W + b is formed once per pass instead of once per 32-row shard. Zero in training, where
    /// backward reuses the table for ∂Q.
    /// </summary>
    public long InferencePass { get; set; }

    /// <summary>Fills P [T, B, width] from <paramref name="x"/>; <paramref name="mask"/> is m_x [B, F] or null.</summary>
    public void Forward(Tensor x, LayerPlan plan, Tensor? mask, Weight kernel, ReadOnlySpan<Real> bias, int timesteps, int features, Tensor p)
    {
        input = x;
        dropMask = mask;
        batch = x.Dim(0);
        this.timesteps = timesteps;
        this.features = features;
        width = p.Dim(2);
        lookedUp = plan.Input == LayerInput.EmbeddingIds;
        handedOver = plan.Input == LayerInput.TimeMajorStates;
        if (handedOver) batch = x.Dim(1);
        idsInput = plan.Input == LayerInput.Tensor && x.Rank == 2;
        folded = lookedUp && mask is null && plan.Table!.InputDim < batch * timesteps;
        oneHot = !lookedUp && !handedOver && mask is null && (idsInput || (features >= 2 * System.Runtime.Intrinsics.Vector256<Real>.Count
            && Kernels.FindOneHotRows(x.Span, batch * timesteps, features, BatchMajorIndex())));
        var w = kernel.Value.Span;
        if (oneHot)
        {
            var index = OneHotIndex();
            var ids = x.Span;
            for (int t = 0; t < timesteps; t++)
                for (int b = 0; b < batch; b++)
                    index[t * batch + b] = idsInput ? (int)ids[b * timesteps + t] : batchMajorIndex[b * timesteps + t];
            Kernels.GatherRows(w, width, index, bias, p.Span);
            return;
        }
        if (folded)
        {
            FoldedProjection(plan.Table!, kernel, bias, p.Span);
            return;
        }
        ReadOnlySpan<Real> timeMajor;
        if (handedOver) timeMajor = mask is null ? x.Span : DropTimeMajor(x);
        else
        {
            if (lookedUp) LookUpTimeMajor(plan.Table!);
            else if (idsInput) OneHotToTimeMajor();
            else ToTimeMajor();
            timeMajor = timeMajorInput.Span;
        }
        if (bias.IsEmpty) Gemm.Multiply(false, false, batch * timesteps, width, features, timeMajor, features, w, width, p.Span, width, false);
        else Gemm.MultiplyAddBias(batch * timesteps, width, features, timeMajor, features, w, width, bias, p.Span, width);
    }

    /// <summary>Whether ∂W and ∂X are products with ∂P row by row (X̃ is a dense time-major buffer): then the reverse
    /// loop forms them with <see cref="BackwardBlock"/>, a block of times at a time (one block: the whole pass).</summary>
    public bool DenseInBlocks => !folded && !oneHot;

    private bool InputGradientWanted(LayerPlan plan) => !(plan.InputIsData || idsInput);

    /// <summary>
    /// ∂W (+)= X̃ᵀ·∂P and ∂X = ∂P·Wᵀ over the rows of times [<paramref name="firstTime"/>, + <paramref name="times"/>)
    /// (<see cref="DenseInBlocks"/> only): the reverse loop calls it while those rows of ∂P are still in cache.
    /// </summary>
    public void BackwardBlock(ReadOnlySpan<Real> dp, LayerPlan plan, Weight kernel, int firstTime, int times, bool accumulate)
    {
        int f = features, first = firstTime * batch, rows = times * batch;
        var dpBlock = dp[(first * width)..];
        var x = handedOver && dropMask is null ? input.Span : timeMajorInput.Span;
        Gemm.Multiply(true, false, f, width, rows, x[(first * f)..], f, dpBlock, width, kernel.Gradient.Span, width, accumulate);
        if (!InputGradientWanted(plan)) return;
        // ∂X in time order into the input copy (those rows of X̃ are no longer needed), with Wᵀ laid out once per pass
        if (!accumulate) Kernels.Transpose(kernel.Value.Span, f, width, width, transposedKernel.Reshape(width, f).Span);
        var wt = transposedKernel.Span;
        timeMajorInput.Reshape(timesteps, batch, f);  // keeps the values: X̃ of the blocks still to come
        Gemm.Multiply(false, false, rows, f, width, dpBlock, width, wt, f, timeMajorInput.Span[(first * f)..], f, false);
    }

    /// <summary>
    /// After the reverse loop: ∂W and ∂X of the folded and one-hot forms (the dense form's came from
    /// <see cref="BackwardBlock"/>), and ∂X handed on: null when nothing takes it (data, ids, or an Embedding that got
    /// its ∂E here), time-major [T, B, F] for a layer that handed its states over, else [B, T, F].
    /// </summary>
    public Tensor? Backward(ReadOnlySpan<Real> dp, LayerPlan plan, Weight kernel)
    {
        if (DenseInBlocks)
            return InputGradientWanted(plan) ? FinishInputGradient(plan) : null;
        if (folded)
        {
            var embedding = plan.Table!;
            int v = embedding.InputDim;
            var dTable = foldedTable.Reshape(v, width).Span;
            Kernels.ScatterAddRows(dp, width, oneHotIndex.AsSpan(0, batch * timesteps), dTable);
            Gemm.Multiply(true, false, features, width, v, embedding.Table.Value.Span, features, dTable, width, kernel.Gradient.Span, width, false);
            Gemm.Multiply(false, true, v, features, width, dTable, width, kernel.Value.Span, width, embedding.Table.Gradient.Span, features, false);
            return null;
        }
        Kernels.ScatterAddRows(dp, width, oneHotIndex.AsSpan(0, batch * timesteps), kernel.Gradient.Span);
        if (!InputGradientWanted(plan)) return null;

        // ∂X in time order into the input copy (no longer needed)
        int f = features;
        timeMajorInput.Reshape(timesteps, batch, f);
        Gemm.Multiply(false, true, batch * timesteps, f, width, dp, width, kernel.Value.Span, width, timeMajorInput.Span, f, false);
        return FinishInputGradient(plan);
    }

    // ∂X (time-major in timeMajorInput) ⊙ m_x, handed to the previous layer in the form it takes
    private Tensor? FinishInputGradient(LayerPlan plan)
    {
        int f = features;
        if (handedOver)
        {
            if (dropMask is not null)
                for (int t = 0; t < timesteps; t++)
                    for (int b = 0; b < batch; b++)
                    {
                        ref Real row = ref Rows.At(timeMajorInput, b, t, batch, f);
                        Rows.Multiply(ref row, ref Rows.At(dropMask, b, 0, 1, f), ref row, f);
                    }
            return timeMajorInput;
        }
        if (lookedUp)
        {
            ScatterIntoEmbedding(plan.Table!);
            return null;
        }
        // back to the caller's batch-major order (⊙ m_x)
        inputGradient.Reshape(batch, timesteps, f);
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < timesteps; t++)
            {
                ref Real source = ref Rows.At(timeMajorInput, b, t, batch, f);
                ref Real destination = ref Rows.At(inputGradient, t, b, timesteps, f);
                if (dropMask is null) Rows.Copy(ref source, ref destination, f);
                else Rows.Multiply(ref source, ref Rows.At(dropMask, b, 0, 1, f), ref destination, f);
            }
        return inputGradient;
    }

    private Span<int> OneHotIndex()
    {
        int rows = batch * timesteps;
        if (oneHotIndex.Length < rows) oneHotIndex = new int[rows];
        return oneHotIndex.AsSpan(0, rows);
    }

    private Span<int> BatchMajorIndex()
    {
        int rows = batch * timesteps;
        if (batchMajorIndex.Length < rows) batchMajorIndex = new int[rows];
        return batchMajorIndex.AsSpan(0, rows);
    }

    // X̃ = X ⊙ m_x[b] per time-major row (b, t) of the previous layer's states, into timeMajorInput
    private ReadOnlySpan<Real> DropTimeMajor(Tensor states)
    {
        int f = features;
        timeMajorInput.Reshape(timesteps, batch, f);
        for (int t = 0; t < timesteps; t++)
            for (int b = 0; b < batch; b++)
                Rows.Multiply(ref Rows.At(states, b, t, batch, f), ref Rows.At(dropMask!, b, 0, 1, f), ref Rows.At(timeMajorInput, b, t, batch, f), f);
        return timeMajorInput.Span;
    }

    // P[t, b] = (E·W + b)[id[b, t]]: the same sums per value as X·W + b, over V rows instead of B·T
    private void FoldedProjection(Embedding source, Weight kernel, ReadOnlySpan<Real> bias, Span<Real> p)
    {
        int v = source.InputDim;
        var table = foldedTable.Reshape(v, width).Span;
        if (InferencePass == 0 || InferencePass != foldedTablePass)
        {
            var e = source.Table.Value.Span;
            if (bias.IsEmpty) Gemm.Multiply(false, false, v, width, features, e, features, kernel.Value.Span, width, table, width, false);
            else Gemm.MultiplyAddBias(v, width, features, e, features, kernel.Value.Span, width, bias, table, width);
        }
        foldedTablePass = InferencePass;
        var ids = input.Span;  // checked against the vocabulary by the Embedding's forward pass
        var index = OneHotIndex();
        for (int t = 0; t < timesteps; t++)
            for (int b = 0; b < batch; b++) index[t * batch + b] = (int)ids[b * timesteps + t];
        Kernels.GatherRows(table, width, index, default, p);
    }

    // timeMajorInput[t, b, :] = X[b, t, :] (⊙ m_x[b, :] under input dropout)
    private void ToTimeMajor()
    {
        int f = features;
        timeMajorInput.Reshape(timesteps, batch, f);
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < timesteps; t++)
            {
                ref Real source = ref Rows.At(input, t, b, timesteps, f);
                ref Real destination = ref Rows.At(timeMajorInput, b, t, batch, f);
                if (dropMask is null) Rows.Copy(ref source, ref destination, f);
                else Rows.Multiply(ref source, ref Rows.At(dropMask, b, 0, 1, f), ref destination, f);
            }
    }

    // timeMajorInput[t, b, :] = E[id[b, t]] (⊙ m_x[b, :] under input dropout): the Embedding's output, time-major
    private void LookUpTimeMajor(Embedding source)
    {
        int f = features;
        timeMajorInput.Reshape(timesteps, batch, f);
        var ids = input.Span;  // checked against the vocabulary by the Embedding's forward pass
        ref Real table = ref MemoryMarshal.GetArrayDataReference(source.Table.Value.Data);
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < timesteps; t++)
            {
                ref Real row = ref System.Runtime.CompilerServices.Unsafe.Add(ref table, (int)ids[b * timesteps + t] * f);
                ref Real destination = ref Rows.At(timeMajorInput, b, t, batch, f);
                if (dropMask is null) Rows.Copy(ref row, ref destination, f);
                else Rows.Multiply(ref row, ref Rows.At(dropMask, b, 0, 1, f), ref destination, f);
            }
    }

    // ∂E[id[b, t]] += ∂X[t, b] (⊙ m_x[b]) with ∂E cleared first; rows in the Embedding's own (batch-major) order, so
    // the sums are those of its Backward
    private void ScatterIntoEmbedding(Embedding source)
    {
        int f = features;
        var gradient = source.Table.Gradient;
        gradient.Span.Clear();
        var ids = input.Span;
        ref Real dE = ref MemoryMarshal.GetArrayDataReference(gradient.Data);
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < timesteps; t++)
            {
                ref Real row = ref System.Runtime.CompilerServices.Unsafe.Add(ref dE, (int)ids[b * timesteps + t] * f);
                ref Real dRow = ref Rows.At(timeMajorInput, b, t, batch, f);
                if (dropMask is not null) Rows.Multiply(ref dRow, ref Rows.At(dropMask, b, 0, 1, f), ref dRow, f);
                Rows.Add(ref row, ref dRow, ref row, f);
            }
    }

    // timeMajorInput[t, b, :] = one-hot(id[b, t]) (⊙ m_x[b, :] under input dropout): the dense X̃ of [B, T] columns
    private void OneHotToTimeMajor()
    {
        int f = features;
        timeMajorInput.Reshape(timesteps, batch, f);
        var x = timeMajorInput.Span;
        x.Clear();
        var columns = input.Span;
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < timesteps; t++)
            {
                int column = (int)columns[b * timesteps + t];
                if (column >= 0) x[(t * batch + b) * f + column] = dropMask is null ? 1 : dropMask.Span[b * f + column];
            }
    }
}
