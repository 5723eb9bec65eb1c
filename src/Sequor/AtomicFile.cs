namespace Sequor;

/// <summary>
/// Writes a file through a temporary file in the same folder, flushed to disk, then a rename: a crash or a
/// full disk never leaves half a file (a model, a checkpoint, a dataset) under the real name.
/// </summary>
internal static class AtomicFile
{
    /// <exception cref="SequorException">The path is invalid or the file cannot be written; a SequorException
    /// from <paramref name="write"/> passes through. Either way the temporary file is removed.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new SequorException($"file '{path}': invalid path ({SequorException.OneLine(e.Message)})", e);
        }
        string directory = Path.GetDirectoryName(full) ?? ".";
        string temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(directory);
            RemoveStale(directory, Path.GetFileName(full));
            // FileShare.None takes an exclusive lock (flock on Unix) that lives as long as the writing process: a
            // temporary file nobody holds is the leftover of a crashed save. The lock is held through the rename.
            using var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
            // The callback may dispose what it is given (a StreamWriter does); the lock and the flush need the stream.
            write(new KeepOpenStream(stream));
            stream.Flush(flushToDisk: true);
            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw new SequorException($"file '{path}': cannot be written ({SequorException.OneLine(e.Message)})", e);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Removes the temporary files of earlier saves to the same name that crashed (<c>kill -9</c>, power loss):
    /// those no live process holds locked. A save in progress elsewhere keeps its lock and its file.
    /// </summary>
    private static void RemoveStale(string directory, string name)
    {
        string[] candidates;
        try { candidates = Directory.GetFiles(directory, $".{name}.*.tmp"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        foreach (var candidate in candidates)
        {
            string guid = Path.GetFileName(candidate)[(name.Length + 2)..^4];
            if (guid.Length != 32 || !guid.All(char.IsAsciiHexDigit)) continue;  // not one of ours
            try
            {
                using (new FileStream(candidate, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) { }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }  // held: a live save
            TryDelete(candidate);
        }
    }

    public static void TryDelete(string path)
    {
        // Best effort: the temporary file has a name of its own and never replaces the real one.
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Passes everything to the file stream but Dispose, which the save itself does after the flush.</summary>
    private sealed class KeepOpenStream(FileStream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => inner.SetLength(value);
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
        public override void WriteByte(byte value) => inner.WriteByte(value);
        protected override void Dispose(bool disposing) { if (disposing) inner.Flush(); }
    }
}
