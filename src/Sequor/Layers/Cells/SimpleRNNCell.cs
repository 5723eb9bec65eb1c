namespace Sequor.Layers;

/// <summary>
/// Keras's <c>SimpleRNNCell</c>.
/// <code>
/// h_t = f(x̃_t·W + b + h̃_{t−1}·U)
/// ∂z_t = ∂h_t ⊙ f′(h_t)     ∂h̃_{t−1} = ∂z_t·Uᵀ     ∂U = Σ_t h̃_{t−1}ᵀ·∂z_t     ∂b = Σ ∂z_t
/// </code>
/// Weights: <c>kernel</c> [F, H], <c>recurrent_kernel</c> [H, H], <c>bias</c> [H]. Fast steps (tanh):
/// <see cref="SimpleRnnKernels"/>.
/// </summary>
internal sealed class SimpleRNNCell(int units, Activation activation, bool useBias)
    : RecurrentCell(units, activation, Activation.Sigmoid, useBias)
{
    public override int Gates => 1;

    public override bool PreviousStateGradientIsZero => true;

    public override void Forward(StepBuffers s, int t, int previousTime)
    {
        s.Product(s.RecurrentInput, t, Units, RecurrentKernel.Value.Span, Units, Units, s.StepProduct.Span, false);
        if (Fast)
            SimpleRnnKernels.TanhForward(s.Batch, Units, ref Rows.At(s.StepProduct, 0, 0, 1, Units), ref s.RowRef(s.Projection, 0, t, Units),
                ref s.StateRef(0, 0, t));
        else ReferenceForward(s, t);
    }

    /// <summary>h = f(P[b, t] + h̃·U) row by row, with the activation's own function.</summary>
    internal void ReferenceForward(StepBuffers s, int t)
    {
        for (int b = 0; b < s.Batch; b++)
        {
            var h = s.State(0, b, t);
            System.Numerics.Tensors.TensorPrimitives.Add(s.Row(s.Projection, b, t, Units), s.StepProduct.Span.Slice(b * Units, Units), h);
            Activation.Forward(h, h, Units);
        }
    }

    public override void Backward(StepBuffers s, int t, int previousTime)
    {
        if (Fast)
            SimpleRnnKernels.TanhBackward(s.Batch, Units, s.ActiveRows(t), ref s.RowRef(s.ProjectionGradient, 0, t, Units),
                ref s.StateRef(0, 0, t), ref s.StateGradientRef(0, 0));
        else ReferenceBackward(s, t);
        s.Product(s.ProjectionGradient, t, Units, s.TransposedRecurrentKernel.Span, Units, Units, s.RecurrentInputGradient.Span, false);
    }

    /// <summary>∂z = ∂h ⊙ f′(h) row by row (zero for masked rows).</summary>
    internal void ReferenceBackward(StepBuffers s, int t)
    {
        for (int b = 0; b < s.Batch; b++)
        {
            var dz = s.Row(s.ProjectionGradient, b, t, Units);
            if (!s.IsActive(b, t)) { dz.Clear(); continue; }
            Activation.Backward(s.State(0, b, t), s.StateGradient(0, b), dz, Units);
        }
    }

    public override void WeightGradients(StepBuffers s, int firstTime, int times, bool accumulate)
    {
        int first = firstTime * s.Batch * Units, rows = times * s.Batch;
        var dp = s.ProjectionGradient.Span[first..];
        Gemm.Multiply(true, false, Units, Units, rows, s.RecurrentInput.Span[first..], Units, dp, Units, RecurrentKernel.Gradient.Span, Units, accumulate);
        if (Bias is not null) Kernels.ColumnSums(dp, rows, Units, Units, Bias.Gradient.Span, accumulate);
    }
}
