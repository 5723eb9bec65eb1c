using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Sequor.Layers;

/// <summary>
/// Keras <c>GRU(units, reset_after=True)</c>, gates in Keras order z, r, h (update, reset, candidate).
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
/// Weights: <c>kernel</c> [F, 3H] glorot_uniform, <c>recurrent_kernel</c> [H, 3H] orthogonal, <c>bias</c> zeros,
/// [2, 3H] (rows b_x, b_h) with reset_after, else [3H].
/// </summary>
public sealed class GRU : Recurrent
{
    private Weight recurrentKernel = null!;
    private Weight? bias;
    private readonly Tensor gates = new(0, 0, 0);          // [T, B, 3H]: z, r, n after their activations
    private readonly Tensor recurrentPart = new(0, 0, 0);  // after: q = h̃·U + b_h [T, B, 3H]; before: r ⊙ h̃ [T, B, H]
    private readonly Tensor recurrentGradient = new(0, 0, 0);  // after: ∂q [T, B, 3H]
    private readonly Tensor resetGradient = new(0, 0);    // before: ∂(r ⊙ h̃) of one step [B, H]

    public GRU(int units, Activation? activation = null, Activation? recurrentActivation = null, bool useBias = true,
        Real dropout = 0, Real recurrentDropout = 0, bool returnSequences = false, bool goBackwards = false,
        bool resetAfter = true, string? name = null)
        : base(units, activation, recurrentActivation, useBias, dropout, recurrentDropout, returnSequences, goBackwards, name, stateCount: 1)
    {
        ResetAfter = resetAfter;
    }

    public bool ResetAfter { get; }

    public override string ClassName => "GRU";

    private protected override int Gates => 3;

    private protected override void BuildCell(RandomGenerator random)
    {
        recurrentKernel = AddWeight("recurrent_kernel", [Units, 3 * Units], RecurrentInitializer, random);
        if (UseBias) bias = AddWeight("bias", ResetAfter ? [2, 3 * Units] : [3 * Units], BiasInitializer, random);
    }

    private protected override void ResizeCell()
    {
        gates.Reshape(Timesteps, Batch, 3 * Units);
        recurrentPart.Reshape(Timesteps, Batch, ResetAfter ? 3 * Units : Units);
        recurrentGradient.Reshape(Timesteps, Batch, ResetAfter ? 3 * Units : 0);
        resetGradient.Reshape(Batch, Units);
    }

    private protected override ReadOnlySpan<Real> RecurrentKernelValue => recurrentKernel.Value.Span;

    private protected override ReadOnlySpan<Real> InputBias => bias is null ? default : bias.Value.Span[..(3 * Units)];

    private protected override void StepForward(int t, int previousTime)
    {
        if (ResetAfter) StepForwardResetAfter(t, previousTime);
        else StepForwardResetBefore(t, previousTime);
    }

    private void StepForwardResetAfter(int t, int previousTime)
    {
        int h = Units;
        var u = recurrentKernel.Value.Span;
        StepProduct(RecurrentInput, t, h, u, 3 * h, 3 * h, StepBuffer.Span, false);
        if (FusedTanhSigmoid)
        {
            FusedStepForward(t, previousTime);
            return;
        }
        for (int b = 0; b < Batch; b++)
        {
            var q = Row(recurrentPart, b, t, 3 * h);
            StepBuffer.Span.Slice(b * 3 * h, 3 * h).CopyTo(q);
            if (bias is not null) TensorPrimitives.Add(q, bias.Value.Span.Slice(3 * h, 3 * h), q);
            var p = Row(Projection, b, t, 3 * h);
            var g = Row(gates, b, t, 3 * h);
            TensorPrimitives.Add(p[..(2 * h)], q[..(2 * h)], g[..(2 * h)]);
            RecurrentActivation.Forward(g[..(2 * h)], g[..(2 * h)], h);
            var r = g.Slice(h, h);
            var n = g.Slice(2 * h, h);
            TensorPrimitives.Multiply(r, q.Slice(2 * h, h), n);
            TensorPrimitives.Add(n, p.Slice(2 * h, h), n);
            Activation.Forward(n, n, h);
            Mix(g[..h], n, State(0, b, previousTime), State(0, b, t));
        }
    }

