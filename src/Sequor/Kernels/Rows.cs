using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sequor;

/// <summary>
/// Whole-row helpers for the recurrent loop and the fused cell kernels: a row of one step is a few vectors, so
/// they take references and lengths (no span slice and no call per row). Element-wise, so they give the bits of the
/// plain loop under every <see cref="KernelChoice"/>.
/// </summary>
internal static class Rows
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<Real> Load(ref Real row, int j) => Vector256.LoadUnsafe(ref row, (nuint)j);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<Real> v, ref Real row, int j) => v.StoreUnsafe(ref row, (nuint)j);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<Real> LoadWide(ref Real row, int j) => Vector512.LoadUnsafe(ref row, (nuint)j);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreWide(Vector512<Real> v, ref Real row, int j) => v.StoreUnsafe(ref row, (nuint)j);

    /// <summary>Row b of step t in a time-major [T, B, width] buffer (t = 0, batch = 1 for a [B, width] one). Unchecked:
    /// callers stay inside buffers sized for (T, B).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref Real At(Tensor buffer, int b, int t, int batch, int width) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(buffer.Data), (t * batch + b) * width);

    /// <summary>destination[0..n) = source[0..n)</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(ref Real source, ref Real destination, int n)
    {
        int j = 0, width = Vector256<Real>.Count;
        for (; j + width <= n; j += width) Store(Load(ref source, j), ref destination, j);
        for (; j < n; j++) Unsafe.Add(ref destination, j) = Unsafe.Add(ref source, j);
    }

    /// <summary>z[0..n) = x + y (z may be x or y)</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(ref Real x, ref Real y, ref Real z, int n)
    {
        int j = 0, width = Vector256<Real>.Count;
        for (; j + width <= n; j += width) Store(Load(ref x, j) + Load(ref y, j), ref z, j);
        for (; j < n; j++) Unsafe.Add(ref z, j) = Unsafe.Add(ref x, j) + Unsafe.Add(ref y, j);
    }

    /// <summary>z[0..n) = x ⊙ y (z may be x or y)</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Multiply(ref Real x, ref Real y, ref Real z, int n)
    {
        int j = 0, width = Vector256<Real>.Count;
        for (; j + width <= n; j += width) Store(Load(ref x, j) * Load(ref y, j), ref z, j);
        for (; j < n; j++) Unsafe.Add(ref z, j) = Unsafe.Add(ref x, j) * Unsafe.Add(ref y, j);
    }
}

/// <summary>Which rows of one step are active (mask[b, t] ≠ 0); all of them without a mask.</summary>
internal readonly ref struct StepMask(ReadOnlySpan<Real> mask, int timesteps, int t)
{
    private readonly ReadOnlySpan<Real> mask = mask;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsActive(int b) => mask.IsEmpty || mask[b * timesteps + t] != 0;
}
