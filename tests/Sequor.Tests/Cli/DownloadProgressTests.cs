using Sequor.Cli;

namespace Sequor.Tests.Cli;

public class DownloadProgressTests
{
    [Fact]
    public void OnATerminalOneLineIsRedrawnWithBytesSpeedAndTimeLeft()
    {
        double now = 0;
        var output = new StringWriter();
        var progress = new DownloadProgress("imdb.npz", output, terminal: true, () => now);
        IProgress<(long, long)> report = progress;
        report.Report((0, 17_464_789));
        now = 2;
        report.Report((4_000_000, 17_464_789));
        now = 2.05;  // redrawn at most every 0.1 s
        report.Report((4_100_000, 17_464_789));
        now = 8;
        report.Report((17_464_789, 17_464_789));
        string text = output.ToString();
        var frames = text.Split('\r', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, frames.Length);
        Assert.Equal("downloading imdb.npz [====                ] 4.0 / 17.5 MB at 2.0 MB/s, ETA 7s", frames[1]);
        Assert.Equal("downloading imdb.npz [====================] 17.5 / 17.5 MB at 2.2 MB/s, 8s\n", frames[2].Replace("\r\n", "\n"));
    }

    [Fact]
    public void RedirectedItPrintsAtMostALineAQuarter()
    {
        double now = 0;
        var output = new StringWriter();
        IProgress<(long, long)> report = new DownloadProgress("imdb.npz", output, terminal: false, () => now);
        for (long done = 0; done <= 1_000_000; done += 10_000)
        {
            now += 0.01;
            report.Report((done, 1_000_000));
        }
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);  // 0 %, 25 %, 50 %, 75 %, done
        Assert.DoesNotContain('\r', output.ToString());
        Assert.All(lines, l => Assert.Matches(@"^downloading imdb\.npz \[=*\s*\] \d+\.\d / 1\.0 MB at \d+\.\d MB/s", l));
    }

    [Fact]
    public void WithoutAContentLengthItShowsTheBytesSoFar()
    {
        var output = new StringWriter();
        IProgress<(long, long)> report = new DownloadProgress("imdb.npz", output, terminal: false, () => 1);
        report.Report((2_500_000, -1));
        Assert.Equal("downloading imdb.npz 2.5 MB at 2.5 MB/s", output.ToString().Trim());
    }

    [Theory]
    [InlineData(7.4, "7s")]
    [InlineData(185, "3m05s")]
    [InlineData(3720, "1h02m")]
    public void DurationsUseKerasUnits(double seconds, string expected) => Assert.Equal(expected, DownloadProgress.Duration(seconds));
}
