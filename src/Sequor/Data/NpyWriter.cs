using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Sequor.Data;

/// <summary>
/// Writes numpy <c>.npy</c> files that <c>numpy.load</c> reads back equal: numeric arrays little-endian in C
/// order, object arrays of int lists as the protocol-3 pickle numpy 1.x writes. Like numpy, the header
/// is padded to a multiple of 64 bytes with room for the first dimension to grow; version 1.0 unless the
/// header needs 2.0.
/// </summary>
public static class NpyWriter
{
    /// <summary>Writes <paramref name="array"/> to <paramref name="path"/> (through a temporary file, then renamed).</summary>
    public static void Write(string path, NpyArray array) => AtomicFile.Write(path, s => Write(s, array));

    /// <summary>Writes <paramref name="array"/> as a <c>.npy</c> image to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, NpyArray array)
    {
        stream.Write(Header(array));
        if (array.IsObject) stream.Write(Pickle.ObjectArray(array.Int64Sequences));
        else
        {
            var raw = array.RawLittleEndian;
            if (array.Type.BigEndian)
            {
                // Keep the dtype the array came with: swap back to big-endian on the way out.
                var copy = raw.ToArray();
                NpyArray.SwapInPlace(copy, array.Type.ItemSize);
                stream.Write(copy);
            }
            else stream.Write(raw);
        }
    }

    internal static byte[] Header(NpyArray array)
    {
        var shape = array.Shape;
        string shapeText = shape.Count switch
        {
            0 => "()",
            1 => $"({shape[0]},)",
            _ => "(" + string.Join(", ", shape) + ")",
        };
        var sb = new StringBuilder();
        sb.Append("{'descr': '").Append(array.Dtype).Append("', 'fortran_order': False, 'shape': ").Append(shapeText).Append(", }");
        // numpy leaves room for the growth axis to reach 21 digits so a header can be rewritten in place.
        if (shape.Count > 0) sb.Append(' ', Math.Max(0, 21 - shape[0].ToString(CultureInfo.InvariantCulture).Length));
        int prefix = 10;
        int total = prefix + sb.Length + 1;
        if (total - prefix > ushort.MaxValue) prefix = 12;
        int pad = (64 - (prefix + sb.Length + 1) % 64) % 64;
        sb.Append(' ', pad).Append('\n');
        byte[] text = Encoding.Latin1.GetBytes(sb.ToString());
        var header = new byte[prefix + text.Length];
        header[0] = 0x93;
        "NUMPY"u8.CopyTo(header.AsSpan(1));
        header[6] = prefix == 10 ? (byte)1 : (byte)2;
        header[7] = 0;
        if (prefix == 10) BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), (ushort)text.Length);
        else BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), (uint)text.Length);
        text.CopyTo(header, prefix);
        return header;
    }
}
