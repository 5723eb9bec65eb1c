using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sequor.Layers;

/// <summary>
/// Keras <c>Embedding(input_dim, output_dim, mask_zero)</c>: a lookup table of token vectors.
/// <code>
/// out[b, t, :] = embeddings[ids[b, t], :]            mask[b, t] = ids[b, t] ≠ 0   (when maskZero)
/// ∂embeddings[v, :] = Σ_{b,t : ids[b,t] = v} ∂out[b, t, :]
/// </code>
/// Shapes: ids [B, T] → [B, T, E]. Weight <c>embeddings</c> [V, E], U(−0.05, 0.05).
/// With maskZero, id 0 is still looked up; it only flags the step as padding for the layers after it.
/// </summary>
public sealed class Embedding : Layer
{
    private Weight embeddings = null!;
    private readonly Tensor output = new(0, 0, 0);
    private readonly Tensor mask = new(0, 0);
    private Tensor? ids;

    public Embedding(int inputDim, int outputDim, bool maskZero = false, string? name = null) : base(name)
    {
        if (inputDim <= 0) throw new SequorException($"Embedding: inputDim must be positive, got {inputDim}");
        if (outputDim <= 0) throw new SequorException($"Embedding: outputDim must be positive, got {outputDim}");
        InputDim = inputDim;
        OutputDim = outputDim;
        MaskZero = maskZero;
    }

    public int InputDim { get; }
    public int OutputDim { get; }
    public bool MaskZero { get; }
    public Initializer EmbeddingsInitializer { get; init; } = Initializer.RandomUniform;

    public override string ClassName => "Embedding";

    /// <summary>The table [V, E], for a recurrent layer after this one that folds the lookup into its projection.</summary>
    internal Weight Table => embeddings;

    /// <summary>The token ids [B, T] of the last forward pass.</summary>
    internal Tensor? Ids => ids;

    private protected override int[] BuildCore(int[] inputShape, RandomGenerator random)
    {
        if (inputShape.Length != 1) throw ShapeError(inputShape, "(None, timesteps) of token ids");
        embeddings = AddWeight("embeddings", [InputDim, OutputDim], EmbeddingsInitializer, random);
        return [inputShape[0], OutputDim];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override Tensor Forward(Tensor input, Tensor? inputMask, bool training)
    {
        int batch = input.Dim(0), steps = input.Dim(1);
        var ids = input.Span;
        this.ids = input;
        if (Plan.OutputIsIds)
        {
            // the next layer looks the ids up itself (in its folded table, or in this one): check them and pass them on
            CheckIds(ids, steps);
            return input;
        }
        output.Reshape(batch, steps, OutputDim);
        var table = embeddings.Value.Span;
        var outSpan = output.Span;
        int width = OutputDim;
        if (width % Vector256<Real>.Count == 0 && Kernels.Vectorized)
        {
            // whole vectors per row instead of a memmove call per token (rows of 16 or 128 values)
            ref Real from = ref MemoryMarshal.GetReference(table);
            ref Real to = ref MemoryMarshal.GetReference(outSpan);
            for (int i = 0; i < ids.Length; i++)
            {
                ref Real row = ref Unsafe.Add(ref from, CheckedId(ids[i], i, steps) * width);
                ref Real destination = ref Unsafe.Add(ref to, i * width);
                for (int j = 0; j < width; j += Vector256<Real>.Count)
                    Vector256.LoadUnsafe(ref row, (nuint)j).StoreUnsafe(ref destination, (nuint)j);
            }
        }
        else
            for (int i = 0; i < ids.Length; i++)
            {
                int id = CheckedId(ids[i], i, steps);
                table.Slice(id * width, width).CopyTo(outSpan.Slice(i * width, width));
            }
        return output;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override Tensor? Backward(Tensor outputGradient)
    {
        var gradient = embeddings.Gradient.Span;
        gradient.Clear();
        var ids = this.ids!.Span;
        var dOut = outputGradient.Span;
        int width = OutputDim;
        if (width % Vector256<Real>.Count == 0 && Kernels.Vectorized && dOut.Length >= ids.Length * width)
        {
            // whole vectors per row instead of a call per token (the ids were checked by Forward)
            ref Real to = ref MemoryMarshal.GetReference(gradient);
            ref Real from = ref MemoryMarshal.GetReference(dOut);
            for (int i = 0; i < ids.Length; i++)
            {
                ref Real row = ref Unsafe.Add(ref to, (int)ids[i] * width);
                ref Real d = ref Unsafe.Add(ref from, i * width);
                for (int j = 0; j < width; j += Vector256<Real>.Count)
                    (Vector256.LoadUnsafe(ref row, (nuint)j) + Vector256.LoadUnsafe(ref d, (nuint)j)).StoreUnsafe(ref row, (nuint)j);
            }
            return null;
        }
        for (int i = 0; i < ids.Length; i++)
        {
            var row = gradient.Slice((int)ids[i] * width, width);
            var d = dOut.Slice(i * width, width);
            Kernels.Add(row, d, row);
        }
        return null;
    }

    internal override Tensor? OutputMask(Tensor input, Tensor? inputMask)
    {
        if (!MaskZero) return inputMask;
        mask.Reshape(input.Dim(0), input.Dim(1));
        var ids = input.Span;
        var m = mask.Span;
        for (int i = 0; i < ids.Length; i++) m[i] = ids[i] != 0 ? 1 : 0;
        return mask;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int CheckedId(Real value, int index, int steps)
    {
        int id = (int)value;
        if (id != value || id < 0 || id >= InputDim) throw IdError(value, index, steps);
        return id;
    }

    /// <summary>Checks that every id is a whole number in [0, V), a vector at a time (a folded lookup reads no table here).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CheckIds(ReadOnlySpan<Real> ids, int steps)
    {
        int i = 0, width = Vector256<Real>.Count;
        if (Vector256.IsHardwareAccelerated)
        {
            var limit = Vector256.Create((Real)InputDim);
            var bad = Vector256<Real>.Zero;
            ref Real start = ref MemoryMarshal.GetReference(ids);
            for (; i + width <= ids.Length; i += width)
            {
                var v = Vector256.LoadUnsafe(ref start, (nuint)i);
                // NaN fails the equality, so it is flagged too
                bad |= ~Vector256.Equals(v, Vector256.Floor(v)) | Vector256.LessThan(v, Vector256<Real>.Zero) | Vector256.GreaterThanOrEqual(v, limit);
            }
            if (bad != Vector256<Real>.Zero) i = 0;  // find the first offender for the message
        }
        for (; i < ids.Length; i++) CheckedId(ids[i], i, steps);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private SequorException IdError(Real value, int index, int steps) =>
        new($"layer '{Name}' (Embedding): token id {value} at [{index / steps}, {index % steps}] is outside the vocabulary [0, {InputDim}) (input_dim {InputDim})");

    internal override Layer CloneConfiguration() => new Embedding(InputDim, OutputDim, MaskZero, Name) { EmbeddingsInitializer = EmbeddingsInitializer };
}
