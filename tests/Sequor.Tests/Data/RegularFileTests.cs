using System.Diagnostics;
using Sequor.Data;
using Sequor.Tests.Formats;

namespace Sequor.Tests.Data;

/// <summary>
/// Data folders and files are read only when regular (<see cref="RegularFile"/>): an aclImdb review that is a FIFO
/// used to hang, one linked to /dev/zero to abort with OutOfMemoryException.
/// </summary>
public class RegularFileTests
{
    private static TempDirectory AclImdb()
    {
        var folder = new TempDirectory();
        foreach (var label in new[] { "neg", "pos" })
        {
            Directory.CreateDirectory(folder.File(Path.Combine("train", label)));
            File.WriteAllText(folder.File(Path.Combine("train", label, "0_1.txt")), $"a {label} review");
        }
        return folder;
    }

    private static SequorException RefusedWithin(TimeSpan limit, Func<object> read)
    {
        // on a background task, so a regression that blocks on the FIFO fails the test instead of hanging the run
        var task = Task.Run(read);
        Assert.True(SpinWait.SpinUntil(() => task.IsCompleted, limit), $"still reading after {limit.TotalSeconds} s");
        return Assert.IsType<SequorException>(task.Exception?.InnerException);
    }

    [SkippableFact]
    public void AReviewThatIsAFifoIsRefusedNotWaitedOn()
    {
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "FIFOs are POSIX");
        using var folder = AclImdb();
        string fifo = folder.File(Path.Combine("train", "pos", "1_9.txt"));
        using (var mkfifo = Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();
        var e = RefusedWithin(TimeSpan.FromSeconds(10), () => TextDataset.FromAclImdb(folder.Path));
        Assert.Contains("1_9.txt' is a FIFO (named pipe); only regular files are read", e.Message);
    }

    [SkippableFact]
    public void AReviewLinkedToDevZeroIsRefused()
    {
        Skip.IfNot(File.Exists("/dev/zero"), "needs /dev/zero");
        using var folder = AclImdb();
        File.CreateSymbolicLink(folder.File(Path.Combine("train", "neg", "1_2.txt")), "/dev/zero");
        var e = RefusedWithin(TimeSpan.FromSeconds(10), () => TextDataset.FromAclImdb(folder.Path));
        Assert.Contains("1_2.txt' is a character device", e.Message);
    }

    [SkippableFact]
    public void CsvNpyAndNpzPathsThatAreDevicesAreRefused()
    {
        Skip.IfNot(File.Exists("/dev/zero"), "needs /dev/zero");
        using var folder = new TempDirectory();
        foreach (var name in new[] { "data.csv", "ids.npy", "data.npz" }) File.CreateSymbolicLink(folder.File(name), "/dev/zero");
        Assert.Contains("character device", Assert.Throws<SequorException>(() => TextDataset.FromCsv(folder.File("data.csv"))).Message);
        Assert.Contains("character device", Assert.Throws<SequorException>(() => NpyReader.Read(folder.File("ids.npy"))).Message);
        Assert.Contains("character device", Assert.Throws<SequorException>(() => NpzArchive.Read(folder.File("data.npz"))).Message);
        // and a regular file still reads
        File.WriteAllText(folder.File("ok.csv"), "text,label\ngood,pos\nbad,neg\n");
        Assert.Equal(2, TextDataset.FromCsv(folder.File("ok.csv")).Count);
    }
}
