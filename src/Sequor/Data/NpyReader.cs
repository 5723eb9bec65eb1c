using System.Buffers.Binary;

namespace Sequor.Data;

/// <summary>
/// Reads numpy <c>.npy</c> files as <c>numpy.load(path, allow_pickle=True)</c> would for numeric arrays
/// and for object arrays of int lists — without executing any pickle.
/// </summary>
public static class NpyReader
{
    /// <summary>Reads the <c>.npy</c> file at <paramref name="path"/>.</summary>
    public static NpyArray Read(string path)
    {
        byte[] bytes;
        RegularFile.Check(path, "npy file");
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new SequorException($"npy file '{path}': cannot be read ({e.Message})", e);
        }
        return Read(bytes, path);
    }

    /// <summary>Reads a <c>.npy</c> image held in memory; <paramref name="source"/> names it in error messages.</summary>
    public static NpyArray Read(byte[] bytes, string source = "<memory>")
    {
        var header = NpyHeader.Parse(bytes, source);
        long count = header.Shape.Contains(0) ? 0 : 1;
        foreach (int d in header.Shape)
        {
            if (count == 0) break;
            count *= d;
            // Checked as we go (every element takes at least one byte, pickled or not), so a shape of
            // 2^40 elements fails here rather than in an allocation.
            if (count > bytes.Length - header.DataOffset || count > int.MaxValue)
                throw new SequorException($"npy file '{source}': shape {Tensor.Format(header.Shape)} needs more data than the {bytes.Length - header.DataOffset} bytes present");
        }
        return header.Dtype.IsObject ? ReadObject(bytes, header, (int)count, source) : ReadNumeric(bytes, header, (int)count, source);
    }

    private static NpyArray ReadNumeric(byte[] bytes, NpyHeader header, int count, string source)
    {
        var dtype = header.Dtype;
        long needed = (long)count * dtype.ItemSize;
        long present = bytes.Length - header.DataOffset;
        if (needed > present)
            throw new SequorException($"npy file '{source}': shape {Tensor.Format(header.Shape)} of {dtype.Descr} needs {needed} bytes of data but {present} are present");
        var raw = bytes.AsSpan(header.DataOffset, (int)needed);
        var data = ToLittleEndianCOrder(raw, dtype, header.Shape, header.FortranOrder);
        return new NpyArray(dtype, header.Shape, header.FortranOrder, data);
    }

    internal static byte[] ToLittleEndianCOrder(ReadOnlySpan<byte> raw, NpyDtype dtype, int[] shape, bool fortran)
    {
        int size = dtype.ItemSize;
        byte[] data;
        if (!fortran || shape.Length < 2) data = raw.ToArray();
        else
        {
            data = new byte[raw.Length];
            // Walk the C-order multi-index and fetch each element from its column-major offset.
            var index = new int[shape.Length];
            var fStride = new long[shape.Length];
            long s = 1;
            for (int d = 0; d < shape.Length; d++) { fStride[d] = s; s *= shape[d]; }
            int count = raw.Length / size;
            for (int c = 0; c < count; c++)
            {
                long f = 0;
                for (int d = 0; d < shape.Length; d++) f += index[d] * fStride[d];
                raw.Slice((int)(f * size), size).CopyTo(data.AsSpan(c * size, size));
                for (int d = shape.Length - 1; d >= 0; d--)
                {
                    if (++index[d] < shape[d]) break;
                    index[d] = 0;
                }
            }
        }
        if (dtype.BigEndian) NpyArray.SwapInPlace(data, size);
        if (dtype.Kind == 'b')
            for (int i = 0; i < data.Length; i++) data[i] = data[i] != 0 ? (byte)1 : (byte)0;
        return data;
    }

    private static NpyArray ReadObject(byte[] bytes, NpyHeader header, int count, string source)
    {
        object root = Unpickler.Load(bytes, header.DataOffset, source);
        if (root is not Unpickler.PyNdArray { Data: Unpickler.PyList list } array || array.Dtype is not { TypeStr: "O8" or "O4" or "O" })
            throw new SequorException($"npy file '{source}': the pickle does not hold a numpy object array");
        var items = list.Objects;
        if (items.Count != count || NpyArray.ProductOf(array.Shape) != count)
            throw new SequorException($"npy file '{source}': header shape {Tensor.Format(header.Shape)} does not match the pickled array of {items.Count} elements");
        CheckExpansion(items, bytes.Length - header.DataOffset, source);
        // Int32 lists (Keras's reviews) are taken as they are, without a copy; wider values make the array Int64.
        var narrow = new int[count][];
        long[][]? wide = null;
        for (int i = 0; i < count; i++)
        {
            if (wide is null && items[i] is Unpickler.PyList { Ints: { } ints })
            {
                narrow[i] = ints;
                continue;
            }
            if (wide is null)
            {
                wide = new long[count][];
                for (int j = 0; j < i; j++) wide[j] = Array.ConvertAll(narrow[j], v => (long)v);
            }
            wide[i] = Sequence(items[i], i, source);
        }
        bool fortran = header.FortranOrder && header.Shape.Length > 1;
        return wide is null
            ? new NpyArray(header.Shape, fortran ? ReorderFortran(narrow, header.Shape) : narrow)
            : new NpyArray(header.Shape, fortran ? ReorderFortran(wide, header.Shape) : wide);
    }

    /// <summary>
    /// A pickle writes every id of a list it has not written before (two bytes at least), but may refer back to a
    /// list already written (its memo) for one byte or two: numpy shares such a list, while every consumer of the
    /// reviews (Keras's load_data, pad_sequences, Sequor alike) copies it once per reference. So the ids all elements
    /// reference together are bounded by the pickle's own size: a 2 MB pickle that names one 1,000-id list a
    /// million times is refused here instead of growing into 4 GB of copies.
    /// </summary>
    private static void CheckExpansion(List<object> items, int pickleBytes, string source)
    {
        long limit = Math.Max(pickleBytes, 1L << 20), total = 0;
        foreach (var item in items)
        {
            total += item switch
            {
                Unpickler.PyList list => list.Count,
                Unpickler.PyNdArray { Shape: var shape } => NpyArray.ProductOf(shape),
                _ => 0,
            };
            if (total > limit)
                throw new SequorException($"npy file '{source}': its {items.Count} elements reference more than {limit} ids in all from a {pickleBytes}-byte pickle (lists shared through the pickle memo; at most one id per pickle byte, or 1,048,576, is read)");
        }
    }

    private static T[] ReorderFortran<T>(T[] f, int[] shape)
    {
        var c = new T[f.Length];
        var index = new int[shape.Length];
        for (int i = 0; i < f.Length; i++)
        {
            long off = 0, stride = 1;
            for (int d = 0; d < shape.Length; d++) { off += index[d] * stride; stride *= shape[d]; }
            c[i] = f[off];
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                if (++index[d] < shape[d]) break;
                index[d] = 0;
            }
        }
        return c;
    }

    private static long[] Sequence(object element, int i, string source)
    {
        switch (element)
        {
            case Unpickler.PyList { Ints: { } ints }:
                return Array.ConvertAll(ints, v => (long)v);
            case Unpickler.PyList pyList:
            {
                var list = pyList.Objects;
                var r = new long[list.Count];
                for (int j = 0; j < r.Length; j++)
                    r[j] = list[j] switch
                    {
                        long v => v,
                        bool b => b ? 1 : 0,
                        _ => throw new SequorException($"npy file '{source}': element {i} item {j} is not an int"),
                    };
                return r;
            }
            case Unpickler.PyNdArray { Data: byte[] raw, Dtype: { } dt } nested:
            {
                string descr = (dt.ByteOrder is '<' or '>' or '|' or '=' ? dt.ByteOrder.ToString() : "") + dt.TypeStr;
                if (!NpyDtype.TryParse(descr, out var dtype) || dtype.Kind is not ('i' or 'u' or 'b'))
                    throw new SequorException($"npy file '{source}': element {i} is an array of dtype '{dt.TypeStr}', expected integers");
                long n = NpyArray.ProductOf(nested.Shape);
                if (n > raw.Length || n * dtype.ItemSize != raw.Length)
                    throw new SequorException($"npy file '{source}': element {i} has {raw.Length} data bytes for shape {Tensor.Format(nested.Shape)}");
                var le = ToLittleEndianCOrder(raw, dtype, nested.Shape, nested.Fortran);
                var r = new long[n];
                for (int j = 0; j < r.Length; j++)
                {
                    var span = le.AsSpan(j * dtype.ItemSize);
                    r[j] = (dtype.Kind, dtype.ItemSize) switch
                    {
                        ('i', 1) => (sbyte)span[0],
                        ('i', 2) => BinaryPrimitives.ReadInt16LittleEndian(span),
                        ('i', 4) => BinaryPrimitives.ReadInt32LittleEndian(span),
                        ('i', _) => BinaryPrimitives.ReadInt64LittleEndian(span),
                        (_, 1) => span[0],
                        (_, 2) => BinaryPrimitives.ReadUInt16LittleEndian(span),
                        (_, 4) => BinaryPrimitives.ReadUInt32LittleEndian(span),
                        _ => BinaryPrimitives.ReadUInt64LittleEndian(span) is var u && u <= long.MaxValue
                            ? (long)u : throw new SequorException($"npy file '{source}': element {i} item {j} is beyond Int64"),
                    };
                }
                return r;
            }
            default:
                throw new SequorException($"npy file '{source}': element {i} is neither a list of ints nor an integer array");
        }
    }
}
