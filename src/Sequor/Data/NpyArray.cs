using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Sequor.Data;

/// <summary>
/// One array of a numpy <c>.npy</c> file (or one member of an <c>.npz</c>): its dtype, shape and order
/// as numpy wrote them, with the values available in C (row-major) order whatever the file's order
/// and byte order were. Object arrays are supported when their elements are lists (or 1-D integer
/// arrays) of ints — the form of Keras's <c>imdb.npz</c>; read them with <see cref="ToSequences"/>.
/// </summary>
public sealed class NpyArray
{
    private readonly int[] shape;
    // Numeric values: little-endian, C order, whatever the file had.
    private readonly byte[]? data;
    // Object arrays: the sequences as Int32 when every value fits (Keras's reviews), else as Int64.
    private readonly int[][]? narrowSequences;
    private readonly long[][]? sequences;

    internal NpyArray(NpyDtype dtype, int[] shape, bool fortranOrder, byte[] littleEndianCOrder)
    {
        Type = dtype;
        this.shape = shape;
        FortranOrder = fortranOrder;
        data = littleEndianCOrder;
        long length = ProductOf(shape);
        Length = length <= int.MaxValue ? (int)length
            : throw new SequorException($"npy: shape {Tensor.Format(shape)} has {length} elements, more than one array holds ({int.MaxValue})");
    }

    internal NpyArray(int[] shape, long[][] sequences)
    {
        Type = new NpyDtype('O', 8, false);
        this.shape = shape;
        this.sequences = sequences;
        Length = sequences.Length;
    }

    internal NpyArray(int[] shape, int[][] sequences)
    {
        Type = new NpyDtype('O', 8, false);
        this.shape = shape;
        narrowSequences = sequences;
        Length = sequences.Length;
    }

    internal NpyDtype Type { get; }

    /// <summary>The numpy type string as numpy writes it: <c>&lt;i8</c>, <c>&gt;f4</c>, <c>|b1</c>, <c>|O</c>…</summary>
    public string Dtype => Type.Descr;

    /// <summary>The dimensions; empty for a 0-d (scalar) array.</summary>
    public IReadOnlyList<int> Shape => shape;

    /// <summary>Whether the file stored the elements in Fortran (column-major) order. Accessors always return C order.</summary>
    public bool FortranOrder { get; }

    /// <summary>Number of elements (the product of the shape).</summary>
    public int Length { get; }

    /// <summary>True for an object (<c>|O</c>) array of int sequences.</summary>
    public bool IsObject => Type.IsObject;

