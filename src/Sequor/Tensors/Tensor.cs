using System.Globalization;
using System.Text;

namespace Sequor;

/// <summary>
/// A dense row-major array of <see cref="Real"/> values (float32) with a shape, batch first:
/// <c>[batch, features]</c>, <c>[batch, time, features]</c>. Token ids travel as whole numbers in a
/// tensor too, as in Keras before the Embedding casts them.
/// </summary>
/// <remarks>
/// The backing array may be longer than the shape needs: engine buffers are sized once for the largest
/// batch and a smaller batch reuses them (Reshape), so training allocates nothing per step.
/// </remarks>
public sealed class Tensor
{
    private Real[] data;
    private int[] shape;

    /// <summary>A zero tensor of the given shape.</summary>
    public Tensor(params int[] shape)
    {
        this.shape = CheckedShape(shape);
        Length = Product(this.shape);
        AllocationLimit.Check(Length, this.shape);
        data = new Real[Length];
    }

    /// <summary>A tensor over <paramref name="data"/> (not copied) with the given shape.</summary>
    public Tensor(Real[] data, params int[] shape)
    {
        this.shape = CheckedShape(shape);
        Length = Product(this.shape);
        if (data.Length < Length)
            throw new SequorException($"Tensor: {data.Length} values cannot fill shape {Format(shape)} ({Length} values)");
        this.data = data;
    }

    /// <summary>The dimensions, batch first.</summary>
    public ReadOnlySpan<int> Shape => shape;

    public int Rank => shape.Length;

    /// <summary>Number of elements (the product of the shape).</summary>
    public int Length { get; private set; }

    /// <summary>The elements in row-major order.</summary>
    public Span<Real> Span => data.AsSpan(0, Length);

    internal Real[] Data => data;

    public Real this[int i]
    {
        get => data[CheckIndex(i, Length)];
        set => data[CheckIndex(i, Length)] = value;
    }

    public Real this[int i, int j]
    {
        get => data[Offset(i, j)];
        set => data[Offset(i, j)] = value;
    }

    public Real this[int i, int j, int k]
    {
        get => data[Offset(i, j, k)];
        set => data[Offset(i, j, k)] = value;
    }

    /// <summary>Size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int Dim(int axis) => shape[axis < 0 ? shape.Length + axis : axis];

    /// <summary>
    /// Gives this tensor a new shape, keeping its buffer when it is large enough (values are then kept
    /// in place, not cleared). Allocates only when the buffer must grow.
    /// </summary>
    internal Tensor Reshape(ReadOnlySpan<int> newShape)
    {
        if (newShape.Length != shape.Length) shape = new int[newShape.Length];
        newShape.CopyTo(shape);
        Length = Product(shape);
        if (data.Length < Length) data = new Real[Length];
        return this;
    }

    internal Tensor Reshape(int d0) { Span<int> s = [d0]; return Reshape(s); }

    internal Tensor Reshape(int d0, int d1) { Span<int> s = [d0, d1]; return Reshape(s); }

    internal Tensor Reshape(int d0, int d1, int d2) { Span<int> s = [d0, d1, d2]; return Reshape(s); }

    /// <summary>True when the shapes are equal.</summary>
    public bool HasShape(params int[] other) => shape.AsSpan().SequenceEqual(other);

    public Tensor Clone() => new(Span.ToArray(), shape.ToArray());

    /// <summary>A tensor from a matrix.</summary>
    public static Tensor FromArray(Real[,] values)
    {
        var t = new Tensor(values.GetLength(0), values.GetLength(1));
        int k = 0;
        foreach (var v in values) t.data[k++] = v;
        return t;
    }

    /// <summary>A tensor from a 3-D array.</summary>
    public static Tensor FromArray(Real[,,] values)
    {
        var t = new Tensor(values.GetLength(0), values.GetLength(1), values.GetLength(2));
        int k = 0;
        foreach (var v in values) t.data[k++] = v;
        return t;
    }

    /// <summary>A <c>[rows, columns]</c> tensor of token ids (all rows the same length).</summary>
    public static Tensor FromIds(int[][] rows)
    {
        int columns = rows.Length == 0 ? 0 : rows[0].Length;
        var t = new Tensor(rows.Length, columns);
        for (int i = 0; i < rows.Length; i++)
        {
            if (rows[i].Length != columns)
                throw new SequorException($"Tensor.FromIds: row {i} has {rows[i].Length} ids, expected {columns} like row 0 (pad the sequences first)");
            for (int j = 0; j < columns; j++) t.data[i * columns + j] = rows[i][j];
        }
        return t;
    }

    /// <summary>Formats a shape as Keras prints it, e.g. <c>(64, 100, 16)</c>.</summary>
    public static string Format(ReadOnlySpan<int> shape)
    {
        var sb = new StringBuilder("(");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(shape[i] < 0 ? "None" : shape[i].ToString(CultureInfo.InvariantCulture));
        }
        if (shape.Length == 1) sb.Append(',');
        return sb.Append(')').ToString();
    }

    public override string ToString() => $"Tensor{Format(shape)}";

    private static int[] CheckedShape(int[] shape)
    {
        foreach (int d in shape)
            if (d < 0) throw new SequorException($"Tensor: negative dimension in shape {Format(shape)}");
        return shape.ToArray();
    }

    internal static int Product(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            n *= d;
            if (n > Array.MaxLength) throw new SequorException($"Tensor: shape {Format(shape)} has more than {Array.MaxLength} elements");
        }
        return (int)n;
    }

    private static int CheckIndex(int i, int length)
    {
        if ((uint)i >= (uint)length) throw new IndexOutOfRangeException($"index {i} is outside [0, {length})");
        return i;
    }

    private int Offset(int i, int j)
    {
        if (shape.Length != 2 || (uint)i >= (uint)shape[0] || (uint)j >= (uint)shape[1])
            throw new IndexOutOfRangeException($"index [{i}, {j}] is outside shape {Format(shape)}");
        return i * shape[1] + j;
    }

    private int Offset(int i, int j, int k)
    {
        if (shape.Length != 3 || (uint)i >= (uint)shape[0] || (uint)j >= (uint)shape[1] || (uint)k >= (uint)shape[2])
            throw new IndexOutOfRangeException($"index [{i}, {j}, {k}] is outside shape {Format(shape)}");
        return (i * shape[1] + j) * shape[2] + k;
    }
}
