using System.Numerics.Tensors;

namespace Sequor.Layers;

/// <summary>
/// Keras's <c>GRUCell</c>, gates in Keras order z, r, h (update, reset, candidate).
/// <code>
/// reset_after = true (Keras 3 and TF2 default; ≡ torch.nn.GRU):
///   p = x̃_t·W + b_x        q = h̃_{t−1}·U + b_h                      [B, 3H]
///   z = σ(p_z + q_z)   r = σ(p_r + q_r)   n = a(p_h + r ⊙ q_h)
/// reset_after = false (older Keras):
///   p = x̃_t·W + b
///   z = σ(p_z + h̃_{t−1}·U_z)   r = σ(p_r + h̃_{t−1}·U_r)   n = a(p_h + (r ⊙ h̃_{t−1})·U_h)
/// h_t = z ⊙ h_{t−1} + (1 − z) ⊙ n
/// backward: ∂z = ∂h_t ⊙ (h_{t−1} − n) ⊙ σ′   ∂n = ∂h_t ⊙ (1 − z) ⊙ a′   ∂h_{t−1} ⊇ ∂h_t ⊙ z
///   after:  ∂r = ∂n ⊙ q_h ⊙ σ′;  ∂q = [∂z, ∂r, ∂n ⊙ r];  ∂h̃ = ∂q·Uᵀ
///   before: ∂(r⊙h̃) = ∂n·U_hᵀ;  ∂r = ∂(r⊙h̃) ⊙ h̃ ⊙ σ′;  ∂h̃ = [∂z, ∂r]·U_zrᵀ + ∂(r⊙h̃) ⊙ r
/// </code>
/// Weights: <c>kernel</c> [F, 3H], <c>recurrent_kernel</c> [H, 3H], <c>bias</c> [2, 3H] (rows b_x, b_h) with
/// reset_after, else [3H]. Fast steps (reset_after): <see cref="GruKernels"/>.
/// </summary>
internal sealed class GRUCell(int units, Activation activation, Activation recurrentActivation, bool useBias, bool resetAfter)
    : RecurrentCell(units, activation, recurrentActivation, useBias)
{
    private readonly Tensor gates = new(0, 0, 0);              // [T, B, 3H]: z, r, n after their activations (reference step; the fast kernels keep them in P)
    private readonly Tensor recurrentPart = new(0, 0, 0);      // after: q = h̃·U + b_h [T, B, 3H] (fast kernels: q_h only); before: r ⊙ h̃ [T, B, H]
    private readonly Tensor recurrentGradient = new(0, 0, 0);  // after: ∂q [T, B, 3H]
    private readonly Tensor resetGradient = new(0, 0);         // before: ∂(r ⊙ h̃) of one step [B, H]

    public override int Gates => 3;

    private protected override int[] BiasShape => resetAfter ? [2, 3 * Units] : [3 * Units];

    public override ReadOnlySpan<Real> InputBias => Bias is null ? default : Bias.Value.Span[..(3 * Units)];

    private bool FastResetAfter => resetAfter && Fast;

    public override void Resize(StepBuffers s)
    {
        gates.Reshape(s.Timesteps, s.Batch, FastResetAfter ? 0 : 3 * Units);  // the fast kernels keep the gates in P
        recurrentPart.Reshape(s.Timesteps, s.Batch, resetAfter ? 3 * Units : Units);
        recurrentGradient.Reshape(s.Timesteps, s.Batch, resetAfter ? 3 * Units : 0);
        resetGradient.Reshape(s.Batch, Units);
    }

    public override void Forward(StepBuffers s, int t, int previousTime)
    {
        int h = Units;
        if (!resetAfter)
        {
            ReferenceForwardResetBefore(s, t, previousTime);
            return;
        }
        s.Product(s.RecurrentInput, t, h, RecurrentKernel.Value.Span, 3 * h, 3 * h, s.StepProduct.Span, false);
        if (FastResetAfter)
            GruKernels.ResetAfterForward(s.Batch, h, ref Rows.At(s.StepProduct, 0, 0, 1, 3 * h), Bias is null ? default : Bias.Value.Span[(3 * h)..],
                ref s.RowRef(recurrentPart, 0, t, 3 * h), ref s.RowRef(s.Projection, 0, t, 3 * h), ref s.RowRef(s.Projection, 0, t, 3 * h),
                ref s.StateRef(0, 0, previousTime), s.StateStride(previousTime), ref s.StateRef(0, 0, t));
        else ReferenceForwardResetAfter(s, t, previousTime);
    }

    /// <summary>reset_after gate math, row by row (q = h̃·U is in the step product).</summary>
    internal void ReferenceForwardResetAfter(StepBuffers s, int t, int previousTime)
    {
        int h = Units;
        for (int b = 0; b < s.Batch; b++)
        {
            var q = s.Row(recurrentPart, b, t, 3 * h);
            s.StepProduct.Span.Slice(b * 3 * h, 3 * h).CopyTo(q);
            if (Bias is not null) TensorPrimitives.Add(q, Bias.Value.Span.Slice(3 * h, 3 * h), q);
            var p = s.Row(s.Projection, b, t, 3 * h);
            var g = s.Row(gates, b, t, 3 * h);
            TensorPrimitives.Add(p[..(2 * h)], q[..(2 * h)], g[..(2 * h)]);
            RecurrentActivation.Forward(g[..(2 * h)], g[..(2 * h)], h);
            var r = g.Slice(h, h);
            var n = g.Slice(2 * h, h);
            TensorPrimitives.Multiply(r, q.Slice(2 * h, h), n);
            TensorPrimitives.Add(n, p.Slice(2 * h, h), n);
            Activation.Forward(n, n, h);
            Mix(g[..h], n, s.State(0, b, previousTime), s.State(0, b, t));
        }
    }

    /// <summary>reset_before (older Keras): two products per step, the second of r ⊙ h̃.</summary>
    internal void ReferenceForwardResetBefore(StepBuffers s, int t, int previousTime)
    {
        int h = Units;
        var u = RecurrentKernel.Value.Span;
        var step = s.StepProduct.Span;
        // [z, r] pre-activations: h̃·U[:, :2H], into the first 2H columns of each step row
        s.Product(s.RecurrentInput, t, h, u, 3 * h, 2 * h, step[..(s.Batch * 2 * h)], false);
        for (int b = 0; b < s.Batch; b++)
        {
            var g = s.Row(gates, b, t, 3 * h);
            TensorPrimitives.Add(s.Row(s.Projection, b, t, 3 * h)[..(2 * h)], step.Slice(b * 2 * h, 2 * h), g[..(2 * h)]);
            RecurrentActivation.Forward(g[..(2 * h)], g[..(2 * h)], h);
            TensorPrimitives.Multiply(g.Slice(h, h), s.Row(s.RecurrentInput, b, t, h), s.Row(recurrentPart, b, t, h));
        }
        // (r ⊙ h̃)·U_h
        s.Product(recurrentPart, t, h, u[(2 * h)..], 3 * h, h, step[..(s.Batch * h)], false);
        for (int b = 0; b < s.Batch; b++)
        {
            var g = s.Row(gates, b, t, 3 * h);
            var n = g.Slice(2 * h, h);
            TensorPrimitives.Add(s.Row(s.Projection, b, t, 3 * h).Slice(2 * h, h), step.Slice(b * h, h), n);
            Activation.Forward(n, n, h);
            Mix(g[..h], n, s.State(0, b, previousTime), s.State(0, b, t));
        }
    }

    // h_t = z ⊙ h_{t−1} + (1 − z) ⊙ n
    private static void Mix(ReadOnlySpan<Real> z, ReadOnlySpan<Real> n, ReadOnlySpan<Real> previous, Span<Real> next)
    {
        for (int j = 0; j < z.Length; j++) next[j] = z[j] * previous[j] + (1 - z[j]) * n[j];
    }

    public override void Backward(StepBuffers s, int t, int previousTime)
    {
        int h = Units;
        var u = RecurrentKernel.Value.Span;
        if (FastResetAfter)
        {
            GruKernels.ResetAfterBackward(s.Batch, h, s.ActiveRows(t), ref s.RowRef(s.ProjectionGradient, 0, t, 3 * h),
                ref s.RowRef(recurrentGradient, 0, t, 3 * h), ref s.RowRef(s.Projection, 0, t, 3 * h), ref s.RowRef(recurrentPart, 0, t, 3 * h),
                ref s.StateRef(0, 0, previousTime), s.StateStride(previousTime), ref s.StateGradientRef(0, 0), ref s.PreviousStateGradientRef(0, 0));
            s.Product(recurrentGradient, t, 3 * h, s.TransposedRecurrentKernel.Span, h, h, s.RecurrentInputGradient.Span, false);
            return;
        }
        ReferenceBackward(s, t, previousTime);
        if (resetAfter)
        {
            s.Product(recurrentGradient, t, 3 * h, u, 3 * h, h, s.RecurrentInputGradient.Span, false, transposeM: true);
            return;
        }
        // ∂(r ⊙ h̃) = ∂n·U_hᵀ (rows of inactive steps are zero, as their ∂n is)
        var dReset = resetGradient.Span;
        Gemm.Multiply(false, true, s.Batch, h, h, s.ProjectionGradient.Span.Slice(t * s.Batch * 3 * h + 2 * h), 3 * h,
            u[(2 * h)..], 3 * h, dReset, h, false);
        for (int b = 0; b < s.Batch; b++)
        {
            if (!s.IsActive(b, t)) continue;
            var dp = s.Row(s.ProjectionGradient, b, t, 3 * h);
            var g = s.Row(gates, b, t, 3 * h);
            var hIn = s.Row(s.RecurrentInput, b, t, h);
            var dhIn = s.RecurrentInputGradient.Span.Slice(b * h, h);
            for (int j = 0; j < h; j++)
            {
                Real r = g[h + j], d = dReset[b * h + j];
                dp[h + j] = d * hIn[j] * RecurrentActivation.Derivative(r);
                dhIn[j] = d * r;
            }
        }
        // ∂h̃ += [∂z, ∂r]·U_zrᵀ
        s.Product(s.ProjectionGradient, t, 3 * h, u, 3 * h, h, s.RecurrentInputGradient.Span, true, transposeM: true, columns: 2 * h);
    }

    /// <summary>∂z, ∂n (and with reset_after ∂r and ∂q) of one step, row by row, and the direct ∂h_{t−1} = ∂h ⊙ z.</summary>
    internal void ReferenceBackward(StepBuffers s, int t, int previousTime)
    {
        int h = Units;
        for (int b = 0; b < s.Batch; b++)
        {
            var dp = s.Row(s.ProjectionGradient, b, t, 3 * h);
            var dq = resetAfter ? s.Row(recurrentGradient, b, t, 3 * h) : default;
            if (!s.IsActive(b, t))
            {
                dp.Clear();
                dq.Clear();
                continue;
            }
            var g = s.Row(gates, b, t, 3 * h);
            var previous = s.State(0, b, previousTime);
            var dh = s.StateGradient(0, b);
            var dPrevious = s.PreviousStateGradient(0, b);
            for (int j = 0; j < h; j++)
            {
                Real z = g[j], n = g[2 * h + j];
                dp[j] = dh[j] * (previous[j] - n) * RecurrentActivation.Derivative(z);
                dp[2 * h + j] = dh[j] * (1 - z) * Activation.Derivative(n);
                dPrevious[j] = dh[j] * z;
            }
            if (!resetAfter) continue;
            var q = s.Row(recurrentPart, b, t, 3 * h);
            for (int j = 0; j < h; j++)
            {
                Real r = g[h + j];
                dp[h + j] = dp[2 * h + j] * q[2 * h + j] * RecurrentActivation.Derivative(r);
                dq[j] = dp[j];
                dq[h + j] = dp[h + j];
                dq[2 * h + j] = dp[2 * h + j] * r;
            }
        }
    }

    public override void WeightGradients(StepBuffers s, int firstTime, int times, bool accumulate)
    {
        int h = Units, first = firstTime * s.Batch, rows = times * s.Batch;
        var dp = s.ProjectionGradient.Span[(first * 3 * h)..];
        var hIn = s.RecurrentInput.Span[(first * h)..];
        var du = RecurrentKernel.Gradient.Span;
        if (resetAfter)
        {
            var dq = recurrentGradient.Span[(first * 3 * h)..];
            Gemm.Multiply(true, false, h, 3 * h, rows, hIn, h, dq, 3 * h, du, 3 * h, accumulate);
            if (Bias is null) return;
            Kernels.ColumnSums(dp, rows, 3 * h, 3 * h, Bias.Gradient.Span[..(3 * h)], accumulate);
            Kernels.ColumnSums(dq, rows, 3 * h, 3 * h, Bias.Gradient.Span[(3 * h)..], accumulate);
            return;
        }
        Gemm.Multiply(true, false, h, 2 * h, rows, hIn, h, dp, 3 * h, du, 3 * h, accumulate);
        Gemm.Multiply(true, false, h, h, rows, recurrentPart.Span[(first * h)..], h, dp[(2 * h)..], 3 * h, du[(2 * h)..], 3 * h, accumulate);
        if (Bias is not null) Kernels.ColumnSums(dp, rows, 3 * h, 3 * h, Bias.Gradient.Span, accumulate);
    }
}
