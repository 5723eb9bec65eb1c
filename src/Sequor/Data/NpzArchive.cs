using System.IO.Compression;

namespace Sequor.Data;

/// <summary>
/// numpy <c>.npz</c> archives (<c>numpy.savez</c> / <c>savez_compressed</c>): a zip of <c>.npy</c> members,
/// entries stored or deflated; keys are member names without <c>.npy</c>, as <c>numpy.load</c> shows them.
/// </summary>
public static class NpzArchive
{
    private const long MaxDeflateRatio = ZipLayout.MaxDeflateRatio;
    // Enough for any .npy header (NpyHeader reads at most 1 MB of header text).
    private const int HeaderPrefix = (1 << 20) + 16;

    /// <summary>Reads every member of the archive at <paramref name="path"/>.</summary>
    public static IReadOnlyDictionary<string, NpyArray> Read(string path)
    {
        RegularFile.Check(path, "npz file");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            return Read(stream, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new SequorException($"npz file '{path}': cannot be read ({e.Message})", e);
        }
    }

    /// <summary>
    /// The member keys of the archive at <paramref name="path"/> (names without <c>.npy</c>), nothing parsed: numpy's
    /// <c>np.load(path).files</c>, to tell what a file holds before reading a large one.
    /// </summary>
    public static IReadOnlyList<string> Keys(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            return zip.Entries.Where(e => !e.FullName.EndsWith('/'))
                .Select(e => e.FullName.EndsWith(".npy", StringComparison.Ordinal) ? e.FullName[..^4] : e.FullName).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException or NotSupportedException)
        {
            throw new SequorException($"npz file '{path}': cannot be read ({e.Message})", e);
        }
    }

    /// <summary>Reads every member of an archive from <paramref name="stream"/> (which must be seekable).</summary>
    public static IReadOnlyDictionary<string, NpyArray> Read(Stream stream, string source = "<stream>")
    {
        var result = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        try
        {
            ZipLayout.Check(stream, $"npz file '{source}'");
            stream.Position = 0;
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            foreach (var entry in zip.Entries)
            {
                if (entry.FullName.EndsWith('/')) continue;
                string key = entry.FullName.EndsWith(".npy", StringComparison.Ordinal) ? entry.FullName[..^4] : entry.FullName;
                string name = $"{source}:{entry.FullName}";
                result[key] = NpyReader.Read(ReadEntry(entry, stream.Length, name), name);
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException or ArgumentException)
        {
            throw new SequorException($"npz file '{source}': not a valid zip archive ({e.Message})", e);
        }
        return result;
    }

    private static byte[] ReadEntry(ZipArchiveEntry entry, long archiveLength, string name)
    {
        long claimed = entry.Length;
        long compressed = entry.CompressedLength;
        if (claimed < 0 || compressed < 0 || compressed > archiveLength || claimed > compressed * MaxDeflateRatio + 1024 || claimed > Array.MaxLength)
            throw new SequorException($"npz member '{name}': claims {claimed} bytes from {compressed} compressed bytes in a {archiveLength}-byte archive");
        using var s = entry.Open();
        // The header first: for a numeric array it says exactly how many bytes follow, so a member whose declared
        // size disagrees (or that is no .npy at all) is refused before its bulk is inflated.
        var prefix = new byte[Math.Min(claimed, HeaderPrefix)];
        int got = 0;
        while (got < prefix.Length && s.Read(prefix, got, prefix.Length - got) is var k and > 0) got += k;
        if (got != prefix.Length)
            throw new SequorException($"npz member '{name}': holds fewer bytes than the {claimed} its zip entry claims");
        var header = NpyHeader.Parse(prefix, name);
        if (!header.Dtype.IsObject)
        {
            long count = NpyArray.ProductOf(header.Shape);
            long needed = count > (long.MaxValue - header.DataOffset) / header.Dtype.ItemSize ? long.MaxValue : header.DataOffset + count * header.Dtype.ItemSize;
            if (needed != claimed)
                throw new SequorException($"npz member '{name}': its zip entry declares {claimed} bytes but its npy header (shape {Tensor.Format(header.Shape)}, {header.Dtype.Descr}) needs {needed}");
        }
        var bytes = new byte[claimed];
        prefix.CopyTo(bytes, 0);
        int read = prefix.Length;
        while (read < bytes.Length)
        {
            int n = s.Read(bytes, read, bytes.Length - read);
            if (n == 0) break;
            read += n;
        }
        if (read != bytes.Length || s.ReadByte() != -1)
            throw new SequorException($"npz member '{name}': holds a different number of bytes than the {claimed} its zip entry claims");
        return bytes;
    }

    /// <summary>
    /// Writes <paramref name="arrays"/> as an <c>.npz</c> (each key becomes <c>key.npy</c>), deflated when
    /// <paramref name="compressed"/> like <c>savez_compressed</c>, else stored like <c>savez</c>.
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, NpyArray>> arrays, bool compressed = false)
    {
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var (key, array) in arrays)
            {
                var entry = zip.CreateEntry(key + ".npy", compressed ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
                // A fixed timestamp keeps the archive byte-identical from run to run.
                entry.LastWriteTime = new DateTimeOffset(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
                using var s = entry.Open();
                NpyWriter.Write(s, array);
            }
        });
    }
}