    /// <summary>
    /// reset_after gate math for all rows, one vector of units at a time: q = StepBuffer[b] + b_h into
    /// recurrentPart[b, t]; z, r = σ(p + q), n = tanh(p_h + r ⊙ q_h) into gates[b, t]; h = z ⊙ h_prev + (1 − z) ⊙ n.
    /// Shapes: StepBuffer [B, 3H], P, recurrentPart and gates [T, B, 3H], h [T, B, H].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FusedStepForward(int t, int previousTime)
    {
        int h = Units, batch = Batch, width = Vector256<Real>.Count;
        bool hasBias = bias is not null;
        ref Real bh = ref RowRef(hasBias ? bias!.Value : StepBuffer, hasBias ? 1 : 0, 0, 1, 3 * h);
        for (int b = 0; b < Batch; b++)
        {
            ref Real step = ref RowRef(StepBuffer, b, 0, 1, 3 * h);
            ref Real q = ref RowRef(recurrentPart, b, t, batch, 3 * h);
            ref Real p = ref RowRef(Projection, b, t, batch, 3 * h);
            ref Real g = ref RowRef(gates, b, t, batch, 3 * h);
            ref Real hPrevious = ref StateRef(0, b, previousTime);
            ref Real hOut = ref StateRef(0, b, t);
            for (int j = 0; j < h; j += width)
            {
                var qz = Load(ref step, j);
                var qr = Load(ref step, h + j);
                var qh = Load(ref step, 2 * h + j);
                if (hasBias)
                {
                    qz += Load(ref bh, j);
                    qr += Load(ref bh, h + j);
                    qh += Load(ref bh, 2 * h + j);
                }
                Store(qz, ref q, j);
                Store(qr, ref q, h + j);
                Store(qh, ref q, 2 * h + j);
                var z = VectorMath.Sigmoid(Load(ref p, j) + qz);
                var r = VectorMath.Sigmoid(Load(ref p, h + j) + qr);
                var n = VectorMath.Tanh(Load(ref p, 2 * h + j) + r * qh);
                Store(z, ref g, j);
                Store(r, ref g, h + j);
                Store(n, ref g, 2 * h + j);
                Store(z * Load(ref hPrevious, j) + (Vector256<Real>.One - z) * n, ref hOut, j);
            }
        }
    }

    /// <summary>
    /// The reverse of <see cref="FusedStepForward"/> for all rows: ∂P[b, t] = [∂z, ∂r, ∂n] and ∂q[b, t] = [∂z, ∂r, ∂n ⊙ r]
    /// (zero for masked rows), ∂h_prev (direct part) = ∂h ⊙ z into the previous-state gradient.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FusedStepBackward(int t, int previousTime)
    {
        int h = Units, batch = Batch, width = Vector256<Real>.Count;
        var one = Vector256<Real>.One;
        for (int b = 0; b < Batch; b++)
        {
            if (!IsActive(b, t))
            {
                Row(ProjectionGradient, b, t, 3 * h).Clear();
                Row(recurrentGradient, b, t, 3 * h).Clear();
                continue;
            }
            ref Real dp = ref RowRef(ProjectionGradient, b, t, batch, 3 * h);
            ref Real dq = ref RowRef(recurrentGradient, b, t, batch, 3 * h);
            ref Real g = ref RowRef(gates, b, t, batch, 3 * h);
            ref Real q = ref RowRef(recurrentPart, b, t, batch, 3 * h);
            ref Real hPrevious = ref StateRef(0, b, previousTime);
            ref Real dh = ref StateGradientRef(0, b);
            ref Real dPrevious = ref PreviousStateGradientRef(0, b);
            for (int j = 0; j < h; j += width)
            {
                var z = Load(ref g, j);
                var r = Load(ref g, h + j);
                var n = Load(ref g, 2 * h + j);
                var d = Load(ref dh, j);
                var dz = d * (Load(ref hPrevious, j) - n) * z * (one - z);
                var dn = d * (one - z) * (one - n * n);
                var dr = dn * Load(ref q, 2 * h + j) * r * (one - r);
                Store(dz, ref dp, j);
                Store(dr, ref dp, h + j);
                Store(dn, ref dp, 2 * h + j);
                Store(dz, ref dq, j);
                Store(dr, ref dq, h + j);
                Store(dn * r, ref dq, 2 * h + j);
                Store(d * z, ref dPrevious, j);
            }
        }
        StepProduct(recurrentGradient, t, 3 * h, TransposedRecurrentKernel.Span, h, h, RecurrentInputGradient.Span, false);
    }

    private void StepForwardResetBefore(int t, int previousTime)
    {
        int h = Units;
        var u = recurrentKernel.Value.Span;
        var step = StepBuffer.Span;
        // [z, r] pre-activations: h̃·U[:, :2H], into the first 2H columns of each step row
        StepProduct(RecurrentInput, t, h, u, 3 * h, 2 * h, step[..(Batch * 2 * h)], false);
        for (int b = 0; b < Batch; b++)
        {
            var g = Row(gates, b, t, 3 * h);
            TensorPrimitives.Add(Row(Projection, b, t, 3 * h)[..(2 * h)], step.Slice(b * 2 * h, 2 * h), g[..(2 * h)]);
            RecurrentActivation.Forward(g[..(2 * h)], g[..(2 * h)], h);
            TensorPrimitives.Multiply(g.Slice(h, h), Row(RecurrentInput, b, t, h), Row(recurrentPart, b, t, h));
        }
        // (r ⊙ h̃)·U_h
        StepProduct(recurrentPart, t, h, u[(2 * h)..], 3 * h, h, step[..(Batch * h)], false);
        for (int b = 0; b < Batch; b++)
        {
            var g = Row(gates, b, t, 3 * h);
            var n = g.Slice(2 * h, h);
            TensorPrimitives.Add(Row(Projection, b, t, 3 * h).Slice(2 * h, h), step.Slice(b * h, h), n);
            Activation.Forward(n, n, h);
            Mix(g[..h], n, State(0, b, previousTime), State(0, b, t));
        }
    }

