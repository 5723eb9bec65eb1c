using System.Buffers.Binary;

namespace Sequor.Data;

/// <summary>
/// Checks a zip archive's central directory before any member is inflated (.npz and .keras files): every entry's
/// data must lie inside the archive, before the central directory, without overlapping another entry's, and its
/// declared size must be one its compressed bytes can hold (stored: equal; deflated: at most about 1032 times as
/// many). So a 39 KB file whose 500 entries all point at one 10 MB member, or a member that claims gigabytes from
/// a few bytes, is refused by reading the directory alone.
/// </summary>
internal static class ZipLayout
{
    // Deflate cannot expand more than about 1032:1; a member claiming more is corrupt or a bomb.
    internal const long MaxDeflateRatio = 1032;
    private const int MaxEntries = 65_536;

    internal static void Check(Stream stream, string what)
    {
        long length = stream.Length;
        var (directoryOffset, directorySize, count) = EndOfDirectory(stream, length, what);
        if (count > MaxEntries) throw Bad(what, $"has {count} entries (at most {MaxEntries} are read)");
        if (directoryOffset < 0 || directorySize < 0 || directoryOffset + directorySize > length)
            throw Bad(what, $"its central directory ({directorySize} bytes at {directoryOffset}) lies outside the {length}-byte file");
        var directory = Read(stream, directoryOffset, (int)Math.Min(directorySize, int.MaxValue), what);
        var spans = new List<(long Start, long End, string Name)>();
        int at = 0;
        for (long i = 0; i < count; i++)
        {
            if (at + 46 > directory.Length || BinaryPrimitives.ReadUInt32LittleEndian(directory.AsSpan(at)) != 0x02014b50)
                throw Bad(what, $"central directory entry {i} is damaged");
            var entry = directory.AsSpan(at);
            int method = BinaryPrimitives.ReadUInt16LittleEndian(entry[10..]);
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(entry[20..]);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(entry[24..]);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(entry[28..]);
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(entry[30..]);
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(entry[32..]);
            long offset = BinaryPrimitives.ReadUInt32LittleEndian(entry[42..]);
            if (at + 46 + nameLength + extraLength + commentLength > directory.Length) throw Bad(what, $"central directory entry {i} is cut short");
            string name = Printable.Of(System.Text.Encoding.UTF8.GetString(entry.Slice(46, nameLength)), 80);
            Zip64(entry.Slice(46 + nameLength, extraLength), ref size, ref compressed, ref offset);
            at += 46 + nameLength + extraLength + commentLength;

            if (offset < 0 || offset + 30 > directoryOffset) throw Bad(what, $"entry '{name}' starts at {offset}, outside the archive's data");
            var local = Read(stream, offset, 30, what);
            if (BinaryPrimitives.ReadUInt32LittleEndian(local) != 0x04034b50) throw Bad(what, $"entry '{name}' has no local header at {offset}");
            long start = offset + 30 + BinaryPrimitives.ReadUInt16LittleEndian(local.AsSpan(26)) + BinaryPrimitives.ReadUInt16LittleEndian(local.AsSpan(28));
            long end = start + compressed;
            if (compressed < 0 || end > directoryOffset)
                throw Bad(what, $"entry '{name}' claims {compressed} compressed bytes, more than the archive holds");
            if (size < 0 || (method == 0 && size != compressed) || (method != 0 && size > compressed * MaxDeflateRatio + 1024))
                throw Bad(what, $"entry '{name}' declares {size} bytes from {compressed} compressed bytes (at most {MaxDeflateRatio}:1 is possible)");
            if (name.EndsWith('/') && size == 0) continue;
            spans.Add((offset, end, name));
        }
        spans.Sort((a, b) => a.Start.CompareTo(b.Start));
        for (int k = 1; k < spans.Count; k++)
            if (spans[k].Start < spans[k - 1].End)
                throw Bad(what, $"entries '{spans[k - 1].Name}' and '{spans[k].Name}' overlap (bytes {spans[k].Start}..{spans[k - 1].End})");
    }

    private static (long Offset, long Size, long Count) EndOfDirectory(Stream stream, long length, string what)
    {
        int tail = (int)Math.Min(length, 22 + 65_535);
        var bytes = Read(stream, length - tail, tail, what);
        for (int i = tail - 22; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i)) != 0x06054b50) continue;
            long count = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i + 10));
            long size = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i + 12));
            long offset = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i + 16));
            // ZIP64: the locator sits just before the end record and points at the 64-bit end record
            if ((count == 0xFFFF || size == 0xFFFFFFFF || offset == 0xFFFFFFFF) && i >= 20
                && BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i - 20)) == 0x07064b50)
            {
                long at = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(i - 12));
                if (at < 0 || at + 56 > length) throw Bad(what, "its ZIP64 end record lies outside the file");
                var end = Read(stream, at, 56, what);
                if (BinaryPrimitives.ReadUInt32LittleEndian(end) != 0x06064b50) throw Bad(what, "its ZIP64 end record is damaged");
                count = (long)BinaryPrimitives.ReadUInt64LittleEndian(end.AsSpan(32));
                size = (long)BinaryPrimitives.ReadUInt64LittleEndian(end.AsSpan(40));
                offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(end.AsSpan(48));
            }
            return (offset, size, count);
        }
        throw Bad(what, "has no end-of-central-directory record (not a zip archive)");
    }

    // ZIP64 extra field (id 1): the 64-bit sizes and offset, each present only when its 32-bit field is 0xFFFFFFFF.
    private static void Zip64(ReadOnlySpan<byte> extra, ref long size, ref long compressed, ref long offset)
    {
        while (extra.Length >= 4)
        {
            int id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            int n = Math.Min(BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]), extra.Length - 4);
            var field = extra.Slice(4, n);
            if (id == 1)
            {
                if (size == 0xFFFFFFFF && field.Length >= 8) { size = (long)BinaryPrimitives.ReadUInt64LittleEndian(field); field = field[8..]; }
                if (compressed == 0xFFFFFFFF && field.Length >= 8) { compressed = (long)BinaryPrimitives.ReadUInt64LittleEndian(field); field = field[8..]; }
                if (offset == 0xFFFFFFFF && field.Length >= 8) offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(field);
                return;
            }
            extra = extra[(4 + n)..];
        }
    }

    private static byte[] Read(Stream stream, long offset, int count, string what)
    {
        if (offset < 0 || count < 0 || offset + count > stream.Length) throw Bad(what, "is cut short");
        var buffer = new byte[count];
        stream.Position = offset;
        stream.ReadExactly(buffer);
        return buffer;
    }

    private static SequorException Bad(string what, string problem) => new($"{what}: {problem}");
}
