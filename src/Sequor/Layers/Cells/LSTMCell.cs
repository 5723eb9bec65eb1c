using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Sequor.Layers;

/// <summary>
/// Keras's <c>LSTMCell</c>, gates in Keras order i, f, c, o.
/// <code>
/// z = x̃_t·W + h̃_{t−1}·U + b                         [B, 4H]
/// i = σ(z_i)   f = σ(z_f)   g = a(z_c)   o = σ(z_o)      (σ recurrent activation, a activation)
/// c_t = f ⊙ c_{t−1} + i ⊙ g          h_t = o ⊙ a(c_t)
/// backward, with ∂c = ∂c_t + ∂h_t ⊙ o ⊙ a′(c_t):
/// ∂z_o = ∂h_t ⊙ a(c_t) ⊙ σ′   ∂z_i = ∂c ⊙ g ⊙ σ′   ∂z_c = ∂c ⊙ i ⊙ a′   ∂z_f = ∂c ⊙ c_{t−1} ⊙ σ′
/// ∂c_{t−1} = ∂c ⊙ f      ∂h̃_{t−1} = ∂z·Uᵀ
/// </code>
/// Weights: <c>kernel</c> [F, 4H], <c>recurrent_kernel</c> [H, 4H], <c>bias</c> [4H] with ones on the forget block
/// (unit_forget_bias). States: h, c. Fast steps: <see cref="LstmKernels"/>.
/// </summary>
internal sealed class LSTMCell(int units, Activation activation, Activation recurrentActivation, bool useBias, bool unitForgetBias)
    : RecurrentCell(units, activation, recurrentActivation, useBias)
{
    private readonly Tensor gates = new(0, 0, 0);           // [T, B, 4H]: i, f, g, o after their activations (reference step)
    private readonly Tensor cellActivation = new(0, 0, 0);  // [T, B, H]: a(c_t)

    public override int Gates => 4;

    public override int StateCount => 2;

    public override bool PreviousStateGradientIsZero => true;

    private protected override void InitializeBias()
    {
        // Keras: [init(H), ones(H), init(2H)] — the forget block starts at one.
        if (Bias is not null && unitForgetBias) Bias.Value.Span.Slice(Units, Units).Fill(1);
    }

    public override void Resize(StepBuffers s)
    {
        gates.Reshape(s.Timesteps, s.Batch, Fast ? 0 : 4 * Units);  // the fast kernels keep the gates in P
        cellActivation.Reshape(s.Timesteps, s.Batch, Units);
    }

    // H = one vector without recurrent dropout: the small backward kernel hands ∂h_{t−1} and ∂c_{t−1} over in place.
    public override bool HandsOverStateGradients(StepBuffers s) => Fast && Units == Vector256<Real>.Count && !s.RecurrentDropped;

    public override void Forward(StepBuffers s, int t, int previousTime)
    {
        int h = Units, stride = s.StateStride(previousTime);
        if (Fast && h == Vector256<Real>.Count)
        {
            LstmKernels.SmallForward(s.Batch, ref Rows.At(RecurrentKernel.Value, 0, 0, 1, 4 * h), ref s.RowRef(s.RecurrentInput, 0, t, h),
                ref s.RowRef(s.Projection, 0, t, 4 * h), previousTime < 0, ref s.StateRef(1, 0, previousTime), stride,
                ref s.StateRef(1, 0, t), ref s.RowRef(cellActivation, 0, t, h), ref s.StateRef(0, 0, t));
            return;
        }
        s.Product(s.RecurrentInput, t, h, RecurrentKernel.Value.Span, 4 * h, 4 * h, s.StepProduct.Span, false);
        if (Fast)
            LstmKernels.Forward(s.Batch, h, ref Rows.At(s.StepProduct, 0, 0, 1, 4 * h), ref s.RowRef(s.Projection, 0, t, 4 * h),
                ref s.StateRef(1, 0, previousTime), stride, ref s.StateRef(1, 0, t), ref s.RowRef(cellActivation, 0, t, h), ref s.StateRef(0, 0, t));
        else ReferenceForward(s, t, previousTime);
    }

    /// <summary>The gate math of one step, row by row, with the activations' own functions (z = h̃·U is in the step product).</summary>
    internal void ReferenceForward(StepBuffers s, int t, int previousTime)
    {
        int h = Units;
        for (int b = 0; b < s.Batch; b++)
        {
            var z = s.StepProduct.Span.Slice(b * 4 * h, 4 * h);
            TensorPrimitives.Add(z, s.Row(s.Projection, b, t, 4 * h), z);
            var g = s.Row(gates, b, t, 4 * h);
            RecurrentActivation.Forward(z[..(2 * h)], g[..(2 * h)], h);
            Activation.Forward(z.Slice(2 * h, h), g.Slice(2 * h, h), h);
            RecurrentActivation.Forward(z.Slice(3 * h, h), g.Slice(3 * h, h), h);
            var i = g[..h];
            var f = g.Slice(h, h);
            var candidate = g.Slice(2 * h, h);
            var o = g.Slice(3 * h, h);
            var c = s.State(1, b, t);
            var cPrevious = s.State(1, b, previousTime);
            for (int j = 0; j < h; j++) c[j] = f[j] * cPrevious[j] + i[j] * candidate[j];
            var ac = s.Row(cellActivation, b, t, h);
            Activation.Forward(c, ac, h);
            TensorPrimitives.Multiply(o, ac, s.State(0, b, t));
        }
    }

    public override void Backward(StepBuffers s, int t, int previousTime)
    {
        int h = Units, stride = s.StateStride(previousTime);
        if (HandsOverStateGradients(s))
        {
            LstmKernels.SmallBackward(s.Batch, s.ActiveRows(t), ref s.TransposedRecurrentKernel.Data[0], ref s.RowRef(s.ProjectionGradient, 0, t, 4 * h),
                ref s.RowRef(s.Projection, 0, t, 4 * h), ref s.RowRef(cellActivation, 0, t, h), ref s.StateRef(1, 0, previousTime), stride,
                ref s.StateGradientRef(0, 0), ref s.StateGradientRef(1, 0));
            return;
        }
        if (Fast)
        {
            LstmKernels.Backward(s.Batch, h, s.ActiveRows(t), ref s.RowRef(s.ProjectionGradient, 0, t, 4 * h), ref s.RowRef(s.Projection, 0, t, 4 * h),
                ref s.RowRef(cellActivation, 0, t, h), ref s.StateRef(1, 0, previousTime), stride,
                ref s.StateGradientRef(0, 0), ref s.StateGradientRef(1, 0), ref s.PreviousStateGradientRef(1, 0));
            s.Product(s.ProjectionGradient, t, 4 * h, s.TransposedRecurrentKernel.Span, h, h, s.RecurrentInputGradient.Span, false);
            return;
        }
        ReferenceBackward(s, t, previousTime);
        s.Product(s.ProjectionGradient, t, 4 * h, RecurrentKernel.Value.Span, 4 * h, h, s.RecurrentInputGradient.Span, false, transposeM: true);
    }

    /// <summary>∂z of one step, row by row (the reverse of <see cref="ReferenceForward"/>), and ∂c_{t−1} = ∂c ⊙ f.</summary>
    internal void ReferenceBackward(StepBuffers s, int t, int previousTime)
    {
        int h = Units;
        for (int b = 0; b < s.Batch; b++)
        {
            var dz = s.Row(s.ProjectionGradient, b, t, 4 * h);
            if (!s.IsActive(b, t)) { dz.Clear(); continue; }
            var g = s.Row(gates, b, t, 4 * h);
            var ac = s.Row(cellActivation, b, t, h);
            var cPrevious = s.State(1, b, previousTime);
            var dh = s.StateGradient(0, b);
            var dcNext = s.StateGradient(1, b);
            var dcPrevious = s.PreviousStateGradient(1, b);
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
        }
    }

    public override void WeightGradients(StepBuffers s, int firstTime, int times, bool accumulate)
    {
        int width = 4 * Units, first = firstTime * s.Batch, rows = times * s.Batch;
        var dp = s.ProjectionGradient.Span[(first * width)..];
        Gemm.Multiply(true, false, Units, width, rows, s.RecurrentInput.Span[(first * Units)..], Units, dp, width, RecurrentKernel.Gradient.Span, width, accumulate);
        if (Bias is not null) Kernels.ColumnSums(dp, rows, width, width, Bias.Gradient.Span, accumulate);
    }
}