    // h_t = z ⊙ h_{t−1} + (1 − z) ⊙ n
    private static void Mix(ReadOnlySpan<Real> z, ReadOnlySpan<Real> n, ReadOnlySpan<Real> previous, Span<Real> next)
    {
        for (int j = 0; j < z.Length; j++) next[j] = z[j] * previous[j] + (1 - z[j]) * n[j];
    }

    private protected override void StepBackward(int t, int previousTime)
    {
        if (ResetAfter && FusedTanhSigmoid)
        {
            FusedStepBackward(t, previousTime);
            return;
        }
        int h = Units;
        var u = recurrentKernel.Value.Span;
        for (int b = 0; b < Batch; b++)
        {
            var dp = Row(ProjectionGradient, b, t, 3 * h);
            var dq = ResetAfter ? Row(recurrentGradient, b, t, 3 * h) : default;
            if (!IsActive(b, t))
            {
                dp.Clear();
                dq.Clear();
                continue;
            }
            var g = Row(gates, b, t, 3 * h);
            var previous = State(0, b, previousTime);
            var dh = StateGradient(0, b);
            var dPrevious = PreviousStateGradient(0, b);
            for (int j = 0; j < h; j++)
            {
                Real z = g[j], n = g[2 * h + j];
                dp[j] = dh[j] * (previous[j] - n) * RecurrentActivation.Derivative(z);
                dp[2 * h + j] = dh[j] * (1 - z) * Activation.Derivative(n);
                dPrevious[j] = dh[j] * z;
            }
            if (!ResetAfter) continue;
            var q = Row(recurrentPart, b, t, 3 * h);
            for (int j = 0; j < h; j++)
            {
                Real r = g[h + j];
                dp[h + j] = dp[2 * h + j] * q[2 * h + j] * RecurrentActivation.Derivative(r);
                dq[j] = dp[j];
                dq[h + j] = dp[h + j];
                dq[2 * h + j] = dp[2 * h + j] * r;
            }
        }

        if (ResetAfter)
        {
            StepProduct(recurrentGradient, t, 3 * h, u, 3 * h, h, RecurrentInputGradient.Span, false, transposeM: true);
            return;
        }

        // ∂(r ⊙ h̃) = ∂n·U_hᵀ (rows of inactive steps are zero, as their ∂n is)
        var dReset = resetGradient.Span;
        Gemm.Multiply(false, true, Batch, h, h, ProjectionGradient.Span.Slice(t * Batch * 3 * h + 2 * h), 3 * h,
            u[(2 * h)..], 3 * h, dReset, h, false);
        for (int b = 0; b < Batch; b++)
        {
            if (!IsActive(b, t)) continue;
            var dp = Row(ProjectionGradient, b, t, 3 * h);
            var g = Row(gates, b, t, 3 * h);
            var hIn = Row(RecurrentInput, b, t, h);
            var dhIn = RecurrentInputGradient.Span.Slice(b * h, h);
            for (int j = 0; j < h; j++)
            {
                Real r = g[h + j], d = dReset[b * h + j];
                dp[h + j] = d * hIn[j] * RecurrentActivation.Derivative(r);
                dhIn[j] = d * r;
            }
        }
        // ∂h̃ += [∂z, ∂r]·U_zrᵀ
        StepProduct(ProjectionGradient, t, 3 * h, u, 3 * h, h, RecurrentInputGradient.Span, true, transposeM: true, columns: 2 * h);
    }

    private protected override void RecurrentWeightGradients()
    {
        int h = Units, rows = Batch * Timesteps;
        var dp = ProjectionGradient.Span;
        var du = recurrentKernel.Gradient.Span;
        if (ResetAfter)
        {
            var dq = recurrentGradient.Span;
            Gemm.Multiply(true, false, h, 3 * h, rows, RecurrentInput.Span, h, dq, 3 * h, du, 3 * h, false);
            if (bias is null) return;
            ColumnSums(dp, rows, 3 * h, 3 * h, bias.Gradient.Span[..(3 * h)]);
            ColumnSums(dq, rows, 3 * h, 3 * h, bias.Gradient.Span[(3 * h)..]);
            return;
        }
        Gemm.Multiply(true, false, h, 2 * h, rows, RecurrentInput.Span, h, dp, 3 * h, du, 3 * h, false);
        Gemm.Multiply(true, false, h, h, rows, recurrentPart.Span, h, dp[(2 * h)..], 3 * h, du[(2 * h)..], 3 * h, false);
        if (bias is not null) ColumnSums(dp, rows, 3 * h, 3 * h, bias.Gradient.Span);
    }

    internal override Layer CloneConfiguration() => CloneWith(GoBackwards);

    internal override Recurrent CloneWith(bool goBackwards) =>
        new GRU(Units, Activation, RecurrentActivation, UseBias, Dropout, RecurrentDropout, ReturnSequences, goBackwards, ResetAfter, Name)
        {
            KernelInitializer = KernelInitializer, RecurrentInitializer = RecurrentInitializer, BiasInitializer = BiasInitializer,
        };
}
