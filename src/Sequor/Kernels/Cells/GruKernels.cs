using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static Sequor.Rows;

namespace Sequor;

/// <summary>
/// The fast steps of <see cref="Layers.GRUCell"/> with reset_after (tanh, sigmoid, units a multiple of the vector
/// width), paired with its plain per-row step in GRUCell that tests hold them to. One step's block of the time-major
/// buffers: row b at b·width; the previous state has stride 0 at the first step. Gates in Keras order z, r, h.
/// </summary>
internal static class GruKernels
{
    /// <summary>
    /// q = step[b] + b_h; z, r = σ(p + q), n = tanh(p_h + r ⊙ q_h) into g[b]; h = z ⊙ h_prev + (1 − z) ⊙ n. Of q only
    /// q_h (its third block, in q[b]) is stored: the backward step reads nothing else of it. g may be P itself (each
    /// column of P is read before its gate is written), which keeps a step's working set in cache.
    /// step [B, 3H] holds h̃·U; <paramref name="recurrentBias"/> is b_h (3H values) or empty.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ResetAfterForward(int batch, int h, ref Real step0, ReadOnlySpan<Real> recurrentBias, ref Real q0, ref Real p0, ref Real g0,
        ref Real hPrevious0, int previousStride, ref Real hOut0)
    {
        if (Kernels.Wide && h % Vector512<Real>.Count == 0)
        {
            WideResetAfterForward(batch, h, ref step0, recurrentBias, ref q0, ref p0, ref g0, ref hPrevious0, previousStride, ref hOut0);
            return;
        }
        int width = Vector256<Real>.Count;
        bool hasBias = !recurrentBias.IsEmpty;
        ref Real bh = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(recurrentBias);
        for (int b = 0; b < batch; b++)
        {
            ref Real step = ref Unsafe.Add(ref step0, b * 3 * h);
            ref Real q = ref Unsafe.Add(ref q0, b * 3 * h);
            ref Real p = ref Unsafe.Add(ref p0, b * 3 * h);
            ref Real g = ref Unsafe.Add(ref g0, b * 3 * h);
            ref Real hPrevious = ref Unsafe.Add(ref hPrevious0, b * previousStride);
            ref Real hOut = ref Unsafe.Add(ref hOut0, b * h);
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
    /// The reverse of <see cref="ResetAfterForward"/> before the product ∂h̃ = ∂q·Uᵀ: ∂P[b] = [∂z, ∂r, ∂n] and
    /// ∂q[b] = [∂z, ∂r, ∂n ⊙ r] (zero for masked rows), and the direct part of ∂h_prev = ∂h ⊙ z.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ResetAfterBackward(int batch, int h, StepMask mask, ref Real dp0, ref Real dq0, ref Real g0, ref Real q0,
        ref Real hPrevious0, int previousStride, ref Real dh0, ref Real dPrevious0)
    {
        if (Kernels.Wide && h % Vector512<Real>.Count == 0)
        {
            WideResetAfterBackward(batch, h, mask, ref dp0, ref dq0, ref g0, ref q0, ref hPrevious0, previousStride, ref dh0, ref dPrevious0);
            return;
        }
        int width = Vector256<Real>.Count;
        var one = Vector256<Real>.One;
        for (int b = 0; b < batch; b++)
        {
            ref Real dp = ref Unsafe.Add(ref dp0, b * 3 * h);
            ref Real dq = ref Unsafe.Add(ref dq0, b * 3 * h);
            if (!mask.IsActive(b))
            {
                for (int j = 0; j < 3 * h; j += width)
                {
                    Store(Vector256<Real>.Zero, ref dp, j);
                    Store(Vector256<Real>.Zero, ref dq, j);
                }
                continue;
            }
            ref Real g = ref Unsafe.Add(ref g0, b * 3 * h);
            ref Real q = ref Unsafe.Add(ref q0, b * 3 * h);
            ref Real hPrevious = ref Unsafe.Add(ref hPrevious0, b * previousStride);
            ref Real dh = ref Unsafe.Add(ref dh0, b * h);
            ref Real dPrevious = ref Unsafe.Add(ref dPrevious0, b * h);
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
    }

    // The two steps above in 512-bit registers (units a multiple of 16), line for line: the same bits (WideKernelTests).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WideResetAfterForward(int batch, int h, ref Real step0, ReadOnlySpan<Real> recurrentBias, ref Real q0, ref Real p0, ref Real g0,
        ref Real hPrevious0, int previousStride, ref Real hOut0)
    {
        int width = Vector512<Real>.Count;
        bool hasBias = !recurrentBias.IsEmpty;
        ref Real bh = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(recurrentBias);
        for (int b = 0; b < batch; b++)
        {
            ref Real step = ref Unsafe.Add(ref step0, b * 3 * h);
            ref Real q = ref Unsafe.Add(ref q0, b * 3 * h);
            ref Real p = ref Unsafe.Add(ref p0, b * 3 * h);
            ref Real g = ref Unsafe.Add(ref g0, b * 3 * h);
            ref Real hPrevious = ref Unsafe.Add(ref hPrevious0, b * previousStride);
            ref Real hOut = ref Unsafe.Add(ref hOut0, b * h);
            for (int j = 0; j < h; j += width)
            {
                var qz = LoadWide(ref step, j);
                var qr = LoadWide(ref step, h + j);
                var qh = LoadWide(ref step, 2 * h + j);
                if (hasBias)
                {
                    qz += LoadWide(ref bh, j);
                    qr += LoadWide(ref bh, h + j);
                    qh += LoadWide(ref bh, 2 * h + j);
                }
                StoreWide(qh, ref q, 2 * h + j);
                var z = VectorMath.Sigmoid(LoadWide(ref p, j) + qz);
                var r = VectorMath.Sigmoid(LoadWide(ref p, h + j) + qr);
                var n = VectorMath.Tanh(LoadWide(ref p, 2 * h + j) + r * qh);
                StoreWide(z, ref g, j);
                StoreWide(r, ref g, h + j);
                StoreWide(n, ref g, 2 * h + j);
                StoreWide(z * LoadWide(ref hPrevious, j) + (Vector512<Real>.One - z) * n, ref hOut, j);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WideResetAfterBackward(int batch, int h, StepMask mask, ref Real dp0, ref Real dq0, ref Real g0, ref Real q0,
        ref Real hPrevious0, int previousStride, ref Real dh0, ref Real dPrevious0)
    {
        int width = Vector512<Real>.Count;
        var one = Vector512<Real>.One;
        for (int b = 0; b < batch; b++)
        {
            ref Real dp = ref Unsafe.Add(ref dp0, b * 3 * h);
            ref Real dq = ref Unsafe.Add(ref dq0, b * 3 * h);
            if (!mask.IsActive(b))
            {
                for (int j = 0; j < 3 * h; j += width)
                {
                    StoreWide(Vector512<Real>.Zero, ref dp, j);
                    StoreWide(Vector512<Real>.Zero, ref dq, j);
                }
                continue;
            }
            ref Real g = ref Unsafe.Add(ref g0, b * 3 * h);
            ref Real q = ref Unsafe.Add(ref q0, b * 3 * h);
            ref Real hPrevious = ref Unsafe.Add(ref hPrevious0, b * previousStride);
            ref Real dh = ref Unsafe.Add(ref dh0, b * h);
            ref Real dPrevious = ref Unsafe.Add(ref dPrevious0, b * h);
            for (int j = 0; j < h; j += width)
            {
                var z = LoadWide(ref g, j);
                var r = LoadWide(ref g, h + j);
                var n = LoadWide(ref g, 2 * h + j);
                var d = LoadWide(ref dh, j);
                var dz = d * (LoadWide(ref hPrevious, j) - n) * z * (one - z);
                var dn = d * (one - z) * (one - n * n);
                var dr = dn * LoadWide(ref q, 2 * h + j) * r * (one - r);
                StoreWide(dz, ref dp, j);
                StoreWide(dr, ref dp, h + j);
                StoreWide(dn, ref dp, 2 * h + j);
                StoreWide(dz, ref dq, j);
                StoreWide(dr, ref dq, h + j);
                StoreWide(dn * r, ref dq, 2 * h + j);
                StoreWide(d * z, ref dPrevious, j);
            }
        }
    }
}
