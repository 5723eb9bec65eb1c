using System.IO.Compression;

namespace Sequor.Data;

/// <summary>
/// numpy <c>.npz</c> archives (<c>numpy.savez</c> / <c>savez_compressed</c>): a zip of <c>.npy</c> members,
/// entries stored or deflated; keys are member names without <c>.npy</c>, as <c>numpy.load</c> shows them.
/// </summary>
public static class NpzArchive
{
    // Deflate cannot expand more than about 1032:1; a member claiming more is corrupt or a bomb.
    private const long MaxDeflateRatio = 1032;

    /// <summary>Reads every member of the archive at <paramref name="path"/>.</summary>
    public static IReadOnlyDictionary<string, NpyArray> Read(string path)
    {
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
        var bytes = new byte[claimed];
        using var s = entry.Open();
        int read = 0;
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
