using System.Runtime.InteropServices;

namespace Sequor.Data;

/// <summary>
/// Data files are read only when they are regular files (after following links): a FIFO would block the read
/// forever, and a link to <c>/dev/zero</c> or <c>/dev/urandom</c> never ends, so either is one line instead.
/// </summary>
internal static partial class RegularFile
{
    /// <summary>Throws a SequorException naming <paramref name="path"/> when it is a FIFO, device or socket.</summary>
    public static void Check(string path, string what)
    {
        if (OperatingSystem.IsWindows()) return;  // Windows has no FIFOs or device files under ordinary paths
        int mode = Mode(path);
        if (mode < 0) return;  // absent or unreadable: the open that follows says so
        string? kind = (mode & 0xF000) switch
        {
            0x8000 => null,           // regular file
            0x4000 => "a folder",
            0x1000 => "a FIFO (named pipe)",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xC000 => "a socket",
            _ => "not a regular file",
        };
        if (kind is not null)
            throw new SequorException($"{what} '{path}' is {kind}; only regular files are read");
    }

    // .NET's own portable stat (libSystem.Native ships with every runtime): its FileStatus starts with Flags and
    // Mode (int32 each), Mode carrying the POSIX S_IFMT bits. The buffer is larger than the struct on purpose.
    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Stat", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Stat(string path, byte* status);

    private static unsafe int Mode(string path)
    {
        byte* status = stackalloc byte[512];
        try
        {
            return Stat(path, status) == 0 ? *(int*)(status + 4) : -1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return -1;
        }
    }
}
