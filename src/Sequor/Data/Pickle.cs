using System.Buffers.Binary;
using System.Text;

namespace Sequor.Data;

/// <summary>
/// Writes the pickle numpy 1.x stores in an object <c>.npy</c> (protocol 3): a 1-D object array whose
/// elements are Python lists of ints, with lists in batches of 1000 items as Python's pickler writes
/// them, so numpy's own loader (and Keras's restricted one) accept the file.
/// </summary>
internal static class Pickle
{
    private const int Batch = 1000;

    public static byte[] ObjectArray(long[][] sequences)
    {
        var o = new MemoryStream();
        o.WriteByte(0x80); o.WriteByte(3);
        Global(o, "numpy.core.multiarray", "_reconstruct");
        Global(o, "numpy", "ndarray");
        Int(o, 0); o.WriteByte(0x85);                       // (0,)
        o.WriteByte((byte)'C'); o.WriteByte(1); o.WriteByte((byte)'b');
        o.WriteByte(0x87); o.WriteByte((byte)'R');         // _reconstruct(ndarray, (0,), b'b')
        o.WriteByte((byte)'(');
        Int(o, 1);                                         // state version
        Int(o, sequences.Length); o.WriteByte(0x85);       // shape
        Global(o, "numpy", "dtype");
        Unicode(o, "O8"); o.WriteByte(0x89); o.WriteByte(0x88); o.WriteByte(0x87); o.WriteByte((byte)'R');
        o.WriteByte((byte)'(');
        Int(o, 3); Unicode(o, "|"); o.WriteByte((byte)'N'); o.WriteByte((byte)'N'); o.WriteByte((byte)'N');
        Int(o, -1); Int(o, -1); Int(o, 63);
        o.WriteByte((byte)'t'); o.WriteByte((byte)'b');    // dtype.__setstate__
        o.WriteByte(0x89);                                 // not Fortran
        o.WriteByte((byte)']');
        Batches(o, sequences.Length, i =>
        {
            o.WriteByte((byte)']');
            var s = sequences[i];
            Batches(o, s.Length, j => Int(o, s[j]));
        });
        o.WriteByte((byte)'t'); o.WriteByte((byte)'b'); o.WriteByte((byte)'.');
        return o.ToArray();
    }

    private static void Batches(MemoryStream o, int count, Action<int> item)
    {
        for (int start = 0; start < count; start += Batch)
        {
            int n = Math.Min(Batch, count - start);
            if (n == 1) { item(start); o.WriteByte((byte)'a'); continue; }
            o.WriteByte((byte)'(');
            for (int k = 0; k < n; k++) item(start + k);
            o.WriteByte((byte)'e');
        }
    }

    private static void Global(MemoryStream o, string module, string name)
    {
        o.WriteByte((byte)'c');
        o.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
    }

    private static void Unicode(MemoryStream o, string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)b.Length);
        o.WriteByte((byte)'X'); o.Write(len); o.Write(b);
    }

    private static void Int(MemoryStream o, long v)
    {
        Span<byte> b = stackalloc byte[8];
        if (v is >= 0 and <= 0xFF) { o.WriteByte((byte)'K'); o.WriteByte((byte)v); }
        else if (v is >= 0 and <= 0xFFFF) { o.WriteByte((byte)'M'); BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)v); o.Write(b[..2]); }
        else if (v is >= int.MinValue and <= int.MaxValue) { o.WriteByte((byte)'J'); BinaryPrimitives.WriteInt32LittleEndian(b, (int)v); o.Write(b[..4]); }
        else
        {
            // LONG1 with the shortest two's-complement encoding, as Python writes.
            BinaryPrimitives.WriteInt64LittleEndian(b, v);
            int n = 8;
            while (n > 1 && ((b[n - 1] == 0 && (b[n - 2] & 0x80) == 0) || (b[n - 1] == 0xFF && (b[n - 2] & 0x80) != 0))) n--;
            o.WriteByte(0x8A); o.WriteByte((byte)n); o.Write(b[..n]);
        }
    }
}
