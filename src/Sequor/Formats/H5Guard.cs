using System.Buffers.Binary;

namespace Sequor.Formats;

/// <summary>
/// Checks, before PureHDF sees a file, the HDF5 structures whose stored lengths PureHDF turns directly into
/// buffer sizes: global heap collections (variable-length strings such as <c>model_config</c>) and local
/// heaps (group member names). A damaged length there would otherwise make PureHDF allocate up to 2 GB.
/// </summary>
/// <remarks>
/// Lengths are read as 8 bytes, the "size of lengths" that h5py, Keras and PureHDF always write. The scan
/// looks for the structures' signatures anywhere in the file; a false match only costs a stricter check.
/// </remarks>
internal static class H5Guard
{
    private static ReadOnlySpan<byte> GlobalHeap => "GCOL"u8;
    private static ReadOnlySpan<byte> LocalHeap => "HEAP"u8;
    private static ReadOnlySpan<byte> ObjectHeader => "OHDR"u8;

    internal static void Check(ReadOnlySpan<byte> file)
    {
        for (int at = file.IndexOf(GlobalHeap); at >= 0; at = Next(file, at, GlobalHeap)) CheckGlobalHeap(file, at);
        for (int at = file.IndexOf(LocalHeap); at >= 0; at = Next(file, at, LocalHeap)) CheckLocalHeap(file, at);
        for (int at = file.IndexOf(ObjectHeader); at >= 0; at = Next(file, at, ObjectHeader)) CheckObjectHeader(file, at);
    }

    // Version 2 object headers (PureHDF and libver='latest' files) end in a checksum that PureHDF does not verify;
    // their messages hold lengths (link names, attribute sizes) that PureHDF allocates as read. A checksum match
    // means the lengths are as written. Layout: OHDR, version, flags, [4 times], [2 attribute limits],
    // chunk size (1, 2, 4 or 8 bytes by flags), messages, Jenkins lookup3 checksum.
    private static void CheckObjectHeader(ReadOnlySpan<byte> file, int at)
    {
        if (at + 6 > file.Length) throw Damaged("object header", at, "is cut short");
        byte flags = file[at + 5];
        int prefix = 6 + ((flags & 0x20) != 0 ? 16 : 0) + ((flags & 0x10) != 0 ? 4 : 0);
        int sizeBytes = 1 << (flags & 3);
        if (at + prefix + sizeBytes > file.Length) throw Damaged("object header", at, "is cut short");
        ulong chunk = 0;
        for (int i = 0; i < sizeBytes; i++) chunk |= (ulong)file[at + prefix + i] << (8 * i);
        long checksumAt = at + prefix + sizeBytes + (long)Math.Min(chunk, (ulong)file.Length);
        if (chunk > (ulong)file.Length || checksumAt + 4 > file.Length) throw Damaged("object header", at, $"claims {chunk} bytes");
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(file[(int)checksumAt..]);
        if (Lookup3(file[at..(int)checksumAt]) != stored)
            throw new SequorException($"damaged HDF5: the object header at byte {at} fails its checksum");
    }

    /// <summary>Bob Jenkins's lookup3 <c>hashlittle</c> with initial value 0, HDF5's metadata checksum.</summary>
    internal static uint Lookup3(ReadOnlySpan<byte> key)
    {
        uint a, b, c;
        a = b = c = 0xdeadbeef + (uint)key.Length;
        while (key.Length > 12)
        {
            a += BinaryPrimitives.ReadUInt32LittleEndian(key);
            b += BinaryPrimitives.ReadUInt32LittleEndian(key[4..]);
            c += BinaryPrimitives.ReadUInt32LittleEndian(key[8..]);
            a -= c; a ^= uint.RotateLeft(c, 4); c += b;
            b -= a; b ^= uint.RotateLeft(a, 6); a += c;
            c -= b; c ^= uint.RotateLeft(b, 8); b += a;
            a -= c; a ^= uint.RotateLeft(c, 16); c += b;
            b -= a; b ^= uint.RotateLeft(a, 19); a += c;
            c -= b; c ^= uint.RotateLeft(b, 4); b += a;
            key = key[12..];
        }
        if (key.Length == 0) return c;
        Span<byte> tail = stackalloc byte[12];
        tail.Clear();
        key.CopyTo(tail);
        a += BinaryPrimitives.ReadUInt32LittleEndian(tail);
        b += BinaryPrimitives.ReadUInt32LittleEndian(tail[4..]);
        c += BinaryPrimitives.ReadUInt32LittleEndian(tail[8..]);
        c ^= b; c -= uint.RotateLeft(b, 14);
        a ^= c; a -= uint.RotateLeft(c, 11);
        b ^= a; b -= uint.RotateLeft(a, 25);
        c ^= b; c -= uint.RotateLeft(b, 16);
        a ^= c; a -= uint.RotateLeft(c, 4);
        b ^= a; b -= uint.RotateLeft(a, 14);
        c ^= b; c -= uint.RotateLeft(b, 24);
        return c;
    }

    private static int Next(ReadOnlySpan<byte> file, int at, ReadOnlySpan<byte> signature)
    {
        int next = file[(at + 1)..].IndexOf(signature);
        return next < 0 ? -1 : at + 1 + next;
    }

    // GCOL, version, 3 reserved, collection size (8); then objects: index (2), references (2), reserved (4),
    // size (8), data padded to 8 bytes.
    private static void CheckGlobalHeap(ReadOnlySpan<byte> file, int at)
    {
        if (at + 16 > file.Length) throw Damaged("global heap", at, "is cut short");
        ulong size = BinaryPrimitives.ReadUInt64LittleEndian(file[(at + 8)..]);
        if (size < 16 || size > (ulong)(file.Length - at)) throw Damaged("global heap", at, $"claims {size} bytes");
        long end = at + (long)size, offset = at + 16;
        while (offset + 16 <= end)
        {
            ushort index = BinaryPrimitives.ReadUInt16LittleEndian(file[(int)offset..]);
            ulong objectSize = BinaryPrimitives.ReadUInt64LittleEndian(file[(int)(offset + 8)..]);
            // Object 0 is the collection's free space; its size counts its own header, and it ends the list.
            if (index == 0)
            {
                if (objectSize > (ulong)(end - offset)) throw Damaged("global heap free space", offset, $"claims {objectSize} bytes");
                break;
            }
            if (objectSize > (ulong)(end - offset - 16)) throw Damaged("global heap object", offset, $"claims {objectSize} bytes");
            offset += 16 + (long)((objectSize + 7) & ~7UL);
        }
    }

    // HEAP, version, 3 reserved, data segment size (8), free list offset (8), data segment address (8).
    private static void CheckLocalHeap(ReadOnlySpan<byte> file, int at)
    {
        if (at + 32 > file.Length) throw Damaged("local heap", at, "is cut short");
        ulong size = BinaryPrimitives.ReadUInt64LittleEndian(file[(at + 8)..]);
        if (size > (ulong)file.Length) throw Damaged("local heap", at, $"claims {size} bytes");
    }

    private static SequorException Damaged(string what, long at, string problem) =>
        new($"damaged HDF5: the {what} at byte {at} {problem}, more than the file holds");
}
