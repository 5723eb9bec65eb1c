using Sequor.Tests.Formats;

namespace Sequor.Tests;

/// <summary>
/// <see cref="AtomicFile"/>: the temporary files that crashed saves (kill -9) left beside a path are removed by the
/// next save to that path; a temporary file another live save holds locked, and files that are not ours, stay.
/// </summary>
public class AtomicFileTests
{
    [Fact]
    public void TheNextSaveRemovesTheTemporaryFilesOfCrashedSavesButNotALiveOne()
    {
        using var folder = new TempDirectory();
        string path = folder.File("ck.keras");
        string crashed1 = folder.File($".ck.keras.{Guid.NewGuid():N}.tmp"), crashed2 = folder.File($".ck.keras.{Guid.NewGuid():N}.tmp");
        string live = folder.File($".ck.keras.{Guid.NewGuid():N}.tmp");
        string notOurs = folder.File(".ck.keras.backup.tmp"), otherPath = folder.File($".other.keras.{Guid.NewGuid():N}.tmp");
        foreach (var f in new[] { crashed1, crashed2, live, notOurs, otherPath }) File.WriteAllText(f, "half a model");
        // a save in progress in another process holds its temporary file locked (flock) until its rename
        using (new FileStream(live, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            AtomicFile.Write(path, s => s.Write("the model"u8));

        Assert.Equal("the model", File.ReadAllText(path));
        Assert.False(File.Exists(crashed1));
        Assert.False(File.Exists(crashed2));
        Assert.True(File.Exists(live), "a temporary file a live save holds was removed");
        Assert.True(File.Exists(notOurs));
        Assert.True(File.Exists(otherPath));
    }

    [Fact]
    public void AFailedWriteLeavesTheOldFileAndNoTemporary()
    {
        using var folder = new TempDirectory();
        string path = folder.File("data.npz");
        File.WriteAllText(path, "old");
        Assert.Throws<SequorException>(() => AtomicFile.Write(path, s => { s.Write("new"u8); throw new SequorException("disk full"); }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["data.npz"], Directory.GetFiles(folder.Path).Select(p => Path.GetFileName(p)!).ToArray());
    }
}
