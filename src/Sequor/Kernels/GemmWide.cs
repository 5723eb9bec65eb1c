using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sequor;

/// <summary>
/// The 512-bit path of <see cref="Gemm"/> for wide C (n ≥ <see cref="MinimumColumns"/>: the gate blocks of LSTM(64) and
/// up, their ∂X and weight gradients), under <see cref="KernelChoice.Vector512"/>. Register block: 8 rows × 32 columns
/// in 16 accumulators, two B vectors and one broadcast (19 of the 32 zmm registers): 16 FMAs per 2 B loads and 8
/// broadcasts, enough independent chains to keep both FMA pipes busy over their latency. Cache blocks: depth chunks of
/// <see cref="DepthBlock"/> and row chunks of <see cref="RowBlock"/>, so a 32-wide panel of B (32 KB) stays in L1 across
/// the rows of a chunk and the A chunk in L2 across all panels.
/// </summary>
/// <remarks>
/// Every element of C is still one chain of FMAs over p = 0 … k−1 in order, starting from C (accumulate), the bias row
/// or zero, with C carrying the partial sum between depth chunks (an exact fp32 store and load): the same bits as the
/// 256-bit blocks and as any thread count. B is read in place (its rows, ldb apart, stream from L2 fast enough at these
/// shapes; packing it would cost as much as a step's product for the recurrent kernel, which is read once per step).
/// </remarks>
internal static class GemmWide
{
    public const int MinimumColumns = 64;
    private const int RowBlock = 64, DepthBlock = 256;

    // a register block is two vectors wide: 32 floats (16 doubles in the gradient-check build)
    private static int Panel => 2 * Vector512<Real>.Count;

    /// <summary>Columns [0, n − n mod <see cref="Panel"/>) of C (=|+=) a·B, a(i, p) = a[i·strideI + p·strideP]; returns how many it did.</summary>
    public static int Multiply(int m, int n, int k, ref Real a, int strideI, int strideP, ref Real b, int ldb,
        ref Real c, int ldc, bool accumulate, bool fromRow, ref Real row)
    {
        int columns = n - n % Panel;
        for (int p0 = 0; p0 < k; p0 += DepthBlock)
        {
            int kc = Math.Min(DepthBlock, k - p0);
            bool first = p0 == 0;
            bool load = accumulate || !first, bias = fromRow && first;
            ref Real bChunk = ref Unsafe.Add(ref b, p0 * ldb);
            for (int i0 = 0; i0 < m; i0 += RowBlock)
            {
                int rows = Math.Min(RowBlock, m - i0), blocked = rows - rows % 4;
                ref Real aChunk = ref Unsafe.Add(ref a, i0 * strideI + p0 * strideP);
                if (blocked > 0)
                    for (int j = 0; j < columns; j += Panel)
                        TwoVectorPanel(blocked, kc, ref aChunk, strideI, strideP, ref Unsafe.Add(ref bChunk, j), ldb,
                            ref Unsafe.Add(ref c, i0 * ldc + j), ldc, load, bias, ref Unsafe.Add(ref row, j));
                for (int i = blocked; i < rows; i++)
                    SingleRow(columns, kc, ref Unsafe.Add(ref aChunk, i * strideI), strideP, ref bChunk, ldb,
                        ref Unsafe.Add(ref c, (i0 + i) * ldc), load, bias, ref row);
            }
        }
        return columns;
    }

