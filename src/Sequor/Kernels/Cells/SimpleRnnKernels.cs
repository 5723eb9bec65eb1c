using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static Sequor.Rows;

namespace Sequor;

/// <summary>
/// The fast steps of <see cref="Layers.SimpleRNNCell"/> with tanh (units a multiple of the vector width), paired
/// with its plain per-row step in SimpleRNNCell that tests hold them to. One step's block: row b at b·units.
/// </summary>
internal static class SimpleRnnKernels
{
    /// <summary>h[b] = tanh(P[b] + step[b]) for all rows; step [B, H] holds h̃·U.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TanhForward(int batch, int units, ref Real step0, ref Real p0, ref Real h0)
    {
        int width = Vector256<Real>.Count;
        for (int b = 0; b < batch; b++)
        {
            ref Real z = ref Unsafe.Add(ref step0, b * units);
            ref Real p = ref Unsafe.Add(ref p0, b * units);
            ref Real h = ref Unsafe.Add(ref h0, b * units);
            for (int j = 0; j < units; j += width) Store(VectorMath.Tanh(Load(ref z, j) + Load(ref p, j)), ref h, j);
        }
    }

    /// <summary>∂z[b] = ∂h[b] ⊙ (1 − h[b]²) for active rows, 0 for masked ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TanhBackward(int batch, int units, StepMask mask, ref Real dz0, ref Real h0, ref Real dh0)
    {
        int width = Vector256<Real>.Count;
        for (int b = 0; b < batch; b++)
        {
            ref Real d = ref Unsafe.Add(ref dz0, b * units);
            if (!mask.IsActive(b))
            {
                for (int j = 0; j < units; j += width) Store(Vector256<Real>.Zero, ref d, j);
                continue;
            }
            ref Real h = ref Unsafe.Add(ref h0, b * units);
            ref Real dh = ref Unsafe.Add(ref dh0, b * units);
            for (int j = 0; j < units; j += width)
            {
                var hv = Load(ref h, j);
                Store(Load(ref dh, j) * (Vector256<Real>.One - hv * hv), ref d, j);
            }
        }
    }
}
