using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sequor.Layers;

/// <summary>
/// Keras <c>SimpleRNN(units, activation="tanh")</c>.
/// <code>
/// h_t = f(x̃_t·W + b + h̃_{t−1}·U)
/// ∂z_t = ∂h_t ⊙ f′(h_t)     ∂h̃_{t−1} = ∂z_t·Uᵀ     ∂U = Σ_t h̃_{t−1}ᵀ·∂z_t     ∂b = Σ ∂z_t
/// </code>
/// Weights: <c>kernel</c> [F, H] glorot_uniform, <c>recurrent_kernel</c> [H, H] orthogonal, <c>bias</c> [H] zeros.
/// Time loop, masking and dropout: <see cref="Recurrent"/>.
/// </summary>
public sealed class SimpleRNN : Recurrent
{
    private Weight recurrentKernel = null!;
    private Weight? bias;

    public SimpleRNN(int units, Activation? activation = null, bool useBias = true, Real dropout = 0, Real recurrentDropout = 0,
        bool returnSequences = false, bool goBackwards = false, string? name = null)
        : base(units, activation, null, useBias, dropout, recurrentDropout, returnSequences, goBackwards, name, stateCount: 1) { }

    public override string ClassName => "SimpleRNN";

    private protected override int Gates => 1;

    private protected override void BuildCell(RandomGenerator random)
    {
        recurrentKernel = AddWeight("recurrent_kernel", [Units, Units], RecurrentInitializer, random);
        if (UseBias) bias = AddWeight("bias", [Units], BiasInitializer, random);
    }

    private protected override void ResizeCell() { }

    private protected override ReadOnlySpan<Real> RecurrentKernelValue => recurrentKernel.Value.Span;

    private protected override ReadOnlySpan<Real> InputBias => bias is null ? default : bias.Value.Span;

    private protected override bool PreviousStateGradientIsZero => true;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void StepForward(int t, int previousTime)
    {
        StepProduct(RecurrentInput, t, Units, recurrentKernel.Value.Span, Units, Units, StepBuffer.Span, false);
        if (FusedTanhSigmoid)
        {
            // h = tanh(P[b, t] + StepBuffer[b]), one vector of units at a time
            int batch = Batch, width = Vector256<Real>.Count;
            for (int b = 0; b < Batch; b++)
            {
                ref Real z = ref RowRef(StepBuffer, b, 0, 1, Units);
                ref Real p = ref RowRef(Projection, b, t, batch, Units);
                ref Real h = ref StateRef(0, b, t);
                for (int j = 0; j < Units; j += width) Store(VectorMath.Tanh(Load(ref z, j) + Load(ref p, j)), ref h, j);
            }
            return;
        }
        for (int b = 0; b < Batch; b++)
        {
            var h = State(0, b, t);
            System.Numerics.Tensors.TensorPrimitives.Add(Row(Projection, b, t, Units), StepBuffer.Span.Slice(b * Units, Units), h);
            Activation.Forward(h, h, Units);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void StepBackward(int t, int previousTime)
    {
        bool fused = FusedTanhSigmoid;
        int batch = Batch, width = Vector256<Real>.Count;
        for (int b = 0; b < Batch; b++)
        {
            var dz = Row(ProjectionGradient, b, t, Units);
            if (!IsActive(b, t)) { dz.Clear(); continue; }
            if (fused)
            {
                // ∂z = ∂h ⊙ (1 − h²)
                ref Real d = ref RowRef(ProjectionGradient, b, t, batch, Units);
                ref Real h = ref StateRef(0, b, t);
                ref Real dh = ref StateGradientRef(0, b);
                for (int j = 0; j < Units; j += width)
                {
                    var hv = Load(ref h, j);
                    Store(Load(ref dh, j) * (Vector256<Real>.One - hv * hv), ref d, j);
                }
                continue;
            }
            Activation.Backward(State(0, b, t), StateGradient(0, b), dz, Units);
        }
        StepProduct(ProjectionGradient, t, Units, TransposedRecurrentKernel.Span, Units, Units, RecurrentInputGradient.Span, false);
    }

    private protected override void RecurrentWeightGradients()
    {
        var dp = ProjectionGradient.Span;
        Gemm.Multiply(true, false, Units, Units, Batch * Timesteps, RecurrentInput.Span, Units, dp, Units, recurrentKernel.Gradient.Span, Units, false);
        if (bias is not null) ColumnSums(dp, Batch * Timesteps, Units, Units, bias.Gradient.Span);
    }

    internal override Layer CloneConfiguration() => CloneWith(GoBackwards);

    internal override Recurrent CloneWith(bool goBackwards) =>
        new SimpleRNN(Units, Activation, UseBias, Dropout, RecurrentDropout, ReturnSequences, goBackwards, Name)
        {
            KernelInitializer = KernelInitializer, RecurrentInitializer = RecurrentInitializer, BiasInitializer = BiasInitializer,
        };
}
