using System.Runtime.InteropServices;
using Sequor.Cli;

namespace Sequor.Tests.Cli;

/// <summary>The line the first Ctrl-C or SIGTERM prints (<see cref="SequorCli.StopMessage"/>).</summary>
public sealed class StopMessageTests
{
    [Fact]
    public void OnATerminalTheMessageClearsTheProgressLineInsteadOfRunningOnFromIt()
    {
        // the progress line is redrawn with "\r" and no newline: without clearing it the user read
        // "... ETA 0ssequor: stopping after the current batch"
        string line = SequorCli.StopMessage(PosixSignal.SIGINT, ["train", "--model", "lstm"], terminal: true);
        Assert.Equal("\r\u001b[2Ksequor: stopping after the current batch (Ctrl-C again to abort)", line);
    }

    [Fact]
    public void RedirectedTheMessageIsPlainText()
    {
        Assert.Equal("sequor: terminated; stopping after the current batch",
            SequorCli.StopMessage(PosixSignal.SIGTERM, ["train"], terminal: false));
    }

    [Fact]
    public void ServeDoesNotSpeakOfBatches()
    {
        Assert.Equal("sequor: terminated", SequorCli.StopMessage(PosixSignal.SIGTERM, ["serve", "m.keras"], terminal: false));
        Assert.Equal("sequor: stopping (Ctrl-C again to abort)", SequorCli.StopMessage(PosixSignal.SIGINT, ["serve", "m.keras"], terminal: false));
    }
}
