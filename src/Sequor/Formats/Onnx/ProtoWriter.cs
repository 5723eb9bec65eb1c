using System.Buffers.Binary;
using System.Text;

namespace Sequor.Formats.Onnx;

/// <summary>
/// The protobuf wire format, as much as an ONNX file needs: varint, 32-bit and length-delimited fields. A nested
/// message is written into its own writer first, then copied in with its length (protobuf puts the length
/// before the bytes). See https://protobuf.dev/programming-guides/encoding/.
/// </summary>
internal sealed class ProtoWriter
{
    private const int Varint = 0, LengthDelimited = 2, Fixed32 = 5;
    private readonly MemoryStream buffer = new();

    public long Length => buffer.Length;

    /// <summary>An int32/int64/enum/bool field. Negative values take ten bytes (two's complement), as protobuf says.</summary>
    public void Int(int field, long value)
    {
        Tag(field, Varint);
        WriteVarint((ulong)value);
    }

    public void Float(int field, float value)
    {
        Tag(field, Fixed32);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        buffer.Write(bytes);
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, LengthDelimited);
        WriteVarint((ulong)value.Length);
        buffer.Write(value);
    }

    /// <summary>A repeated int64 field, packed (one length-delimited run of varints).</summary>
    public void PackedInts(int field, ReadOnlySpan<long> values)
    {
        var packed = new ProtoWriter();
        foreach (long v in values) packed.WriteVarint((ulong)v);
        Bytes(field, packed.buffer.GetBuffer().AsSpan(0, (int)packed.buffer.Length));
    }

    /// <summary>A repeated float field, packed (little-endian 4-byte values).</summary>
    public void PackedFloats(int field, ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        Bytes(field, bytes);
    }

    /// <summary>A nested message field.</summary>
    public void Message(int field, Action<ProtoWriter> write)
    {
        var inner = new ProtoWriter();
        write(inner);
        Bytes(field, inner.buffer.GetBuffer().AsSpan(0, (int)inner.buffer.Length));
    }

    public void CopyTo(Stream stream) => stream.Write(buffer.GetBuffer(), 0, (int)buffer.Length);

    public byte[] ToArray() => buffer.ToArray();

    private void Tag(int field, int wireType) => WriteVarint((ulong)((field << 3) | wireType));

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        buffer.WriteByte((byte)value);
    }
}
