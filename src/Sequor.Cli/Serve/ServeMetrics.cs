using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Sequor.Cli.Serve;

/// <summary>
/// The counters <c>GET /metrics</c> shows in Prometheus's text format: requests by model, endpoint and status code,
/// request latency and batch size as histograms (cumulative <c>_bucket{le=...}</c>, <c>_sum</c>, <c>_count</c>).
/// </summary>
internal sealed class ServeMetrics
{
    private static readonly double[] LatencyBounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] BatchBounds = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

    private readonly ConcurrentDictionary<(string Model, string Endpoint, int Code), long> requests = new();
    private readonly ConcurrentDictionary<(string Model, string Endpoint), Histogram> latency = new();
    private readonly ConcurrentDictionary<string, Histogram> batchSizes = new();

    public void ObserveRequest(string model, string endpoint, int code, double seconds)
    {
        requests.AddOrUpdate((model, endpoint, code), 1, (_, n) => n + 1);
        latency.GetOrAdd((model, endpoint), _ => new Histogram(LatencyBounds)).Observe(seconds);
    }

    public void ObserveBatch(string model, int rows) => batchSizes.GetOrAdd(model, _ => new Histogram(BatchBounds)).Observe(rows);

    public string Render()
    {
        var text = new StringBuilder();
        text.Append("# HELP sequor_requests_total Requests answered, by model, endpoint and HTTP status code.\n# TYPE sequor_requests_total counter\n");
        foreach (var ((model, endpoint, code), count) in requests.OrderBy(r => r.Key))
            text.Append(CultureInfo.InvariantCulture, $"sequor_requests_total{{model=\"{Escape(model)}\",endpoint=\"{endpoint}\",code=\"{code}\"}} {count}\n");
        text.Append("# HELP sequor_request_duration_seconds Time from a request's arrival to its answer.\n# TYPE sequor_request_duration_seconds histogram\n");
        foreach (var ((model, endpoint), histogram) in latency.OrderBy(h => h.Key))
            histogram.Render(text, "sequor_request_duration_seconds", $"model=\"{Escape(model)}\",endpoint=\"{endpoint}\"");
        text.Append("# HELP sequor_batch_size Rows in each batch the model ran (requests gathered together).\n# TYPE sequor_batch_size histogram\n");
        foreach (var (model, histogram) in batchSizes.OrderBy(h => h.Key))
            histogram.Render(text, "sequor_batch_size", $"model=\"{Escape(model)}\"");
        return text.ToString();
    }

    private static string Escape(string label) => label.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    private sealed class Histogram(double[] bounds)
    {
        private readonly long[] counts = new long[bounds.Length + 1];
        private double sum;
        private long count;

        public void Observe(double value)
        {
            int bucket = Array.FindIndex(bounds, b => value <= b);
            lock (counts)
            {
                counts[bucket < 0 ? bounds.Length : bucket]++;
                sum += value;
                count++;
            }
        }

        public void Render(StringBuilder text, string name, string labels)
        {
            lock (counts)
            {
                long cumulative = 0;
                for (int i = 0; i < bounds.Length; i++)
                {
                    cumulative += counts[i];
                    text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{labels},le=\"{bounds[i]}\"}} {cumulative}\n");
                }
                text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{labels},le=\"+Inf\"}} {count}\n");
                text.Append(CultureInfo.InvariantCulture, $"{name}_sum{{{labels}}} {sum}\n");
                text.Append(CultureInfo.InvariantCulture, $"{name}_count{{{labels}}} {count}\n");
            }
        }
    }
}
