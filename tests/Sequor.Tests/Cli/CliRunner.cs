using Sequor.Cli;

namespace Sequor.Tests.Cli;

/// <summary>
/// Runs the <c>sequor</c> command in-process with captured output, as a redirected console. Downloads go to
/// <paramref name="downloads"/>, by default a server that always fails: no test depends on this machine's network.
/// </summary>
internal static class CliRunner
{
    public static (int Exit, string Out, string Error) Run(params string[] args) => RunWith(new NoNetwork(), args);

    public static (int Exit, string Out, string Error) RunWith(HttpMessageHandler downloads, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = SequorCli.Run(args, new CliOptions(output, error, terminal: false, CancellationToken.None) { DownloadHandler = downloads });
        return (exit, output.ToString(), error.ToString());
    }
}

/// <summary>A download that fails as a machine without a route does, and counts the attempts.</summary>
internal sealed class NoNetwork : HttpMessageHandler
{
    public int Requests { get; private set; }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests++;
        throw new HttpRequestException($"Network is unreachable ({request.RequestUri!.Host}:443)");
    }
}

/// <summary>A server that answers every request with <paramref name="body"/> and its Content-Length.</summary>
internal sealed class FakeServer(byte[] body) : HttpMessageHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentLength = body.Length;
        return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = content });
    }
}

/// <summary>A small imdb.npz in Keras's raw layout (word ranks from 1, int64 labels), learnable from planted words.</summary>
internal static class SyntheticImdb
{
    public static string Write(string folder, int train = 400, int test = 120, int seed = 1)
    {
        var random = new Random(seed);
        (int[][] X, long[] Y) Part(int n)
        {
            var x = new int[n][];
            var y = new long[n];
            for (int i = 0; i < n; i++)
            {
                int label = random.Next(2);
                y[i] = label;
                x[i] = Enumerable.Range(0, random.Next(20, 160))
                    .Select(_ => random.NextDouble() < 0.08 ? (label == 1 ? random.Next(1, 6) : random.Next(6, 11)) : random.Next(20, 2000)).ToArray();
            }
            return (x, y);
        }
        var (xTrain, yTrain) = Part(train);
        var (xTest, yTest) = Part(test);
        string path = Path.Combine(folder, "imdb.npz");
        Sequor.Data.NpzArchive.Write(path, new Dictionary<string, Sequor.Data.NpyArray>
        {
            ["x_train"] = Sequor.Data.NpyArray.FromSequences(xTrain),
            ["y_train"] = Sequor.Data.NpyArray.FromArray(yTrain, train),
            ["x_test"] = Sequor.Data.NpyArray.FromSequences(xTest),
            ["y_test"] = Sequor.Data.NpyArray.FromArray(yTest, test),
        });
        return path;
    }
}
