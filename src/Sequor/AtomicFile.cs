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
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
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

    public static void TryDelete(string path)
    {
        // Best effort: the temporary file has a name of its own and never replaces the real one.
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
