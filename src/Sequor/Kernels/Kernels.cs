using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sequor;

/// <summary>
/// The element-wise and row kernels of the layers (activations, row sums, one-hot gathers and scatters) and the
/// process's <see cref="Choice"/> of implementation. The vector bodies run unless <see cref="KernelChoice.Reference"/>
/// is chosen; each has its plain loop in <see cref="KernelsReference"/> that tests hold it to.
/// </summary>
public static partial class Kernels
{
    // VectorMath, not TensorPrimitives: its float Sigmoid measured ~20x slower here, its Tanh ~2x.
    internal static void Sigmoid(ReadOnlySpan<Real> x, Span<Real> y)
    {
        if (Vectorized) VectorMath.Sigmoid(x, y);
        else KernelsReference.Sigmoid(x, y);
    }

    internal static void Tanh(ReadOnlySpan<Real> x, Span<Real> y)
    {
        if (Vectorized) VectorMath.Tanh(x, y);
        else KernelsReference.Tanh(x, y);
    }

    internal static void Exp(ReadOnlySpan<Real> x, Span<Real> y) => TensorPrimitives.Exp(x, y);

    /// <summary>y = x · (1 − x) · dy: the sigmoid derivative expressed through its output x.</summary>
    internal static void SigmoidBackward(ReadOnlySpan<Real> y, ReadOnlySpan<Real> dy, Span<Real> dx)
    {
        for (int i = 0; i < y.Length; i++) dx[i] = dy[i] * y[i] * (1 - y[i]);
    }

