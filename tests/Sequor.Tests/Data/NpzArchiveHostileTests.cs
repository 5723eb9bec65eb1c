using System.Buffers.Binary;
using System.IO.Compression;
using Sequor.Data;
using Sequor.Formats;

namespace Sequor.Tests.Data;

/// <summary>
/// <see cref="NpzArchive"/> and <see cref="ZipLayout"/> against zip bombs: overlapping entries, sizes a member cannot
/// hold, a small file inflating to a huge member, a shape whose product overflows. Each is one SequorException,
/// reached with memory bounded by the file, not by what it claims.
/// </summary>
public class NpzArchiveHostileTests
{
    private static byte[] Zip(Action<ZipArchive> fill)
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true)) fill(zip);
        return ms.ToArray();
    }

    private static (string Message, long Allocated) Refused(byte[] file)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<SequorException>(() => NpzArchive.Read(new MemoryStream(file, writable: false), "bomb.npz"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("bomb.npz", e.Message);
        return (e.Message, allocated);
    }

    [Fact]
    public void FiveHundredDirectoryEntriesPointingAtOneMemberAreRefusedAsOverlapping()
    {
        var one = Zip(zip =>
        {
            using var s = zip.CreateEntry("x.npy", CompressionLevel.Optimal).Open();
            NpyWriter.Write(s, NpyArray.FromArray(new float[250_000]));
        });
        // copy the central directory entry 500 times, each with its own name but the same local header offset
        int eocd = one.Length - 22, directory = BinaryPrimitives.ReadInt32LittleEndian(one.AsSpan(eocd + 16));
        var entry = one[directory..eocd];
        var file = new MemoryStream();
        file.Write(one, 0, directory);
        for (int i = 0; i < 500; i++)
        {
            var copy = (byte[])entry.Clone();
            copy[46] = (byte)('a' + i % 26);
            copy[47] = (byte)('a' + i / 26);
            file.Write(copy);
        }
        var end = one[eocd..];
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(8), 500);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(10), 500);
        BinaryPrimitives.WriteInt32LittleEndian(end.AsSpan(12), entry.Length * 500);
        file.Write(end);
        var (message, allocated) = Refused(file.ToArray());
        Assert.Contains("overlap", message);
        Assert.True(allocated < 4 * file.Length + (1 << 20), $"allocated {allocated} bytes for a {file.Length}-byte file");
    }

    [Fact]
    public void ASmallFileHoldingAHugeDeflatedMemberIsRefusedAfterItsHeader()
    {
        // 256 MB of zeros deflate to ~250 KB: not an .npy (no magic), refused after the first megabyte
        var file = Zip(zip =>
        {
            using var s = zip.CreateEntry("x.npy", CompressionLevel.Optimal).Open();
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++) s.Write(zeros);
        });
        Assert.True(file.Length < 1 << 20);
        var (message, allocated) = Refused(file);
        Assert.Contains("not a numpy .npy file", message);
        Assert.True(allocated < 8 << 20, $"allocated {allocated} bytes before refusing");
    }

    [Fact]
    public void AMemberWhoseHeaderDisagreesWithItsDeclaredSizeIsRefusedBeforeInflating()
    {
        // a valid header for 64 M floats followed by zeros: 256 MB declared by the zip entry and the header alike is
        // consistent, so here the header claims twice what the entry declares
        var header = new MemoryStream();
        NpyWriter.Write(header, NpyArray.FromArray(new float[2]));
        var bytes = header.ToArray();
        var text = System.Text.Encoding.Latin1.GetString(bytes);
        var file = Zip(zip =>
        {
            using var s = zip.CreateEntry("x.npy", CompressionLevel.Optimal).Open();
            var patched = System.Text.Encoding.Latin1.GetBytes(text.Replace("(2,)", "(9999,)"));
            s.Write(patched);
            s.Write(new byte[1 << 20]);
        });
        var (message, allocated) = Refused(file);
        Assert.Contains("its npy header (shape (9999,), <f4) needs", message);
        Assert.True(allocated < 8 << 20, $"allocated {allocated} bytes before refusing");
    }

    [Fact]
    public void AShapeWhoseProductOverflowsSixtyFourBitsIsOneLine()
    {
        var npy = new MemoryStream();
        NpyWriter.Write(npy, NpyArray.FromArray(new byte[2]));
        var text = System.Text.Encoding.Latin1.GetString(npy.ToArray()).Replace("(2,)", "(2147483647, 2147483647, 2147483647, 0, 3)");
        var zero = NpyReader.Read(System.Text.Encoding.Latin1.GetBytes(text), "zero.npy");
        Assert.Equal(0, zero.Length);  // a zero dimension makes no elements, as in numpy, whatever comes before it
        var e = Assert.Throws<SequorException>(() => NpyArray.ProductOf([int.MaxValue, int.MaxValue, int.MaxValue]));
        Assert.Contains("64-bit", e.Message);
    }

    [Fact]
    public void AKerasArchiveWithOverlappingEntriesIsRefused()
    {
        var model = Formats.DamagedFileTests.SmallModel();
        var keras = Formats.DamagedFileTests.Bytes(s => KerasArchive.Write(model, s));
        // point config.json's directory entry at metadata.json's local header
        int eocd = keras.Length - 22, directory = BinaryPrimitives.ReadInt32LittleEndian(keras.AsSpan(eocd + 16));
        int second = directory + 46 + BinaryPrimitives.ReadUInt16LittleEndian(keras.AsSpan(directory + 28))
            + BinaryPrimitives.ReadUInt16LittleEndian(keras.AsSpan(directory + 30)) + BinaryPrimitives.ReadUInt16LittleEndian(keras.AsSpan(directory + 32));
        BinaryPrimitives.WriteInt32LittleEndian(keras.AsSpan(second + 42), BinaryPrimitives.ReadInt32LittleEndian(keras.AsSpan(directory + 42)));
        var e = Assert.Throws<SequorException>(() => ModelFile.Read(new MemoryStream(keras), "overlap.keras", s => KerasArchive.Read(s, null)));
        Assert.Contains("overlap.keras", e.Message);
    }
}