    /// <summary>An array of the given shape (default: 1-D) over a copy of <paramref name="values"/>, in C order.</summary>
    public static NpyArray FromArray<T>(T[] values, params int[] shape) where T : unmanaged
    {
        var dtype = NpyDtype.Of<T>();
        int[] s = shape.Length == 0 && values.Length != 1 ? [values.Length] : (int[])shape.Clone();
        foreach (int d in s)
            if (d < 0) throw new SequorException($"npy: negative dimension {d} in shape {Tensor.Format(s)}");
        if (ProductOf(s) != values.Length)
            throw new SequorException($"npy: {values.Length} values cannot fill shape {Tensor.Format(s)}");
        byte[] bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian) SwapInPlace(bytes, dtype.ItemSize);
        return new NpyArray(dtype, s, false, bytes);
    }

    /// <summary>A 1-D object array whose elements are lists of ints, as Keras's <c>imdb.npz</c> holds reviews.</summary>
    public static NpyArray FromSequences(int[][] sequences)
    {
        var copy = new int[sequences.Length][];
        for (int i = 0; i < sequences.Length; i++)
            copy[i] = (int[])(sequences[i] ?? throw new SequorException($"npy: sequence {i} is null")).Clone();
        return new NpyArray([sequences.Length], copy);
    }

    /// <summary>The elements as doubles (C order). Int64 values beyond 2^53 round as numpy's astype(float64) does.</summary>
    public double[] ToDoubleArray()
    {
        var d = Numeric("ToDoubleArray");
        var result = new double[Length];
        for (int i = 0; i < result.Length; i++) result[i] = ReadDouble(d, i);
        return result;
    }

    /// <summary>The elements as floats (C order), converted like numpy's astype(float32).</summary>
    public float[] ToFloatArray()
    {
        var d = Numeric("ToFloatArray");
        var result = new float[Length];
        for (int i = 0; i < result.Length; i++)
            result[i] = Type.Kind switch
            {
                'f' when Type.ItemSize == 4 => BinaryPrimitives.ReadSingleLittleEndian(d.AsSpan(i * 4)),
                'i' => ReadInt64(d, i),
                'u' => ReadUInt64(d, i),
                _ => (float)ReadDouble(d, i),
            };
        return result;
    }

    /// <summary>The elements as Int64 (C order). Floats must hold whole numbers; a uint64 beyond Int64 is an error.</summary>
    public long[] ToInt64Array()
    {
        var d = Numeric("ToInt64Array");
        var result = new long[Length];
        for (int i = 0; i < result.Length; i++)
        {
            if (Type.Kind == 'f')
            {
                double v = ReadDouble(d, i);
                if (v != Math.Floor(v) || double.IsInfinity(v) || v < -9.2233720368547758E18 || v >= 9.2233720368547758E18)
                    throw new SequorException($"npy: element {i} is {v}, expected a whole number for an integer array");
                result[i] = (long)v;
            }
            else if (Type.Kind == 'u' && Type.ItemSize == 8)
            {
                ulong v = ReadUInt64(d, i);
                if (v > long.MaxValue) throw new SequorException($"npy: element {i} is {v}, beyond Int64");
                result[i] = (long)v;
            }
            else result[i] = ReadInt64(d, i);
        }
        return result;
    }

    /// <summary>The elements as unsigned 64-bit integers (C order); negative values are an error.</summary>
    public ulong[] ToUInt64Array()
    {
        if (Type.Kind == 'u') { var d = Numeric("ToUInt64Array"); var r = new ulong[Length]; for (int i = 0; i < r.Length; i++) r[i] = ReadUInt64(d, i); return r; }
        var signed = ToInt64Array();
        return Array.ConvertAll(signed, v => v < 0 ? throw new SequorException($"npy: value {v} is negative, expected an unsigned value") : (ulong)v);
    }

    /// <summary>The elements as Int32 (C order), e.g. labels; values outside Int32 are an error.</summary>
    public int[] ToInt32Array()
    {
        var wide = ToInt64Array();
        var result = new int[wide.Length];
        for (int i = 0; i < wide.Length; i++)
        {
            if (wide[i] < int.MinValue || wide[i] > int.MaxValue)
                throw new SequorException($"npy: element {i} is {wide[i]}, outside the Int32 range");
            result[i] = (int)wide[i];
        }
        return result;
    }

    /// <summary>The elements of an object array of int lists (Keras's reviews); ids outside Int32 are an error.</summary>
    public int[][] ToSequences()
    {
        if (narrowSequences is not null) return Array.ConvertAll(narrowSequences, s => (int[])s.Clone());
        if (sequences is null)
            throw new SequorException($"npy: ToSequences needs an object array of int lists, this array has dtype '{Dtype}'");
        var result = new int[sequences.Length][];
        for (int i = 0; i < sequences.Length; i++)
        {
            var s = sequences[i];
            var r = new int[s.Length];
            for (int j = 0; j < s.Length; j++)
            {
                if (s[j] < int.MinValue || s[j] > int.MaxValue)
                    throw new SequorException($"npy: sequence {i} item {j} is {s[j]}, outside the Int32 range");
                r[j] = (int)s[j];
            }
            result[i] = r;
        }
        return result;
    }

    internal long[][] Int64Sequences => sequences
        ?? (narrowSequences is not null ? Array.ConvertAll(narrowSequences, s => Array.ConvertAll(s, v => (long)v)) : null)
        ?? throw new SequorException($"npy: expected an object array of int lists, got dtype '{Dtype}'");

    /// <summary>The sequences as Int32, without a copy when they were read as such (the caller must not change them).</summary>
    internal int[][] Int32Sequences => narrowSequences ?? ToSequences();

    internal ReadOnlySpan<byte> RawLittleEndian => data;

    public override string ToString() => $"NpyArray({Dtype}, {Tensor.Format(shape)})";

    private byte[] Numeric(string what) =>
        data ?? throw new SequorException($"npy: {what} needs a numeric array, this is an object array (use ToSequences)");

    private long ReadInt64(byte[] d, int i) => Type.Kind switch
    {
        'b' => d[i] != 0 ? 1 : 0,
        'i' => Type.ItemSize switch
        {
            1 => (sbyte)d[i],
            2 => BinaryPrimitives.ReadInt16LittleEndian(d.AsSpan(i * 2)),
            4 => BinaryPrimitives.ReadInt32LittleEndian(d.AsSpan(i * 4)),
            _ => BinaryPrimitives.ReadInt64LittleEndian(d.AsSpan(i * 8)),
        },
        'u' => (long)ReadUInt64(d, i),
        _ => (long)ReadDouble(d, i),
    };

    private ulong ReadUInt64(byte[] d, int i) => Type.ItemSize switch
    {
        1 => d[i],
        2 => BinaryPrimitives.ReadUInt16LittleEndian(d.AsSpan(i * 2)),
        4 => BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(i * 4)),
        _ => BinaryPrimitives.ReadUInt64LittleEndian(d.AsSpan(i * 8)),
    };

    private double ReadDouble(byte[] d, int i) => Type.Kind switch
    {
        'f' => Type.ItemSize switch
        {
            2 => (double)BinaryPrimitives.ReadHalfLittleEndian(d.AsSpan(i * 2)),
            4 => BinaryPrimitives.ReadSingleLittleEndian(d.AsSpan(i * 4)),
            _ => BinaryPrimitives.ReadDoubleLittleEndian(d.AsSpan(i * 8)),
        },
        'u' => ReadUInt64(d, i),
        _ => ReadInt64(d, i),
    };

    /// <summary>
    /// The element count of <paramref name="shape"/> in 64 bits, as numpy counts it (any zero dimension makes 0); a
    /// product beyond Int64 — only a hostile header has one — is a SequorException, never an OverflowException.
    /// </summary>
    internal static long ProductOf(ReadOnlySpan<int> shape)
    {
        foreach (int d in shape)
            if (d == 0) return 0;
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0 || n > long.MaxValue / d)
                throw new SequorException($"npy: shape {Tensor.Format(shape.ToArray())} has more elements than a 64-bit count holds");
            n *= d;
        }
        return n;
    }

    internal static void SwapInPlace(Span<byte> bytes, int itemSize)
    {
        if (itemSize == 1) return;
        for (int i = 0; i + itemSize <= bytes.Length; i += itemSize) bytes.Slice(i, itemSize).Reverse();
    }
}
