// ONNX Runtime serving a model Sequor exported (`sequor export m.keras --format onnx`), with the REST shape of
// `sequor serve` for id-list instances, so bench/serve/loadtest.cs measures both in the same harness. A benchmark
// peer, not a product: it batches nothing (each request's instances are one ONNX Runtime run, requests run
// concurrently on Kestrel's threads), runs the graph on --threads intra-op threads (1 by default, as `sequor serve`
// runs its model on one), and answers
//   POST /v1/models/{name}:predict  {"instances": [[ids...], ...]} → {"predictions": [[p...], ...]}
//   GET  /healthz, GET /metrics (request count and sequor_batch_size_sum/_count, which loadtest reads)
// Bad input gets a 400 with {"error": "..."}; ids outside [0, vocabulary) are refused by ONNX Runtime's Gather.
//
//   dotnet run -c Release bench/serve/ortserve.cs -- m.onnx --port 8520 [--name m] [--threads 1]
#:sdk Microsoft.NET.Sdk.Web
#:package Microsoft.ML.OnnxRuntime@1.32.0
#:property PublishAot=false
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
{
    Console.Error.WriteLine("usage: ortserve <model.onnx> [--port 8520] [--name NAME] [--threads 1]");
    return 2;
}
string path = args[0], name = Path.GetFileNameWithoutExtension(path);
int port = 8520, threads = 1;
for (int i = 1; i + 1 < args.Length; i += 2)
    switch (args[i])
    {
        case "--port": port = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--name": name = args[i + 1]; break;
        case "--threads": threads = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"ortserve: unknown option {args[i]}"); return 2;
    }

using var options = new Microsoft.ML.OnnxRuntime.SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
using var session = new InferenceSession(path, options);
var input = session.InputMetadata["input"];
if (input.ElementDataType != TensorElementType.Int64 || input.Dimensions.Length != 2 || input.Dimensions[1] <= 0)
{
    Console.Error.WriteLine($"ortserve: {path}: expected an int64 input 'input' of shape [batch, T] with T fixed");
    return 1;
}
int steps = input.Dimensions[1];
long requestCount = 0, rowSum = 0;

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenLocalhost(port));
var app = builder.Build();
app.MapGet("/healthz", () => Results.Json(new { status = "ok", models = 1 }));
app.MapGet("/metrics", () => Results.Text(string.Create(CultureInfo.InvariantCulture,
    $"ortserve_requests_total{{model=\"{name}\"}} {Interlocked.Read(ref requestCount)}\n" +
    $"sequor_batch_size_sum{{model=\"{name}\"}} {Interlocked.Read(ref rowSum)}\n" +
    $"sequor_batch_size_count{{model=\"{name}\"}} {Interlocked.Read(ref requestCount)}\n")));
app.MapPost("/v1/models/{call}", async (HttpContext context, string call) =>
{
    if (call != name + ":predict") return Results.Json(new { error = $"no such model or method '{call}': POST /v1/models/{name}:predict" }, statusCode: 404);
    long[] ids;
    int rows;
    try
    {
        using var body = await JsonDocument.ParseAsync(context.Request.Body);
        if (!body.RootElement.TryGetProperty("instances", out var instances) || instances.ValueKind != JsonValueKind.Array || instances.GetArrayLength() == 0)
            return Results.Json(new { error = "expected {\"instances\": [[ids...], ...]}" }, statusCode: 400);
        rows = instances.GetArrayLength();
        ids = new long[rows * steps];
        int row = 0;
        foreach (var instance in instances.EnumerateArray())
        {
            if (instance.ValueKind != JsonValueKind.Array || instance.GetArrayLength() != steps)
                return Results.Json(new { error = $"instance {row}: expected a list of {steps} token ids" }, statusCode: 400);
            int step = 0;
            foreach (var id in instance.EnumerateArray())
            {
                if (id.ValueKind != JsonValueKind.Number || !id.TryGetInt64(out ids[row * steps + step]))
                    return Results.Json(new { error = $"instance {row}, position {step}: expected an integer token id, got {id.GetRawText()}" }, statusCode: 400);
                step++;
            }
            row++;
        }
    }
    catch (JsonException e)
    {
        return Results.Json(new { error = $"malformed JSON: {e.Message}" }, statusCode: 400);
    }

    float[] output;
    int width;
    try
    {
        using var run = new RunOptions();
        using var tensor = OrtValue.CreateTensorValueFromMemory(ids, [rows, steps]);
        using var results = session.Run(run, ["input"], [tensor], ["output"]);
        output = results[0].GetTensorDataAsSpan<float>().ToArray();
        width = output.Length / rows;
    }
    catch (OnnxRuntimeException e)
    {
        return Results.Json(new { error = $"ONNX Runtime refused the input: {e.Message}" }, statusCode: 400);
    }
    Interlocked.Increment(ref requestCount);
    Interlocked.Add(ref rowSum, rows);
    var predictions = new float[rows][];
    for (int r = 0; r < rows; r++) predictions[r] = output.AsSpan(r * width, width).ToArray();
    return Results.Json(new { predictions });
});
app.MapFallback(() => Results.Json(new { error = $"no such endpoint (see POST /v1/models/{name}:predict)" }, statusCode: 404));
Console.Error.WriteLine($"ortserve: {path} ([batch, {steps}] ids) at http://127.0.0.1:{port}/v1/models/{name}:predict, ONNX Runtime {threads} intra-op thread(s), no batching");
await app.RunAsync();
return 0;
