// A bounded load test of `sequor serve` on loopback: a fixed number of predict requests (one review of token ids
// each, as a client sends them) from a fixed number of concurrent clients; it stops by itself and prints one
// Markdown table row per concurrency: throughput, p50/p99 latency, and the mean batch the server gathered (from
// its /metrics). Any answer other than 200 with one prediction fails the run.
//
//   dotnet run bench/serve/loadtest.cs -- --url http://127.0.0.1:8501 --model lstm --requests 5000 --clients 1,8,64
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

string url = "http://127.0.0.1:8501", model = "lstm", label = "";
int requests = 5000, warmup = 200, sequenceLength = 100, vocabulary = 500;
int[] clientCounts = [1, 8, 64];
for (int i = 0; i + 1 < args.Length; i += 2)
{
    string value = args[i + 1];
    switch (args[i])
    {
        case "--url": url = value.TrimEnd('/'); break;
        case "--model": model = value; break;
        case "--requests": requests = int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--warmup": warmup = int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--clients": clientCounts = value.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray(); break;
        case "--label": label = value; break;
        default: Console.Error.WriteLine($"loadtest: unknown option {args[i]}"); return 2;
    }
}

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clientCounts.Max(), PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
{
    BaseAddress = new Uri(url),
    Timeout = TimeSpan.FromSeconds(30),
};
var metadata = JsonNode.Parse(await http.GetStringAsync($"/v1/models/{model}/metadata"))!["sequor"]!;
sequenceLength = metadata["sequence_length"]!.GetValue<int>();
vocabulary = metadata["vocabulary_size"]?.GetValue<int>() ?? vocabulary;

// fixed bodies: 256 reviews of random ids (seeded), one instance per request
var random = new Random(1);
var bodies = Enumerable.Range(0, 256).Select(_ =>
    Encoding.UTF8.GetBytes($"{{\"instances\": [[{string.Join(",", Enumerable.Range(0, sequenceLength).Select(_ => random.Next(1, vocabulary)))}]]}}")).ToArray();

Console.WriteLine($"| {(label.Length > 0 ? "server | " : "")}clients | requests | seconds | requests/s | p50 ms | p99 ms | mean batch |");
Console.WriteLine($"|{(label.Length > 0 ? "---|" : "")}---:|---:|---:|---:|---:|---:|---:|");
foreach (int clients in clientCounts)
{
    await Run(clients, warmup, null);
    var (batchSum, batchCount) = await Batches();
    var latencies = new double[requests];
    var clock = Stopwatch.StartNew();
    await Run(clients, requests, latencies);
    double seconds = clock.Elapsed.TotalSeconds;
    var (batchSumAfter, batchCountAfter) = await Batches();
    Array.Sort(latencies);
    double Percentile(double p) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(p * latencies.Length) - 1)] * 1000;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {(label.Length > 0 ? label + " | " : "")}{clients} | {requests:N0} | {seconds:F2} | {requests / seconds:N0} | {Percentile(0.50):F2} | {Percentile(0.99):F2} | {(batchSumAfter - batchSum) / Math.Max(1, batchCountAfter - batchCount):F1} |"));
}
return 0;

async Task Run(int clients, int count, double[]? latencies)
{
    int next = -1;
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            long started = Stopwatch.GetTimestamp();
            using var content = new ByteArrayContent(bodies[i % bodies.Length]);
            content.Headers.ContentType = new("application/json");
            using var response = await http.PostAsync($"/v1/models/{model}:predict", content);
            string answer = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK || JsonNode.Parse(answer)!["predictions"]!.AsArray().Count != 1)
                throw new InvalidOperationException($"request {i}: {(int)response.StatusCode} {answer}");
            if (latencies is not null) latencies[i] = Stopwatch.GetElapsedTime(started).TotalSeconds;
        }
    }));
}

async Task<(double Sum, double Count)> Batches()
{
    var lines = (await http.GetStringAsync("/metrics")).Split('\n');
    double Value(string name) => lines.Where(l => l.StartsWith($"{name}{{model=\"{model}\"}} ", StringComparison.Ordinal))
        .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)).FirstOrDefault();
    return (Value("sequor_batch_size_sum"), Value("sequor_batch_size_count"));
}