    /// <summary>dx = (1 − y²) · dy: the tanh derivative expressed through its output y.</summary>
    internal static void TanhBackward(ReadOnlySpan<Real> y, ReadOnlySpan<Real> dy, Span<Real> dx)
    {
        for (int i = 0; i < y.Length; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
    }

    /// <summary>
    /// z = x + y for spans of a few vectors (a row of one time step), where TensorPrimitives' per-call
    /// dispatch would cost more than the arithmetic. z may alias x or y.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Add(ReadOnlySpan<Real> x, ReadOnlySpan<Real> y, Span<Real> z)
    {
        int n = z.Length, i = 0, width = Vector256<Real>.Count;
        if (x.Length < n || y.Length < n) throw new ArgumentException("Kernels.Add: operands shorter than the result");
        if (!Vectorized)
        {
            KernelsReference.Add(x, y, z);
            return;
        }
        ref Real xr = ref MemoryMarshal.GetReference(x);
        ref Real yr = ref MemoryMarshal.GetReference(y);
        ref Real zr = ref MemoryMarshal.GetReference(z);
        for (; i + width <= n; i += width)
            (Vector256.LoadUnsafe(ref xr, (nuint)i) + Vector256.LoadUnsafe(ref yr, (nuint)i)).StoreUnsafe(ref zr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref zr, i) = Unsafe.Add(ref xr, i) + Unsafe.Add(ref yr, i);
    }

    /// <summary>z = x ⊙ y for spans of a few vectors (see <see cref="Add"/>). z may alias x or y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Multiply(ReadOnlySpan<Real> x, ReadOnlySpan<Real> y, Span<Real> z)
    {
        int n = z.Length, i = 0, width = Vector256<Real>.Count;
        if (x.Length < n || y.Length < n) throw new ArgumentException("Kernels.Multiply: operands shorter than the result");
        if (!Vectorized)
        {
            KernelsReference.Multiply(x, y, z);
            return;
        }
        ref Real xr = ref MemoryMarshal.GetReference(x);
        ref Real yr = ref MemoryMarshal.GetReference(y);
        ref Real zr = ref MemoryMarshal.GetReference(z);
        for (; i + width <= n; i += width)
            (Vector256.LoadUnsafe(ref xr, (nuint)i) * Vector256.LoadUnsafe(ref yr, (nuint)i)).StoreUnsafe(ref zr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref zr, i) = Unsafe.Add(ref xr, i) * Unsafe.Add(ref yr, i);
    }

    /// <summary>Adds <paramref name="v"/> (length n) to each of <paramref name="rows"/> rows of width n of a matrix (row stride ld).</summary>
    internal static void AddToRows(Span<Real> matrix, int rows, int n, int ld, ReadOnlySpan<Real> v)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = matrix.Slice(r * ld, n);
            Add(row, v, row);
        }
    }

    /// <summary>transposed [columns, rows] = matrixᵀ for a [rows, columns] matrix of row stride ld: the layouts that
    /// turn a product with Wᵀ or Uᵀ into a plain one.</summary>
    internal static void Transpose(ReadOnlySpan<Real> matrix, int rows, int columns, int ld, Span<Real> transposed)
    {
        for (int i = 0; i < rows; i++)
        {
            var row = matrix.Slice(i * ld, columns);
            for (int j = 0; j < columns; j++) transposed[j * rows + i] = row[j];
        }
    }

    /// <summary>sums (=|+=) Σ_r matrix[r, :] over <paramref name="rows"/> rows of width n (row stride ld), rows in order
    /// (with <paramref name="accumulate"/>, starting from the sums given).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ColumnSums(ReadOnlySpan<Real> matrix, int rows, int n, int ld, Span<Real> sums, bool accumulate = false)
    {
        sums = sums[..n];
        int width = Vector256<Real>.Count;
        if (Vectorized && rows > 0 && n % width == 0 && n <= 4 * width && (long)(rows - 1) * ld + n <= matrix.Length)
        {
            // the bias gradients of the chapter's cells (n = G·H ≤ 32): all sums stay in registers over the rows
            ref Real m = ref MemoryMarshal.GetReference(matrix);
            Vector256<Real> s0 = default, s1 = default, s2 = default, s3 = default;
            int vectors = n / width;
            if (accumulate)
            {
                ref Real start = ref MemoryMarshal.GetReference(sums);
                s0 = Vector256.LoadUnsafe(ref start);
                if (vectors > 1) s1 = Vector256.LoadUnsafe(ref start, (nuint)width);
                if (vectors > 2) s2 = Vector256.LoadUnsafe(ref start, (nuint)(2 * width));
                if (vectors > 3) s3 = Vector256.LoadUnsafe(ref start, (nuint)(3 * width));
            }
            for (int r = 0; r < rows; r++)
            {
                ref Real row = ref Unsafe.Add(ref m, r * ld);
                s0 += Vector256.LoadUnsafe(ref row);
                if (vectors > 1) s1 += Vector256.LoadUnsafe(ref row, (nuint)width);
                if (vectors > 2) s2 += Vector256.LoadUnsafe(ref row, (nuint)(2 * width));
                if (vectors > 3) s3 += Vector256.LoadUnsafe(ref row, (nuint)(3 * width));
            }
            ref Real d = ref MemoryMarshal.GetReference(sums);
            s0.StoreUnsafe(ref d);
            if (vectors > 1) s1.StoreUnsafe(ref d, (nuint)width);
            if (vectors > 2) s2.StoreUnsafe(ref d, (nuint)(2 * width));
            if (vectors > 3) s3.StoreUnsafe(ref d, (nuint)(3 * width));
            return;
        }
        if (!accumulate) sums.Clear();
        for (int r = 0; r < rows; r++) Add(sums, matrix.Slice(r * ld, n), sums);
    }

    /// <summary>
    /// Detects one-hot input (Keras's to_categorical): true when each of the <paramref name="rows"/> rows of
    /// <paramref name="x"/> (width <paramref name="width"/>) holds only zeros and at most one 1, with the 1's
    /// column (−1 for an all-zero row) in <paramref name="index"/>. Stops at the first other row, so general
    /// float input costs about one vector compare per row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool FindOneHotRows(ReadOnlySpan<Real> x, int rows, int width, Span<int> index)
    {
        int vector = Vector256<Real>.Count;
        ref Real start = ref MemoryMarshal.GetReference(x);
        if (x.Length < rows * width) throw new ArgumentException("FindOneHotRows: input shorter than rows × width");
        for (int r = 0; r < rows; r++)
        {
            ref Real row = ref Unsafe.Add(ref start, r * width);
            int found = -1, j = 0;
            for (; j + vector <= width; j += vector)
            {
                var v = Vector256.LoadUnsafe(ref row, (nuint)j);
                if (Vector256.EqualsAll(v, Vector256<Real>.Zero)) continue;
                for (int l = 0; l < vector; l++)
                {
                    Real value = Unsafe.Add(ref row, j + l);
                    if (value == 0) continue;
                    if (value != 1 || found >= 0) return false;
                    found = j + l;
                }
            }
            for (; j < width; j++)
            {
                Real value = Unsafe.Add(ref row, j);
                if (value == 0) continue;
                if (value != 1 || found >= 0) return false;
                found = j;
            }
            index[r] = found;
        }
        return true;
    }

    /// <summary>
    /// The product of one-hot rows with a matrix, as a gather: y[r, :] = table[index[r], :] + bias (bias only for
    /// index −1). table [V, n], y [rows, n] with rows = index.Length; bias n values or empty.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void GatherRows(ReadOnlySpan<Real> table, int n, ReadOnlySpan<int> index, ReadOnlySpan<Real> bias, Span<Real> y)
    {
        int width = Vector256<Real>.Count;
        if (Vectorized && bias.IsEmpty && n % width == 0 && y.Length >= index.Length * n)
        {
            // the rows of a folded projection (n = G·H, a few vectors): whole vectors, no memmove call per row
            ref Real from = ref MemoryMarshal.GetReference(table);
            ref Real to = ref MemoryMarshal.GetReference(y);
            for (int r = 0; r < index.Length; r++)
            {
                ref Real destination = ref Unsafe.Add(ref to, r * n);
                if (index[r] < 0)
                {
                    for (int j = 0; j < n; j += width) Vector256<Real>.Zero.StoreUnsafe(ref destination, (nuint)j);
                    continue;
                }
                if ((uint)((index[r] + 1) * n) > (uint)table.Length) throw new ArgumentOutOfRangeException(nameof(index));
                ref Real row = ref Unsafe.Add(ref from, index[r] * n);
                for (int j = 0; j < n; j += width) Vector256.LoadUnsafe(ref row, (nuint)j).StoreUnsafe(ref destination, (nuint)j);
            }
            return;
        }
        for (int r = 0; r < index.Length; r++)
        {
            var destination = y.Slice(r * n, n);
            if (index[r] < 0)
            {
                if (bias.IsEmpty) destination.Clear();
                else bias[..n].CopyTo(destination);
            }
            else if (bias.IsEmpty) table.Slice(index[r] * n, n).CopyTo(destination);
            else Add(table.Slice(index[r] * n, n), bias, destination);
        }
    }

    /// <summary>
    /// The transpose of <see cref="GatherRows"/> for weight gradients: g = 0, then g[index[r], :] += d[r, :] for
    /// every row with index ≥ 0 (what Xᵀ·D is when X is one-hot). g [V, n], d [rows, n].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ScatterAddRows(ReadOnlySpan<Real> d, int n, ReadOnlySpan<int> index, Span<Real> g)
    {
        g.Clear();
        int width = Vector256<Real>.Count;
        if (Vectorized && n % width == 0 && d.Length >= index.Length * n)
        {
            // rows of a few vectors (n = G·H): added in registers, no call per row
            ref Real from = ref MemoryMarshal.GetReference(d);
            ref Real to = ref MemoryMarshal.GetReference(g);
            for (int r = 0; r < index.Length; r++)
            {
                if (index[r] < 0) continue;
                if ((uint)((index[r] + 1) * n) > (uint)g.Length) throw new ArgumentOutOfRangeException(nameof(index));
                ref Real row = ref Unsafe.Add(ref to, index[r] * n);
                ref Real source = ref Unsafe.Add(ref from, r * n);
                for (int j = 0; j < n; j += width)
                    (Vector256.LoadUnsafe(ref row, (nuint)j) + Vector256.LoadUnsafe(ref source, (nuint)j)).StoreUnsafe(ref row, (nuint)j);
            }
            return;
        }
        for (int r = 0; r < index.Length; r++)
        {
            if (index[r] < 0) continue;
            var row = g.Slice(index[r] * n, n);
            Add(row, d.Slice(r * n, n), row);
        }
    }

    /// <summary>Softmax of each row of width <paramref name="width"/>, shifted by the row maximum.</summary>
    internal static void Softmax(ReadOnlySpan<Real> x, Span<Real> y, int width)
    {
        for (int row = 0; row < x.Length; row += width)
        {
            var xs = x.Slice(row, width);
            var ys = y.Slice(row, width);
            Real max = TensorPrimitives.Max(xs);
            TensorPrimitives.Subtract(xs, max, ys);
            TensorPrimitives.Exp(ys, ys);
            Real sum = TensorPrimitives.Sum<Real>(ys);
            TensorPrimitives.Divide(ys, sum, ys);
        }
    }
}
