// A bounded load test of `sequor serve` on loopback: a fixed number of predict requests (one review of token ids
// each, as a client sends them) from a fixed number of concurrent clients; it stops by itself. Several servers
// (--target label=url, each serving --model) are measured in interleaved rounds, so a shared machine's drifting
// load falls on all of them alike; each row gives the median round's throughput with the lowest and highest, the
// median p50/p99 latency, and the mean batch the server gathered (from its /metrics). Any answer other than 200
// with one prediction fails the run. Each run starts with 1,000 unmeasured requests (the JIT tiers up meanwhile).
// Before measuring, every target must answer the first target's predictions within --tolerance (1e-5) for each of
// the 256 request bodies and for one request of 8 instances: the servers compared compute the same thing.
//
//   dotnet run -c Release bench/serve/loadtest.cs -- --target batching=http://127.0.0.1:8501 --model lstm --requests 5000 --clients 1,8,64 --rounds 3
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

string model = "lstm";
int requests = 5000, warmup = 1000, rounds = 3;
double tolerance = 1e-5;
int[] clientCounts = [1, 8, 64];
var targets = new List<(string Label, string Url)>();
for (int i = 0; i + 1 < args.Length; i += 2)
{
    string value = args[i + 1];
    switch (args[i])
    {
        case "--target": int eq = value.IndexOf('='); targets.Add((value[..eq], value[(eq + 1)..].TrimEnd('/'))); break;
        case "--model": model = value; break;
        case "--requests": requests = int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--warmup": warmup = int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--tolerance": tolerance = double.Parse(value, CultureInfo.InvariantCulture); break;
        case "--rounds": rounds = int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--clients": clientCounts = value.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray(); break;
        default: Console.Error.WriteLine($"loadtest: unknown option {args[i]}"); return 2;
    }
}
if (targets.Count == 0) targets.Add(("sequor serve", "http://127.0.0.1:8501"));

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clientCounts.Max(), PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
{
    Timeout = TimeSpan.FromSeconds(60),
};
var metadata = JsonNode.Parse(await http.GetStringAsync($"{targets[0].Url}/v1/models/{model}/metadata"))!["sequor"]!;
int sequenceLength = metadata["sequence_length"]!.GetValue<int>(), vocabulary = metadata["vocabulary_size"]!.GetValue<int>();

// fixed bodies: 256 reviews of random ids (seeded), one instance per request
var random = new Random(1);
var bodies = Enumerable.Range(0, 256).Select(_ =>
    Encoding.UTF8.GetBytes($"{{\"instances\": [[{string.Join(",", Enumerable.Range(0, sequenceLength).Select(_ => random.Next(1, vocabulary)))}]]}}")).ToArray();

// the same answers from every server, before any is timed
var checks = bodies.Append(Encoding.UTF8.GetBytes($"{{\"instances\": [{string.Join(",", bodies.Take(8).Select(b =>
    JsonNode.Parse(b)!["instances"]![0]!.ToJsonString()))}]}}")).ToArray();
double largest = 0;
foreach (var body in checks)
{
    var reference = await Predictions(targets[0].Url, body);
    foreach (var (label, url) in targets.Skip(1))
    {
        var answer = await Predictions(url, body);
        if (answer.Length != reference.Length)
            throw new InvalidOperationException($"{label}: {answer.Length} prediction values, {targets[0].Label}: {reference.Length}");
        for (int k = 0; k < answer.Length; k++)
        {
            double difference = Math.Abs(answer[k] - reference[k]);
            largest = Math.Max(largest, difference);
            if (!(difference <= tolerance))
                throw new InvalidOperationException($"{label} answers {answer[k]} where {targets[0].Label} answers {reference[k]} (value {k} of {Encoding.UTF8.GetString(body)[..60]}...), beyond {tolerance}");
        }
    }
}
string agreement = string.Create(CultureInfo.InvariantCulture,
    $"Agreement checked before timing: {targets.Count} servers, {checks.Length} requests ({bodies.Length} of one review, one of 8), largest difference from {targets[0].Label}: {largest:G3} (tolerance {tolerance:G3}).");
Console.Error.WriteLine(agreement);

var results = new Dictionary<(string, int), List<(double Throughput, double P50, double P99, double Batch)>>();
for (int round = 0; round < rounds; round++)
    foreach (int clients in clientCounts)
        foreach (var (label, url) in targets)
        {
            await Run(url, clients, warmup, null);
            var (batchSum, batchCount) = await Batches(url);
            var latencies = new double[requests];
            var clock = Stopwatch.StartNew();
            await Run(url, clients, requests, latencies);
            double seconds = clock.Elapsed.TotalSeconds;
            var (batchSumAfter, batchCountAfter) = await Batches(url);
            Array.Sort(latencies);
            double Percentile(double p) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(p * latencies.Length) - 1)] * 1000;
            var list = results.TryGetValue((label, clients), out var l) ? l : results[(label, clients)] = [];
            list.Add((requests / seconds, Percentile(0.50), Percentile(0.99), (batchSumAfter - batchSum) / Math.Max(1, batchCountAfter - batchCount)));
            Console.Error.WriteLine($"round {round + 1}/{rounds}, {label}, {clients} clients: {requests / seconds:N0} requests/s");
        }

Console.WriteLine($"{requests:N0} requests per run, {rounds} interleaved rounds; median of the rounds (throughput: lowest–highest)");
Console.WriteLine();
Console.WriteLine(agreement);
Console.WriteLine();
Console.WriteLine("| server | clients | requests/s | range | p50 ms | p99 ms | mean batch |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
foreach (var (label, _) in targets)
    foreach (int clients in clientCounts)
    {
        var runs = results[(label, clients)];
        double Median(Func<(double Throughput, double P50, double P99, double Batch), double> f)
        {
            var sorted = runs.Select(f).Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {label} | {clients} | {Median(r => r.Throughput):N0} | {runs.Min(r => r.Throughput):N0}–{runs.Max(r => r.Throughput):N0} | {Median(r => r.P50):F2} | {Median(r => r.P99):F2} | {Median(r => r.Batch):F1} |"));
    }
return 0;

async Task Run(string url, int clients, int count, double[]? latencies)
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
            using var response = await http.PostAsync($"{url}/v1/models/{model}:predict", content);
            string answer = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK || JsonNode.Parse(answer)!["predictions"]!.AsArray().Count != 1)
                throw new InvalidOperationException($"{url}, request {i}: {(int)response.StatusCode} {answer}");
            if (latencies is not null) latencies[i] = Stopwatch.GetElapsedTime(started).TotalSeconds;
        }
    }));
}

async Task<double[]> Predictions(string url, byte[] body)
{
    using var content = new ByteArrayContent(body);
    content.Headers.ContentType = new("application/json");
    using var response = await http.PostAsync($"{url}/v1/models/{model}:predict", content);
    string answer = await response.Content.ReadAsStringAsync();
    if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"{url}: {(int)response.StatusCode} {answer}");
    return JsonNode.Parse(answer)!["predictions"]!.AsArray().SelectMany(row => row!.AsArray().Select(v => v!.GetValue<double>())).ToArray();
}

async Task<(double Sum, double Count)> Batches(string url)
{
    var lines = (await http.GetStringAsync($"{url}/metrics")).Split('\n');
    double Value(string name) => lines.Where(l => l.StartsWith($"{name}{{model=\"{model}\"}} ", StringComparison.Ordinal))
        .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)).FirstOrDefault();
    return (Value("sequor_batch_size_sum"), Value("sequor_batch_size_count"));
}