    // One column panel two vectors wide (32 floats) for `rows` rows (a multiple of 4): 8-row blocks, then 4.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TwoVectorPanel(int rows, int k, ref Real a, int strideI, int strideP, ref Real b, int ldb,
        ref Real c, int ldc, bool load, bool bias, ref Real row)
    {
        nuint half = (nuint)Vector512<Real>.Count;
        var start0 = bias ? Vector512.LoadUnsafe(ref row) : Vector512<Real>.Zero;
        var start1 = bias ? Vector512.LoadUnsafe(ref row, half) : Vector512<Real>.Zero;
        int i = 0;
        for (; i + 8 <= rows; i += 8)
        {
            ref Real c0 = ref Unsafe.Add(ref c, i * ldc);
            Vector512<Real> x00 = start0, x01 = start1, x10 = start0, x11 = start1, x20 = start0, x21 = start1, x30 = start0, x31 = start1,
                x40 = start0, x41 = start1, x50 = start0, x51 = start1, x60 = start0, x61 = start1, x70 = start0, x71 = start1;
            if (load)
            {
                x00 = Vector512.LoadUnsafe(ref c0); x01 = Vector512.LoadUnsafe(ref c0, half);
                ref Real r = ref Unsafe.Add(ref c0, ldc); x10 = Vector512.LoadUnsafe(ref r); x11 = Vector512.LoadUnsafe(ref r, half);
                r = ref Unsafe.Add(ref r, ldc); x20 = Vector512.LoadUnsafe(ref r); x21 = Vector512.LoadUnsafe(ref r, half);
                r = ref Unsafe.Add(ref r, ldc); x30 = Vector512.LoadUnsafe(ref r); x31 = Vector512.LoadUnsafe(ref r, half);
                r = ref Unsafe.Add(ref r, ldc); x40 = Vector512.LoadUnsafe(ref r); x41 = Vector512.LoadUnsafe(ref r, half);
                r = ref Unsafe.Add(ref r, ldc); x50 = Vector512.LoadUnsafe(ref r); x51 = Vector512.LoadUnsafe(ref r, half);
                r = ref Unsafe.Add(ref r, ldc); x60 = Vector512.LoadUnsafe(ref r); x61 = Vector512.LoadUnsafe(ref r, half);
                r = ref Unsafe.Add(ref r, ldc); x70 = Vector512.LoadUnsafe(ref r); x71 = Vector512.LoadUnsafe(ref r, half);
            }
            ref Real ap = ref Unsafe.Add(ref a, i * strideI);
            ref Real bp = ref b;
            for (int p = 0; p < k; p++)
            {
                var b0 = Vector512.LoadUnsafe(ref bp);
                var b1 = Vector512.LoadUnsafe(ref bp, half);
                var s = Vector512.Create(ap);
                x00 = Vector512.MultiplyAddEstimate(s, b0, x00); x01 = Vector512.MultiplyAddEstimate(s, b1, x01);
                s = Vector512.Create(Unsafe.Add(ref ap, strideI));
                x10 = Vector512.MultiplyAddEstimate(s, b0, x10); x11 = Vector512.MultiplyAddEstimate(s, b1, x11);
                s = Vector512.Create(Unsafe.Add(ref ap, 2 * strideI));
                x20 = Vector512.MultiplyAddEstimate(s, b0, x20); x21 = Vector512.MultiplyAddEstimate(s, b1, x21);
                s = Vector512.Create(Unsafe.Add(ref ap, 3 * strideI));
                x30 = Vector512.MultiplyAddEstimate(s, b0, x30); x31 = Vector512.MultiplyAddEstimate(s, b1, x31);
                s = Vector512.Create(Unsafe.Add(ref ap, 4 * strideI));
                x40 = Vector512.MultiplyAddEstimate(s, b0, x40); x41 = Vector512.MultiplyAddEstimate(s, b1, x41);
                s = Vector512.Create(Unsafe.Add(ref ap, 5 * strideI));
                x50 = Vector512.MultiplyAddEstimate(s, b0, x50); x51 = Vector512.MultiplyAddEstimate(s, b1, x51);
                s = Vector512.Create(Unsafe.Add(ref ap, 6 * strideI));
                x60 = Vector512.MultiplyAddEstimate(s, b0, x60); x61 = Vector512.MultiplyAddEstimate(s, b1, x61);
                s = Vector512.Create(Unsafe.Add(ref ap, 7 * strideI));
                x70 = Vector512.MultiplyAddEstimate(s, b0, x70); x71 = Vector512.MultiplyAddEstimate(s, b1, x71);
                ap = ref Unsafe.Add(ref ap, strideP);
                bp = ref Unsafe.Add(ref bp, ldb);
            }
            x00.StoreUnsafe(ref c0); x01.StoreUnsafe(ref c0, half);
            ref Real o = ref Unsafe.Add(ref c0, ldc); x10.StoreUnsafe(ref o); x11.StoreUnsafe(ref o, half);
            o = ref Unsafe.Add(ref o, ldc); x20.StoreUnsafe(ref o); x21.StoreUnsafe(ref o, half);
            o = ref Unsafe.Add(ref o, ldc); x30.StoreUnsafe(ref o); x31.StoreUnsafe(ref o, half);
            o = ref Unsafe.Add(ref o, ldc); x40.StoreUnsafe(ref o); x41.StoreUnsafe(ref o, half);
            o = ref Unsafe.Add(ref o, ldc); x50.StoreUnsafe(ref o); x51.StoreUnsafe(ref o, half);
            o = ref Unsafe.Add(ref o, ldc); x60.StoreUnsafe(ref o); x61.StoreUnsafe(ref o, half);
            o = ref Unsafe.Add(ref o, ldc); x70.StoreUnsafe(ref o); x71.StoreUnsafe(ref o, half);
        }
        for (; i + 4 <= rows; i += 4)
        {
            ref Real c0 = ref Unsafe.Add(ref c, i * ldc);
            ref Real c1 = ref Unsafe.Add(ref c0, ldc);
            ref Real c2 = ref Unsafe.Add(ref c1, ldc);
            ref Real c3 = ref Unsafe.Add(ref c2, ldc);
            Vector512<Real> x00 = start0, x01 = start1, x10 = start0, x11 = start1, x20 = start0, x21 = start1, x30 = start0, x31 = start1;
            if (load)
            {
                x00 = Vector512.LoadUnsafe(ref c0); x01 = Vector512.LoadUnsafe(ref c0, half);
                x10 = Vector512.LoadUnsafe(ref c1); x11 = Vector512.LoadUnsafe(ref c1, half);
                x20 = Vector512.LoadUnsafe(ref c2); x21 = Vector512.LoadUnsafe(ref c2, half);
                x30 = Vector512.LoadUnsafe(ref c3); x31 = Vector512.LoadUnsafe(ref c3, half);
            }
            ref Real ap = ref Unsafe.Add(ref a, i * strideI);
            ref Real bp = ref b;
            for (int p = 0; p < k; p++)
            {
                var b0 = Vector512.LoadUnsafe(ref bp);
                var b1 = Vector512.LoadUnsafe(ref bp, half);
                var s = Vector512.Create(ap);
                x00 = Vector512.MultiplyAddEstimate(s, b0, x00); x01 = Vector512.MultiplyAddEstimate(s, b1, x01);
                s = Vector512.Create(Unsafe.Add(ref ap, strideI));
                x10 = Vector512.MultiplyAddEstimate(s, b0, x10); x11 = Vector512.MultiplyAddEstimate(s, b1, x11);
                s = Vector512.Create(Unsafe.Add(ref ap, 2 * strideI));
                x20 = Vector512.MultiplyAddEstimate(s, b0, x20); x21 = Vector512.MultiplyAddEstimate(s, b1, x21);
                s = Vector512.Create(Unsafe.Add(ref ap, 3 * strideI));
                x30 = Vector512.MultiplyAddEstimate(s, b0, x30); x31 = Vector512.MultiplyAddEstimate(s, b1, x31);
                ap = ref Unsafe.Add(ref ap, strideP);
                bp = ref Unsafe.Add(ref bp, ldb);
            }
            x00.StoreUnsafe(ref c0); x01.StoreUnsafe(ref c0, half);
            x10.StoreUnsafe(ref c1); x11.StoreUnsafe(ref c1, half);
            x20.StoreUnsafe(ref c2); x21.StoreUnsafe(ref c2, half);
            x30.StoreUnsafe(ref c3); x31.StoreUnsafe(ref c3, half);
        }
    }

    /// <summary>
    /// One row of C over <paramref name="columns"/> (a multiple of <see cref="Panel"/>): 128 columns at a time in 8 accumulators, as
    /// many independent FMA chains as the 8-row block has, so a lone row (a batch of one at serving time, a shard's last
    /// rows) is not bound by the FMA latency of 2 chains; then 32 at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SingleRow(int columns, int k, ref Real a, int strideP, ref Real b, int ldb, ref Real c, bool load, bool bias, ref Real row)
    {
        int width = Vector512<Real>.Count;
        nuint w = (nuint)width;
        int j = 0;
        for (; j + 8 * width <= columns; j += 8 * width)
        {
            ref Real cj = ref Unsafe.Add(ref c, j);
            ref Real rj = ref Unsafe.Add(ref row, j);
            Vector512<Real> x0, x1, x2, x3, x4, x5, x6, x7;
            if (load)
            {
                x0 = Vector512.LoadUnsafe(ref cj); x1 = Vector512.LoadUnsafe(ref cj, w); x2 = Vector512.LoadUnsafe(ref cj, 2 * w); x3 = Vector512.LoadUnsafe(ref cj, 3 * w);
                x4 = Vector512.LoadUnsafe(ref cj, 4 * w); x5 = Vector512.LoadUnsafe(ref cj, 5 * w); x6 = Vector512.LoadUnsafe(ref cj, 6 * w); x7 = Vector512.LoadUnsafe(ref cj, 7 * w);
            }
            else if (bias)
            {
                x0 = Vector512.LoadUnsafe(ref rj); x1 = Vector512.LoadUnsafe(ref rj, w); x2 = Vector512.LoadUnsafe(ref rj, 2 * w); x3 = Vector512.LoadUnsafe(ref rj, 3 * w);
                x4 = Vector512.LoadUnsafe(ref rj, 4 * w); x5 = Vector512.LoadUnsafe(ref rj, 5 * w); x6 = Vector512.LoadUnsafe(ref rj, 6 * w); x7 = Vector512.LoadUnsafe(ref rj, 7 * w);
            }
            else x0 = x1 = x2 = x3 = x4 = x5 = x6 = x7 = Vector512<Real>.Zero;
            ref Real ap = ref a;
            ref Real bp = ref Unsafe.Add(ref b, j);
            for (int p = 0; p < k; p++)
            {
                var s = Vector512.Create(ap);
                x0 = Vector512.MultiplyAddEstimate(s, Vector512.LoadUnsafe(ref bp), x0);
                x1 = Vector512.MultiplyAddEstimate(s, Vector512.LoadUnsafe(ref bp, w), x1);
                x2 = Vector512.MultiplyAddEstimate(s, Vector512.LoadUnsafe(ref bp, 2 * w), x2);
                x3 = Vector512.MultiplyAddEstimate(s, Vector512.LoadUnsafe(ref bp, 3 * w), x3);
                x4 = Vector512.MultiplyAddEstimate(s, Vector512.LoadUnsafe(ref bp, 4 * w), x4);
                x5 = Vector512.MultiplyAddEstimate(s, Vector512.LoadUnsafe(ref bp, 5 * w), x5);
                x6 = Vector512.MultiplyAddEstimate(s, Vector512.LoadUnsafe(ref bp, 6 * w), x6);
                x7 = Vector512.MultiplyAddEstimate(s, Vector512.LoadUnsafe(ref bp, 7 * w), x7);
                ap = ref Unsafe.Add(ref ap, strideP);
                bp = ref Unsafe.Add(ref bp, ldb);
            }
            x0.StoreUnsafe(ref cj); x1.StoreUnsafe(ref cj, w); x2.StoreUnsafe(ref cj, 2 * w); x3.StoreUnsafe(ref cj, 3 * w);
            x4.StoreUnsafe(ref cj, 4 * w); x5.StoreUnsafe(ref cj, 5 * w); x6.StoreUnsafe(ref cj, 6 * w); x7.StoreUnsafe(ref cj, 7 * w);
        }
        for (; j < columns; j += 2 * width)
        {
            ref Real cj = ref Unsafe.Add(ref c, j);
            var x0 = load ? Vector512.LoadUnsafe(ref cj) : bias ? Vector512.LoadUnsafe(ref row, (nuint)j) : Vector512<Real>.Zero;
            var x1 = load ? Vector512.LoadUnsafe(ref cj, w) : bias ? Vector512.LoadUnsafe(ref row, (nuint)j + w) : Vector512<Real>.Zero;
            ref Real ap = ref a;
            ref Real bp = ref Unsafe.Add(ref b, j);
            for (int p = 0; p < k; p++)
            {
                var s = Vector512.Create(ap);
                x0 = Vector512.MultiplyAddEstimate(s, Vector512.LoadUnsafe(ref bp), x0);
                x1 = Vector512.MultiplyAddEstimate(s, Vector512.LoadUnsafe(ref bp, w), x1);
                ap = ref Unsafe.Add(ref ap, strideP);
                bp = ref Unsafe.Add(ref bp, ldb);
            }
            x0.StoreUnsafe(ref cj); x1.StoreUnsafe(ref cj, w);
        }
    }
}
