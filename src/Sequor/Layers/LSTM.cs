using System.Numerics.Tensors;

namespace Sequor.Layers;

/// <summary>
/// Keras <c>LSTM(units, activation="tanh", recurrent_activation="sigmoid")</c>, gates in Keras order i, f, c, o.
/// <code>
/// z = x̃_t·W + h̃_{t−1}·U + b                         [B, 4H]
/// i = σ(z_i)   f = σ(z_f)   g = a(z_c)   o = σ(z_o)      (σ recurrent activation, a activation)
/// c_t = f ⊙ c_{t−1} + i ⊙ g          h_t = o ⊙ a(c_t)
/// backward, with ∂c = ∂c_t + ∂h_t ⊙ o ⊙ a′(c_t):
/// ∂z_o = ∂h_t ⊙ a(c_t) ⊙ σ′   ∂z_i = ∂c ⊙ g ⊙ σ′   ∂z_c = ∂c ⊙ i ⊙ a′   ∂z_f = ∂c ⊙ c_{t−1} ⊙ σ′
/// ∂c_{t−1} = ∂c ⊙ f      ∂h̃_{t−1} = ∂z·Uᵀ
/// </code>
/// Weights: <c>kernel</c> [F, 4H] glorot_uniform, <c>recurrent_kernel</c> [H, 4H] orthogonal,
/// <c>bias</c> [4H] zeros with ones on the forget block (unit_forget_bias). States: h, c.
/// </summary>
public sealed class LSTM : Recurrent
{
    private Weight recurrentKernel = null!;
    private Weight? bias;
    private readonly Tensor gates = new(0, 0, 0);      // [B, T, 4H]: i, f, g, o after their activations
    private readonly Tensor cellActivation = new(0, 0, 0);  // [B, T, H]: a(c_t)

    public LSTM(int units, Activation? activation = null, Activation? recurrentActivation = null, bool useBias = true,
        Real dropout = 0, Real recurrentDropout = 0, bool returnSequences = false, bool goBackwards = false,
        bool unitForgetBias = true, string? name = null)
        : base(units, activation, recurrentActivation, useBias, dropout, recurrentDropout, returnSequences, goBackwards, name, stateCount: 2)
    {
        UnitForgetBias = unitForgetBias;
    }

    public bool UnitForgetBias { get; }

    public override string ClassName => "LSTM";

    private protected override int Gates => 4;

    private protected override void BuildCell(RandomGenerator random)
    {
        recurrentKernel = AddWeight("recurrent_kernel", [Units, 4 * Units], RecurrentInitializer, random);
        if (!UseBias) return;
        bias = AddWeight("bias", [4 * Units], BiasInitializer, random);
        if (UnitForgetBias)
        {
            // Keras: [init(H), ones(H), init(2H)] — the forget block starts at one.
            var forget = bias.Value.Span.Slice(Units, Units);
            forget.Fill(1);
        }
    }

    private protected override void ResizeCell()
    {
        gates.Reshape(Batch, Timesteps, 4 * Units);
        cellActivation.Reshape(Batch, Timesteps, Units);
    }

    private protected override void AddInputBias(Span<Real> projectionRow)
    {
        if (bias is not null) TensorPrimitives.Add(projectionRow, bias.Value.Span, projectionRow);
    }

    private protected override void StepForward(int t, int previousTime)
    {
        int h = Units;
        StepProduct(RecurrentInput, t, h, recurrentKernel.Value.Span, 4 * h, 4 * h, StepBuffer.Span, false);
        for (int b = 0; b < Batch; b++)
        {
            var z = StepBuffer.Span.Slice(b * 4 * h, 4 * h);
            TensorPrimitives.Add(z, Row(Projection, b, t, 4 * h), z);
            var g = Row(gates, b, t, 4 * h);
            RecurrentActivation.Forward(z[..(2 * h)], g[..(2 * h)], h);
            Activation.Forward(z.Slice(2 * h, h), g.Slice(2 * h, h), h);
            RecurrentActivation.Forward(z.Slice(3 * h, h), g.Slice(3 * h, h), h);
            var i = g[..h];
            var f = g.Slice(h, h);
            var candidate = g.Slice(2 * h, h);
            var o = g.Slice(3 * h, h);
            var c = State(1, b, t);
            var cPrevious = State(1, b, previousTime);
            for (int j = 0; j < h; j++) c[j] = f[j] * cPrevious[j] + i[j] * candidate[j];
            var ac = Row(cellActivation, b, t, h);
            Activation.Forward(c, ac, h);
            TensorPrimitives.Multiply(o, ac, State(0, b, t));
        }
    }

    private protected override void StepBackward(int t, int previousTime)
    {
        int h = Units;
        for (int b = 0; b < Batch; b++)
        {
            var dz = Row(ProjectionGradient, b, t, 4 * h);
            if (!IsActive(b, t)) { dz.Clear(); continue; }
            var g = Row(gates, b, t, 4 * h);
            var ac = Row(cellActivation, b, t, h);
            var cPrevious = State(1, b, previousTime);
            var dh = StateGradient(0, b);
            var dcNext = StateGradient(1, b);
            var dcPrevious = PreviousStateGradient(1, b);
            for (int j = 0; j < h; j++)
            {
                Real i = g[j], f = g[h + j], candidate = g[2 * h + j], o = g[3 * h + j];
                Real dc = dcNext[j] + dh[j] * o * Activation.Derivative(ac[j]);
                dz[j] = dc * candidate * RecurrentActivation.Derivative(i);
                dz[h + j] = dc * cPrevious[j] * RecurrentActivation.Derivative(f);
                dz[2 * h + j] = dc * i * Activation.Derivative(candidate);
                dz[3 * h + j] = dh[j] * ac[j] * RecurrentActivation.Derivative(o);
                dcPrevious[j] = dc * f;
            }
            PreviousStateGradient(0, b).Clear();
        }
        StepProduct(ProjectionGradient, t, 4 * h, recurrentKernel.Value.Span, 4 * h, h, RecurrentInputGradient.Span, false, transposeM: true);
    }

    private protected override void RecurrentWeightGradients()
    {
        int width = 4 * Units;
        var dp = ProjectionGradient.Span;
        Gemm.Multiply(true, false, Units, width, Batch * Timesteps, RecurrentInput.Span, Units, dp, width, recurrentKernel.Gradient.Span, width, false);
        if (bias is not null) ColumnSums(dp, Batch * Timesteps, width, width, bias.Gradient.Span);
    }

    internal override Layer CloneConfiguration() => CloneWith(GoBackwards);

    internal override Recurrent CloneWith(bool goBackwards) =>
        new LSTM(Units, Activation, RecurrentActivation, UseBias, Dropout, RecurrentDropout, ReturnSequences, goBackwards, UnitForgetBias, Name)
        {
            KernelInitializer = KernelInitializer, RecurrentInitializer = RecurrentInitializer, BiasInitializer = BiasInitializer,
        };
}
