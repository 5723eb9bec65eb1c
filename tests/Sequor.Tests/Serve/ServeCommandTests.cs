using System.Text.RegularExpressions;
using Sequor.Cli;
using Sequor.Tests.Cli;

namespace Sequor.Tests.Serve;

/// <summary><c>sequor serve</c> as a user runs it: it says where it listens, answers, and stops cleanly on Ctrl-C; bad options are one line.</summary>
public sealed class ServeCommandTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    [Fact]
    public async Task ServeSaysWhereItListensAnswersThereAndStopsOnCtrlC()
    {
        var printed = new StringWriter();
        var output = TextWriter.Synchronized(printed);
        var error = new StringWriter();
        var status = TextWriter.Synchronized(error);
        using var interrupt = new CancellationTokenSource();
        var run = Task.Run(() => SequorCli.Run(["serve", fixture.TextModelPath, "--port", "0", "--name", "reviews"], new CliOptions(output, status, terminal: false, interrupt.Token)));
        Match page = Match.Empty;
        for (int i = 0; i < 300 && !(page = Regex.Match(error.ToString(), @"page at (http://127\.0\.0\.1:\d+/)")).Success; i++)
        {
            Assert.False(run.IsCompleted, error.ToString());
            await Task.Delay(50);
        }
        Assert.True(page.Success, error.ToString());
        Assert.Contains("serving 'reviews' (text, sequence length 20, classes neg/pos)", error.ToString());
        using var client = new HttpClient { BaseAddress = new Uri(page.Groups[1].Value) };
        var (code, body) = await ServeFixture.Post(client, "/v1/models/reviews:predict", "{\"instances\": [\"a wonderful superb film\"]}");
        Assert.Equal(200, code);
        Assert.Equal("pos", body["labels"]![0]!.GetValue<string>());

        interrupt.Cancel();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.EndsWith("sequor: stopped", error.ToString().TrimEnd());
        Assert.Equal("", printed.ToString()); // status goes to standard error; standard output stays for results
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/healthz"));
    }

    [Theory]
    [InlineData("--port", "70000", "--port must be between 0 and 65535, got 70000")]
    [InlineData("--max-batch-size", "0", "--max-batch-size must be positive, got 0")]
    [InlineData("--batch-timeout-ms", "-1", "--batch-timeout-ms must not be negative, got -1")]
    [InlineData("--max-body-bytes", "0", "--max-body-bytes must be positive, got 0")]
    [InlineData("--threads", "0", "--threads must be positive, got 0")]
    [InlineData("--host", "example", "--host 'example': expected an IP address such as 127.0.0.1 or 0.0.0.0")]
    [InlineData("--name", "a:b", "model name 'a:b': a name in a URL cannot be empty or hold")]
    public void ABadOptionIsOneLineAndANonZeroExit(string option, string value, string message)
    {
        var (exit, _, error) = CliRunner.Run("serve", fixture.TextModelPath, option, value);
        Assert.NotEqual(0, exit);
        Assert.Contains(message, error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void AMissingModelFileIsOneLine()
    {
        var (exit, _, error) = CliRunner.Run("serve", Path.Combine(fixture.Folder, "absent.keras"));
        Assert.Equal(1, exit);
        Assert.StartsWith("sequor: ", error);
        Assert.Contains("absent.keras", error);
    }
}
