using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static Sequor.Rows;

namespace Sequor;

/// <summary>
/// The fast steps of <see cref="Layers.LSTMCell"/> (tanh activation, sigmoid recurrent activation, units a multiple of
/// the vector width), paired with its plain per-row step <see cref="Layers.LSTMCell.ReferenceForward"/> and
/// <see cref="Layers.LSTMCell.ReferenceBackward"/> that tests hold them to. They work on one step's block of the
/// time-major buffers: row b of a block at b·width; the previous cell state has stride 0 at the first step (the
/// single zero row). Gates in Keras order i, f, c, o; P holds z on entry and the activated gates on exit.
/// </summary>
internal static class LstmKernels
{
    /// <summary>
    /// The gate math of one step for all rows, one vector of units at a time: z = step[b] + P[b]; i, f, o = σ(z_i, z_f,
    /// z_o), g = tanh(z_c) over P[b] (in place: the gates need no buffer of their own, which keeps a shard's working set
    /// in L2); c = f ⊙ c_prev + i ⊙ g; a(c) and h = o ⊙ a(c). step [B, 4H] holds h̃·U.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(int batch, int h, ref Real step0, ref Real p0, ref Real cPrevious0, int previousStride,
        ref Real c0, ref Real ac0, ref Real hOut0)
    {
        if (Kernels.Wide && h % Vector512<Real>.Count == 0)
        {
            WideForward(batch, h, ref step0, ref p0, ref cPrevious0, previousStride, ref c0, ref ac0, ref hOut0);
            return;
        }
        int width = Vector256<Real>.Count;
        for (int b = 0; b < batch; b++)
        {
            ref Real z = ref Unsafe.Add(ref step0, b * 4 * h);
            ref Real p = ref Unsafe.Add(ref p0, b * 4 * h);
            ref Real cPrevious = ref Unsafe.Add(ref cPrevious0, b * previousStride);
            ref Real c = ref Unsafe.Add(ref c0, b * h);
            ref Real hOut = ref Unsafe.Add(ref hOut0, b * h);
            ref Real ac = ref Unsafe.Add(ref ac0, b * h);
            for (int j = 0; j < h; j += width)
            {
                var i = VectorMath.Sigmoid(Load(ref z, j) + Load(ref p, j));
                var f = VectorMath.Sigmoid(Load(ref z, h + j) + Load(ref p, h + j));
                var candidate = VectorMath.Tanh(Load(ref z, 2 * h + j) + Load(ref p, 2 * h + j));
                var o = VectorMath.Sigmoid(Load(ref z, 3 * h + j) + Load(ref p, 3 * h + j));
                Store(i, ref p, j);
                Store(f, ref p, h + j);
                Store(candidate, ref p, 2 * h + j);
                Store(o, ref p, 3 * h + j);
                var cell = f * Load(ref cPrevious, j) + i * candidate;
                Store(cell, ref c, j);
                var a = VectorMath.Tanh(cell);
                Store(a, ref ac, j);
                Store(o * a, ref hOut, j);
            }
        }
    }

    // Forward in 512-bit registers (units a multiple of 16: LSTM(64), LSTM(128)): per lane the 256-bit loop's operations,
    // line for line, so the same bits (WideKernelTests).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WideForward(int batch, int h, ref Real step0, ref Real p0, ref Real cPrevious0, int previousStride,
        ref Real c0, ref Real ac0, ref Real hOut0)
    {
        int width = Vector512<Real>.Count;
        for (int b = 0; b < batch; b++)
        {
            ref Real z = ref Unsafe.Add(ref step0, b * 4 * h);
            ref Real p = ref Unsafe.Add(ref p0, b * 4 * h);
            ref Real cPrevious = ref Unsafe.Add(ref cPrevious0, b * previousStride);
            ref Real c = ref Unsafe.Add(ref c0, b * h);
            ref Real hOut = ref Unsafe.Add(ref hOut0, b * h);
            ref Real ac = ref Unsafe.Add(ref ac0, b * h);
            for (int j = 0; j < h; j += width)
            {
                var i = VectorMath.Sigmoid(LoadWide(ref z, j) + LoadWide(ref p, j));
                var f = VectorMath.Sigmoid(LoadWide(ref z, h + j) + LoadWide(ref p, h + j));
                var candidate = VectorMath.Tanh(LoadWide(ref z, 2 * h + j) + LoadWide(ref p, 2 * h + j));
                var o = VectorMath.Sigmoid(LoadWide(ref z, 3 * h + j) + LoadWide(ref p, 3 * h + j));
                StoreWide(i, ref p, j);
                StoreWide(f, ref p, h + j);
                StoreWide(candidate, ref p, 2 * h + j);
                StoreWide(o, ref p, 3 * h + j);
                var cell = f * LoadWide(ref cPrevious, j) + i * candidate;
                StoreWide(cell, ref c, j);
                var a = VectorMath.Tanh(cell);
                StoreWide(a, ref ac, j);
                StoreWide(o * a, ref hOut, j);
            }
        }
    }

    /// <summary>
    /// <see cref="Forward"/> with the recurrent product folded in, for H = one vector (the chapter's 8 units), with no
    /// step buffer and no GEMM call per step, in three passes over the step's rows: z = P[b] + Σ_k h̃[b, k]·U[k, :] in
    /// four registers (U, 8×32, stays in L1) and back into P; the gates in place; the cell, a(c) and h. One row's work
    /// in a single pass is a dependent chain (eight FMAs, a sigmoid, the cell, a tanh) longer than the core's
    /// out-of-order window reaches, so rows would run one after the other; each pass's per-row chain is short, and
    /// the core overlaps consecutive rows (the step's 4 KB of z stays in L1 between passes). At the first step
    /// (<paramref name="first"/>) h̃ is zero and the product is skipped.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SmallForward(int batch, ref Real u, ref Real hIn0, ref Real p0, bool first, ref Real cPrevious0, int previousStride,
        ref Real c0, ref Real ac0, ref Real hOut0)
    {
        int h = Vector256<Real>.Count;  // = units; a constant, so row offsets are immediates
        if (Kernels.Wide)
        {
            if (!first) RecurrentProductWide(batch, ref u, ref hIn0, ref p0);
            GatesAndCellWide(batch, ref p0, ref cPrevious0, previousStride, ref c0, ref ac0, ref hOut0);
            return;
        }
        if (!first)
        {
            // Two rows per pass over U: each of its 32 vectors is loaded once for both (the product is bound by
            // loads, not FMAs, with one row at a time).
            int b = 0;
            for (; b + 2 <= batch; b += 2)
            {
                ref Real hx = ref Unsafe.Add(ref hIn0, b * h);
                ref Real hy = ref Unsafe.Add(ref hx, h);
                ref Real px = ref Unsafe.Add(ref p0, b * 4 * h);
                ref Real py = ref Unsafe.Add(ref px, 4 * h);
                Vector256<Real> zix = Load(ref px, 0), zfx = Load(ref px, h), zcx = Load(ref px, 2 * h), zox = Load(ref px, 3 * h);
                Vector256<Real> ziy = Load(ref py, 0), zfy = Load(ref py, h), zcy = Load(ref py, 2 * h), zoy = Load(ref py, 3 * h);
                for (int k = 0; k < h; k++)
                {
                    ref Real uk = ref Unsafe.Add(ref u, k * 4 * h);
                    var sx = Vector256.Create(Unsafe.Add(ref hx, k));
                    var sy = Vector256.Create(Unsafe.Add(ref hy, k));
                    var ui = Load(ref uk, 0);
                    zix = Vector256.MultiplyAddEstimate(sx, ui, zix);
                    ziy = Vector256.MultiplyAddEstimate(sy, ui, ziy);
                    var uf = Load(ref uk, h);
                    zfx = Vector256.MultiplyAddEstimate(sx, uf, zfx);
                    zfy = Vector256.MultiplyAddEstimate(sy, uf, zfy);
                    var uc = Load(ref uk, 2 * h);
                    zcx = Vector256.MultiplyAddEstimate(sx, uc, zcx);
                    zcy = Vector256.MultiplyAddEstimate(sy, uc, zcy);
                    var uo = Load(ref uk, 3 * h);
                    zox = Vector256.MultiplyAddEstimate(sx, uo, zox);
                    zoy = Vector256.MultiplyAddEstimate(sy, uo, zoy);
                }
                Store(zix, ref px, 0);
                Store(zfx, ref px, h);
                Store(zcx, ref px, 2 * h);
                Store(zox, ref px, 3 * h);
                Store(ziy, ref py, 0);
                Store(zfy, ref py, h);
                Store(zcy, ref py, 2 * h);
                Store(zoy, ref py, 3 * h);
            }
            if (b < batch)
            {
                ref Real hx = ref Unsafe.Add(ref hIn0, b * h);
                ref Real px = ref Unsafe.Add(ref p0, b * 4 * h);
                Vector256<Real> zi = Load(ref px, 0), zf = Load(ref px, h), zc = Load(ref px, 2 * h), zo = Load(ref px, 3 * h);
                for (int k = 0; k < h; k++)
                {
                    ref Real uk = ref Unsafe.Add(ref u, k * 4 * h);
                    var sx = Vector256.Create(Unsafe.Add(ref hx, k));
                    zi = Vector256.MultiplyAddEstimate(sx, Load(ref uk, 0), zi);
                    zf = Vector256.MultiplyAddEstimate(sx, Load(ref uk, h), zf);
                    zc = Vector256.MultiplyAddEstimate(sx, Load(ref uk, 2 * h), zc);
                    zo = Vector256.MultiplyAddEstimate(sx, Load(ref uk, 3 * h), zo);
                }
                Store(zi, ref px, 0);
                Store(zf, ref px, h);
                Store(zc, ref px, 2 * h);
                Store(zo, ref px, 3 * h);
            }
        }
        for (int b = 0; b < batch; b++)
        {
            ref Real p = ref Unsafe.Add(ref p0, b * 4 * h);
            Store(VectorMath.Sigmoid(Load(ref p, 0)), ref p, 0);
            Store(VectorMath.Sigmoid(Load(ref p, h)), ref p, h);
            Store(VectorMath.Tanh(Load(ref p, 2 * h)), ref p, 2 * h);
            Store(VectorMath.Sigmoid(Load(ref p, 3 * h)), ref p, 3 * h);
        }
        for (int b = 0; b < batch; b++)
        {
            ref Real g = ref Unsafe.Add(ref p0, b * 4 * h);
            var cell = Load(ref g, h) * Load(ref cPrevious0, b * previousStride) + Load(ref g, 0) * Load(ref g, 2 * h);
            Store(cell, ref c0, b * h);
            var a = VectorMath.Tanh(cell);
            Store(a, ref ac0, b * h);
            Store(Load(ref g, 3 * h) * a, ref hOut0, b * h);
        }
    }

    /// <summary>
    /// The gate and cell passes of <see cref="SmallForward"/> in 512-bit registers: i f of a row in one, the c gates,
    /// o gates, cells and a(c) of two rows in one each (their rows are adjacent in the state buffers), so a pair of rows
    /// takes four gate activations and one a(c) instead of eight and two. Two passes, as in the 256-bit kernel (shorter
    /// dependent chains per row overlap better). Per lane the same operations as the 256-bit passes: the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GatesAndCellWide(int batch, ref Real p0, ref Real cPrevious0, int previousStride, ref Real c0, ref Real ac0, ref Real hOut0)
    {
        int h = Vector256<Real>.Count, b = 0;
        for (; b + 2 <= batch; b += 2)
        {
            ref Real gx = ref Unsafe.Add(ref p0, b * 4 * h);
            ref Real gy = ref Unsafe.Add(ref gx, 4 * h);
            var ifx = VectorMath.Sigmoid(Vector512.LoadUnsafe(ref gx));
            var ify = VectorMath.Sigmoid(Vector512.LoadUnsafe(ref gy));
            var g = VectorMath.Tanh(Vector512.Create(Load(ref gx, 2 * h), Load(ref gy, 2 * h)));
            var o = VectorMath.Sigmoid(Vector512.Create(Load(ref gx, 3 * h), Load(ref gy, 3 * h)));
            ifx.StoreUnsafe(ref gx);
            ify.StoreUnsafe(ref gy);
            Store(g.GetLower(), ref gx, 2 * h);
            Store(g.GetUpper(), ref gy, 2 * h);
            Store(o.GetLower(), ref gx, 3 * h);
            Store(o.GetUpper(), ref gy, 3 * h);
        }
        for (; b < batch; b++)
        {
            ref Real gx = ref Unsafe.Add(ref p0, b * 4 * h);
            VectorMath.Sigmoid(Vector512.LoadUnsafe(ref gx)).StoreUnsafe(ref gx);
            Store(VectorMath.Tanh(Load(ref gx, 2 * h)), ref gx, 2 * h);
            Store(VectorMath.Sigmoid(Load(ref gx, 3 * h)), ref gx, 3 * h);
        }
        for (b = 0; b + 2 <= batch; b += 2)
        {
            ref Real gx = ref Unsafe.Add(ref p0, b * 4 * h);
            ref Real gy = ref Unsafe.Add(ref gx, 4 * h);
            var cPrevious = Vector512.Create(Load(ref cPrevious0, b * previousStride), Load(ref cPrevious0, (b + 1) * previousStride));
            var i = Vector512.Create(Load(ref gx, 0), Load(ref gy, 0));
            var f = Vector512.Create(Load(ref gx, h), Load(ref gy, h));
            var g = Vector512.Create(Load(ref gx, 2 * h), Load(ref gy, 2 * h));
            var o = Vector512.Create(Load(ref gx, 3 * h), Load(ref gy, 3 * h));
            var cell = f * cPrevious + i * g;
            cell.StoreUnsafe(ref c0, (nuint)(b * h));
            var a = VectorMath.Tanh(cell);
            a.StoreUnsafe(ref ac0, (nuint)(b * h));
            (o * a).StoreUnsafe(ref hOut0, (nuint)(b * h));
        }
        for (; b < batch; b++)
        {
            ref Real gx = ref Unsafe.Add(ref p0, b * 4 * h);
            var o = Load(ref gx, 3 * h);
            var cell = Load(ref gx, h) * Load(ref cPrevious0, b * previousStride) + Load(ref gx, 0) * Load(ref gx, 2 * h);
            Store(cell, ref c0, b * h);
            var a = VectorMath.Tanh(cell);
            Store(a, ref ac0, b * h);
            Store(o * a, ref hOut0, b * h);
        }
    }

    /// <summary>
    /// The recurrent product of <see cref="SmallForward"/> in 512-bit registers, each holding two gate blocks (i f,
    /// c o): half the FMAs and U loads per row, four rows per pass over U. Each lane gets the same FMAs in the same
    /// order as in the 256-bit loop, so z is the same bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RecurrentProductWide(int batch, ref Real u, ref Real hIn0, ref Real p0)
    {
        int h = Vector256<Real>.Count, b = 0;
        for (; b + 4 <= batch; b += 4)
        {
            ref Real h0 = ref Unsafe.Add(ref hIn0, b * h);
            ref Real p = ref Unsafe.Add(ref p0, b * 4 * h);
            var z00 = Vector512.LoadUnsafe(ref p, 0);
            var z01 = Vector512.LoadUnsafe(ref p, (nuint)(2 * h));
            var z10 = Vector512.LoadUnsafe(ref p, (nuint)(4 * h));
            var z11 = Vector512.LoadUnsafe(ref p, (nuint)(6 * h));
            var z20 = Vector512.LoadUnsafe(ref p, (nuint)(8 * h));
            var z21 = Vector512.LoadUnsafe(ref p, (nuint)(10 * h));
            var z30 = Vector512.LoadUnsafe(ref p, (nuint)(12 * h));
            var z31 = Vector512.LoadUnsafe(ref p, (nuint)(14 * h));
            ref Real uk = ref u;
            ref Real hk = ref h0;
            for (int k = 0; k < h; k++)
            {
                var u0 = Vector512.LoadUnsafe(ref uk);
                var u1 = Vector512.LoadUnsafe(ref uk, (nuint)(2 * h));
                var s0 = Vector512.Create(hk);
                var s1 = Vector512.Create(Unsafe.Add(ref hk, h));
                var s2 = Vector512.Create(Unsafe.Add(ref hk, 2 * h));
                var s3 = Vector512.Create(Unsafe.Add(ref hk, 3 * h));
                uk = ref Unsafe.Add(ref uk, 4 * h);
                hk = ref Unsafe.Add(ref hk, 1);
                z00 = Vector512.MultiplyAddEstimate(s0, u0, z00);
                z01 = Vector512.MultiplyAddEstimate(s0, u1, z01);
                z10 = Vector512.MultiplyAddEstimate(s1, u0, z10);
                z11 = Vector512.MultiplyAddEstimate(s1, u1, z11);
                z20 = Vector512.MultiplyAddEstimate(s2, u0, z20);
                z21 = Vector512.MultiplyAddEstimate(s2, u1, z21);
                z30 = Vector512.MultiplyAddEstimate(s3, u0, z30);
                z31 = Vector512.MultiplyAddEstimate(s3, u1, z31);
            }
            z00.StoreUnsafe(ref p, 0);
            z01.StoreUnsafe(ref p, (nuint)(2 * h));
            z10.StoreUnsafe(ref p, (nuint)(4 * h));
            z11.StoreUnsafe(ref p, (nuint)(6 * h));
            z20.StoreUnsafe(ref p, (nuint)(8 * h));
            z21.StoreUnsafe(ref p, (nuint)(10 * h));
            z30.StoreUnsafe(ref p, (nuint)(12 * h));
            z31.StoreUnsafe(ref p, (nuint)(14 * h));
        }
        for (; b < batch; b++)
        {
            ref Real hx = ref Unsafe.Add(ref hIn0, b * h);
            ref Real p = ref Unsafe.Add(ref p0, b * 4 * h);
            var z0 = Vector512.LoadUnsafe(ref p, 0);
            var z1 = Vector512.LoadUnsafe(ref p, (nuint)(2 * h));
            for (int k = 0; k < h; k++)
            {
                ref Real uk = ref Unsafe.Add(ref u, k * 4 * h);
                var s0 = Vector512.Create(Unsafe.Add(ref hx, k));
                z0 = Vector512.MultiplyAddEstimate(s0, Vector512.LoadUnsafe(ref uk), z0);
                z1 = Vector512.MultiplyAddEstimate(s0, Vector512.LoadUnsafe(ref uk, (nuint)(2 * h)), z1);
            }
            z0.StoreUnsafe(ref p, 0);
            z1.StoreUnsafe(ref p, (nuint)(2 * h));
        }
    }

    /// <summary>
    /// The reverse of <see cref="Forward"/> for all rows, before the product ∂h̃ = ∂z·Uᵀ: from ∂h, ∂c (the state
    /// gradients) writes ∂z into ∂P[b] (zero for masked rows) and ∂c_prev = ∂c ⊙ f. g: the activated gates in P.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(int batch, int h, StepMask mask, ref Real dz0, ref Real g0, ref Real ac0, ref Real cPrevious0, int previousStride,
        ref Real dh0, ref Real dcNext0, ref Real dcPrevious0)
    {
        if (Kernels.Wide && h % Vector512<Real>.Count == 0)
        {
            WideBackward(batch, h, mask, ref dz0, ref g0, ref ac0, ref cPrevious0, previousStride, ref dh0, ref dcNext0, ref dcPrevious0);
            return;
        }
        int width = Vector256<Real>.Count;
        var one = Vector256<Real>.One;
        for (int b = 0; b < batch; b++)
        {
            ref Real dz = ref Unsafe.Add(ref dz0, b * 4 * h);
            if (!mask.IsActive(b))
            {
                for (int j = 0; j < 4 * h; j += width) Store(Vector256<Real>.Zero, ref dz, j);
                continue;
            }
            ref Real g = ref Unsafe.Add(ref g0, b * 4 * h);
            ref Real ac = ref Unsafe.Add(ref ac0, b * h);
            ref Real cPrevious = ref Unsafe.Add(ref cPrevious0, b * previousStride);
            ref Real dh = ref Unsafe.Add(ref dh0, b * h);
            ref Real dcNext = ref Unsafe.Add(ref dcNext0, b * h);
            ref Real dcPrevious = ref Unsafe.Add(ref dcPrevious0, b * h);
            for (int j = 0; j < h; j += width)
            {
                var i = Load(ref g, j);
                var f = Load(ref g, h + j);
                var candidate = Load(ref g, 2 * h + j);
                var o = Load(ref g, 3 * h + j);
                var a = Load(ref ac, j);
                var dhj = Load(ref dh, j);
                var dc = Load(ref dcNext, j) + dhj * o * (one - a * a);
                Store(dc * candidate * i * (one - i), ref dz, j);
                Store(dc * Load(ref cPrevious, j) * f * (one - f), ref dz, h + j);
                Store(dc * i * (one - candidate * candidate), ref dz, 2 * h + j);
                Store(dhj * a * o * (one - o), ref dz, 3 * h + j);
                Store(dc * f, ref dcPrevious, j);
            }
        }
    }

    // Backward in 512-bit registers, line for line the 256-bit loop (the same bits).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WideBackward(int batch, int h, StepMask mask, ref Real dz0, ref Real g0, ref Real ac0, ref Real cPrevious0, int previousStride,
        ref Real dh0, ref Real dcNext0, ref Real dcPrevious0)
    {
        int width = Vector512<Real>.Count;
        var one = Vector512<Real>.One;
        for (int b = 0; b < batch; b++)
        {
            ref Real dz = ref Unsafe.Add(ref dz0, b * 4 * h);
            if (!mask.IsActive(b))
            {
                for (int j = 0; j < 4 * h; j += width) StoreWide(Vector512<Real>.Zero, ref dz, j);
                continue;
            }
            ref Real g = ref Unsafe.Add(ref g0, b * 4 * h);
            ref Real ac = ref Unsafe.Add(ref ac0, b * h);
            ref Real cPrevious = ref Unsafe.Add(ref cPrevious0, b * previousStride);
            ref Real dh = ref Unsafe.Add(ref dh0, b * h);
            ref Real dcNext = ref Unsafe.Add(ref dcNext0, b * h);
            ref Real dcPrevious = ref Unsafe.Add(ref dcPrevious0, b * h);
            for (int j = 0; j < h; j += width)
            {
                var i = LoadWide(ref g, j);
                var f = LoadWide(ref g, h + j);
                var candidate = LoadWide(ref g, 2 * h + j);
                var o = LoadWide(ref g, 3 * h + j);
                var a = LoadWide(ref ac, j);
                var dhj = LoadWide(ref dh, j);
                var dc = LoadWide(ref dcNext, j) + dhj * o * (one - a * a);
                StoreWide(dc * candidate * i * (one - i), ref dz, j);
                StoreWide(dc * LoadWide(ref cPrevious, j) * f * (one - f), ref dz, h + j);
                StoreWide(dc * i * (one - candidate * candidate), ref dz, 2 * h + j);
                StoreWide(dhj * a * o * (one - o), ref dz, 3 * h + j);
                StoreWide(dc * f, ref dcPrevious, j);
            }
        }
    }

    /// <summary>
    /// <see cref="Backward"/> for H = one vector without recurrent dropout, with the product and the hand-over to the
    /// previous step done here (no GEMM call per step): per active row, ∂z as there, ∂c_{t−1} = ∂c ⊙ f over ∂c_t in
    /// place, and ∂h_{t−1} = ∂h̃ = ∂z·Uᵀ (Uᵀ rows are one vector each; four accumulators) over ∂h_t. Inactive rows get
    /// ∂P = 0 and keep their state gradients, as the loop's hand-over would.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SmallBackward(int batch, StepMask mask, ref Real ut, ref Real dz0, ref Real g0, ref Real ac0, ref Real cPrevious0,
        int previousStride, ref Real dh0, ref Real dc0)
    {
        int h = Vector256<Real>.Count;  // = units; a constant, so row offsets are immediates
        var one = Vector256<Real>.One;
        for (int b = 0; b < batch; b++)
        {
            ref Real dz = ref Unsafe.Add(ref dz0, b * 4 * h);
            if (!mask.IsActive(b))
            {
                for (int j = 0; j < 4 * h; j += h) Store(Vector256<Real>.Zero, ref dz, j);
                continue;
            }
            ref Real g = ref Unsafe.Add(ref g0, b * 4 * h);
            ref Real dcNext = ref Unsafe.Add(ref dc0, b * h);
            var i = Load(ref g, 0);
            var f = Load(ref g, h);
            var candidate = Load(ref g, 2 * h);
            var o = Load(ref g, 3 * h);
            var a = Load(ref ac0, b * h);
            var dhj = Load(ref dh0, b * h);
            var dc = Load(ref dcNext, 0) + dhj * o * (one - a * a);
            Store(dc * candidate * i * (one - i), ref dz, 0);
            Store(dc * Load(ref cPrevious0, b * previousStride) * f * (one - f), ref dz, h);
            Store(dc * i * (one - candidate * candidate), ref dz, 2 * h);
            Store(dhj * a * o * (one - o), ref dz, 3 * h);
            Store(dc * f, ref dcNext, 0);
        }
        // ∂h̃ = ∂z·Uᵀ in a second pass, two rows at a time so that each Uᵀ row is loaded once for both (the product is
        // bound by loads); a masked row keeps its ∂h.
        for (int b = 0; b < batch; b++)
        {
            if (!mask.IsActive(b)) continue;
            ref Real dx = ref Unsafe.Add(ref dz0, b * 4 * h);
            var x0 = Vector256<Real>.Zero;
            var x1 = Vector256<Real>.Zero;
            var x2 = Vector256<Real>.Zero;
            var x3 = Vector256<Real>.Zero;
            if (b + 1 < batch && mask.IsActive(b + 1))
            {
                ref Real dy = ref Unsafe.Add(ref dx, 4 * h);
                var y0 = Vector256<Real>.Zero;
                var y1 = Vector256<Real>.Zero;
                var y2 = Vector256<Real>.Zero;
                var y3 = Vector256<Real>.Zero;
                for (int j = 0; j < 4 * h; j += 4)
                {
                    var u0 = Load(ref ut, j * h);
                    x0 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref dx, j)), u0, x0);
                    y0 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref dy, j)), u0, y0);
                    var u1 = Load(ref ut, (j + 1) * h);
                    x1 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref dx, j + 1)), u1, x1);
                    y1 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref dy, j + 1)), u1, y1);
                    var u2 = Load(ref ut, (j + 2) * h);
                    x2 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref dx, j + 2)), u2, x2);
                    y2 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref dy, j + 2)), u2, y2);
                    var u3 = Load(ref ut, (j + 3) * h);
                    x3 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref dx, j + 3)), u3, x3);
                    y3 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref dy, j + 3)), u3, y3);
                }
                Store(x0 + x1 + (x2 + x3), ref dh0, b * h);
                Store(y0 + y1 + (y2 + y3), ref dh0, (b + 1) * h);
                b++;
                continue;
            }
            for (int j = 0; j < 4 * h; j += 4)
            {
                x0 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref dx, j)), Load(ref ut, j * h), x0);
                x1 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref dx, j + 1)), Load(ref ut, (j + 1) * h), x1);
                x2 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref dx, j + 2)), Load(ref ut, (j + 2) * h), x2);
                x3 = Vector256.MultiplyAddEstimate(Vector256.Create(Unsafe.Add(ref dx, j + 3)), Load(ref ut, (j + 3) * h), x3);
            }
            Store(x0 + x1 + (x2 + x3), ref dh0, b * h);
        }
    }
}
