using System.Buffers.Binary;
using Sequor.Cli.Plots;
using Sequor.Data;

namespace Sequor.Tests.Data;

public class HistogramPlotTests
{
    [Fact]
    public void WritesAValidPngOfTheRequestedSize()
    {
        string path = Path.Combine(Path.GetTempPath(), $"sequor-hist-{Guid.NewGuid():N}.png");
        try
        {
            var lengths = Enumerable.Range(0, 500).Select(i => new int[10 + i * 7 % 400]);
            HistogramPlot.SavePng(path, Histogram.Of(lengths, bins: 30), width: 640, height: 400);
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
            Assert.Equal("IHDR"u8.ToArray(), bytes[12..16]);
            Assert.Equal(640, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
            Assert.Equal(400, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
            Assert.True(bytes.Length > 2000, "the image should hold a drawn plot, not an empty canvas");
        }
        finally { File.Delete(path); }
    }
}
