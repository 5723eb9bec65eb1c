using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Sequor.Cli.Serve;

/// <summary>
/// The HTTP server of <c>sequor serve</c>, on Kestrel, with TensorFlow Serving's REST shape so clients written for it
/// work unchanged:
/// <list type="bullet">
/// <item><c>POST /v1/models/{name}:predict</c> <c>{"instances": [...]}</c> → <c>{"predictions": [...]}</c> (plus
/// <c>"labels"</c> when the model has class names); the columnar <c>{"inputs": ...}</c> → <c>{"outputs": ...}</c> too.</item>
/// <item><c>POST /v1/models/{name}:explain</c>: the prediction and each token's occlusion attribution (the page uses it).</item>
/// <item><c>GET /v1/models/{name}</c> (status), <c>GET /v1/models/{name}/metadata</c> (inputs and outputs), <c>GET /v1/models</c>.</item>
/// <item><c>GET /healthz</c>, <c>GET /metrics</c> (Prometheus), and the page at <c>/</c>.</item>
/// </list>
/// Every refusal is a 4xx with <c>{"error": "..."}</c> naming the problem; nothing a client sends reaches the model
/// unchecked. Stopping drains: Kestrel stops accepting, in-flight requests finish, then the batchers empty.
/// </summary>
internal sealed class ModelServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly Dictionary<string, (ServedModel Model, Batcher Batcher)> models;
    private readonly ServeSettings settings;
    private readonly ServeMetrics metrics = new();
    private bool stopped;

    private ModelServer(WebApplication app, IReadOnlyList<ServedModel> served, ServeSettings settings)
    {
        this.app = app;
        this.settings = settings;
        models = served.ToDictionary(m => m.Name, m => (m, new Batcher(m, settings.MaxBatchSize, settings.BatchTimeout, metrics)), StringComparer.Ordinal);
    }

    /// <summary>The address it listens on, e.g. <c>http://127.0.0.1:8501</c> (the real port when 0 was asked).</summary>
    public Uri Address { get; private set; } = null!;

    public static async Task<ModelServer> StartAsync(IReadOnlyList<ServedModel> served, ServeSettings settings, CancellationToken cancellation = default)
    {
        if (served.Count == 0) throw new SequorException("serve: no model given");
        if (served.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new SequorException($"serve: two models are named '{twice.Key}'; give each its own --name");
        if (!IPAddress.TryParse(settings.Host == "localhost" ? "127.0.0.1" : settings.Host, out var address))
            throw new SequorException($"--host '{settings.Host}': expected an IP address such as 127.0.0.1 or 0.0.0.0");

        // the empty builder: no appsettings.json, environment or logging picked up from wherever the command runs
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(address, settings.Port);
            // the body limit is enforced while reading (ReadJson), not by Kestrel: after a 413, Kestrel then drains the
            // unread rest (for at most its 5 s drain timeout) so the client reads the answer instead of a reset connection
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.AddServerHeader = false;
        });
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        var server = new ModelServer(app, served, settings);
        server.Map();
        try
        {
            await app.StartAsync(cancellation);
        }
        catch (IOException e)
        {
            await server.DisposeAsync();
            throw new SequorException($"serve: cannot listen on {settings.Host}:{settings.Port} ({SequorException.OneLine(e.Message)})");
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server.Address = new Uri(bound.Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1"));
        return server;
    }

    /// <summary>Stops accepting connections, lets in-flight requests finish, then answers whatever the batchers still hold.</summary>
    public async ValueTask DisposeAsync()
    {
        if (stopped) return;
        stopped = true;
        await app.StopAsync();
        foreach (var (_, batcher) in models.Values) await batcher.DisposeAsync();
        await app.DisposeAsync();
        foreach (var (model, _) in models.Values) model.Dispose();
    }

    private void Map()
    {
        app.Use(async (context, next) =>
        {
            // the error boundary: a refusal is a JSON error; anything else is a 500 with one line, and the server lives on
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            catch (RequestException e)
            {
                await Error(context, e.Status, e.Message);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                await Error(context, e.StatusCode, $"request body larger than the limit of {settings.MaxBodyBytes:N0} bytes (--max-body-bytes)");
            }
            catch (BadHttpRequestException e)
            {
                await Error(context, e.StatusCode, SequorException.OneLine(e.Message));
            }
            catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
            {
                Console.Error.WriteLine($"sequor serve: {context.Request.Method} {context.Request.Path}: {SequorException.OneLine(e.Message)}");
                await Error(context, StatusCodes.Status500InternalServerError, $"internal error: {SequorException.OneLine(e.Message)}");
            }
            finally
            {
                var (model, endpoint) = Classify(context.Request);
                metrics.ObserveRequest(model, endpoint, context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
        });
        app.MapGet("/", Page);
        app.MapGet("/healthz", context => Json(context, 200, json => { json.WriteString("status", "ok"); json.WriteNumber("models", models.Count); }));
        app.MapGet("/metrics", context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            return context.Response.WriteAsync(metrics.Render());
        });
        app.MapGet("/v1/models", context => Json(context, 200, json =>
        {
            json.WriteStartArray("models");
            foreach (var (model, _) in models.Values) WriteDescription(json, model);
            json.WriteEndArray();
        }));
        app.MapGet("/v1/models/{name}", (HttpContext context, string name) => Status(context, Find(name)));
        app.MapGet("/v1/models/{name}/versions/{version}", (HttpContext context, string name, string version) => Status(context, Find(name, version)));
        app.MapGet("/v1/models/{name}/metadata", (HttpContext context, string name) => Metadata(context, Find(name)));
        app.MapGet("/v1/models/{name}/versions/{version}/metadata", (HttpContext context, string name, string version) => Metadata(context, Find(name, version)));
        app.MapPost("/v1/models/{call}", (HttpContext context, string call) =>
        {
            var (name, verb) = SplitCall(call);
            return Call(context, name, verb, version: null);
        });
        app.MapPost("/v1/models/{name}/versions/{call}", (HttpContext context, string name, string call) =>
        {
            var (version, verb) = SplitCall(call);
            return Call(context, name, verb, version);
        });
        app.MapFallback(context => Error(context, 404, $"no such endpoint: {context.Request.Method} {context.Request.Path} (see GET /v1/models, POST /v1/models/{{name}}:predict)"));
    }

    /// <summary>A served model by name (and version: each model is served as version 1), or a 404 naming what is served.</summary>
    private ServedModel Find(string name, string? version = null)
    {
        if (!models.TryGetValue(name, out var entry))
            throw new RequestException(404, $"no model named '{name}' (serving: {string.Join(", ", models.Keys.Select(k => $"'{k}'"))})");
        if (version is not null && version != "1")
            throw new RequestException(404, $"model '{name}' has no version '{version}' (serving version 1)");
        return entry.Model;
    }

    /// <summary><c>model:predict</c> → (model, predict); without a colon the method is empty.</summary>
    private static (string Before, string Method) SplitCall(string call)
    {
        int colon = call.LastIndexOf(':');
        return colon < 0 ? (call, "") : (call[..colon], call[(colon + 1)..]);
    }

    /// <summary>The labels a request is counted under in /metrics: a served model's name (else empty) and the endpoint.</summary>
    private (string Model, string Endpoint) Classify(HttpRequest request)
    {
        var path = (request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (path.Length < 3 || path[0] != "v1" || path[1] != "models")
            return ("", path.Length == 0 ? "page" : path[0] is "healthz" or "metrics" ? path[0] : path[0] == "v1" ? "models" : "other");
        var (name, verb) = request.Method == "POST" && path.Length == 3 ? SplitCall(path[2]) : (path[2], "");
        if (request.Method == "POST" && path.Length == 5) verb = SplitCall(path[4]).Method;
        string endpoint = request.Method == "POST" ? (verb is "predict" or "explain" ? verb : "other") : path[^1] == "metadata" ? "metadata" : "status";
        return (models.ContainsKey(name) ? name : "", endpoint);
    }

    /// <summary><c>POST /v1/models/{name}[/versions/{version}]:predict</c> or <c>:explain</c>.</summary>
    private async Task Call(HttpContext context, string name, string verb, string? version)
    {
        if (verb is not ("predict" or "explain"))
            throw new RequestException(404, $"no such method '{(verb.Length == 0 ? "(none)" : ":" + verb)}': POST /v1/models/{{name}}:predict or :explain");
        var model = Find(name, version);
        using var body = await ReadJson(context);
        var root = body.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw RequestException.BadRequest($"expected a JSON object {{\"instances\": [...]}}, got {ServedModel.Describe(root)}");
        bool columnar = !root.TryGetProperty("instances", out var instances);
        if (columnar && !root.TryGetProperty("inputs", out instances))
            throw RequestException.BadRequest("expected {\"instances\": [...]} (or TensorFlow Serving's columnar {\"inputs\": [...]}); the body has neither");
        if (verb == "predict") await Predict(context, model, instances, columnar);
        else await Explain(context, model, instances);
    }

    private async Task Predict(HttpContext context, ServedModel model, JsonElement instances, bool columnar)
    {
        var rows = model.Rows(instances, out int count);
        var outputs = await models[model.Name].Batcher.Predict(rows, count);
        int width = model.OutputWidth;
        await Json(context, 200, json =>
        {
            json.WriteStartArray(columnar ? "outputs" : "predictions");
            for (int i = 0; i < count; i++)
            {
                json.WriteStartArray();
                foreach (var v in outputs.AsSpan(i * width, width)) json.WriteNumberValue(v);
                json.WriteEndArray();
            }
            json.WriteEndArray();
            if (model.ClassNames is not null)
            {
                json.WriteStartArray("labels");
                for (int i = 0; i < count; i++) json.WriteStringValue(model.Label(outputs.AsSpan(i * width, width)));
                json.WriteEndArray();
            }
        });
    }

    private async Task Explain(HttpContext context, ServedModel model, JsonElement instances)
    {
        if (instances.ValueKind != JsonValueKind.Array || instances.GetArrayLength() == 0)
            throw RequestException.BadRequest($"\"instances\" must be a non-empty list, got {ServedModel.Describe(instances)}");
        var parts = new List<Occlusion>();
        int index = 0;
        foreach (var instance in instances.EnumerateArray()) parts.Add(Occlusion.Prepare(model, instance, index++));
        // all instances' rows go to the batcher together, as one request
        var rows = new float[parts.Sum(p => p.Rows.Length)];
        int offset = 0;
        foreach (var part in parts) { part.Rows.CopyTo(rows, offset); offset += part.Rows.Length; }
        var outputs = await models[model.Name].Batcher.Predict(rows, parts.Sum(p => p.Count));
        await Json(context, 200, json =>
        {
            json.WriteStartArray("explanations");
            int at = 0;
            foreach (var part in parts)
            {
                part.Write(json, model, outputs.AsSpan(at, part.Count * model.OutputWidth));
                at += part.Count * model.OutputWidth;
            }
            json.WriteEndArray();
        });
    }

    /// <summary>The body as JSON, refused when it is larger than the limit or not JSON.</summary>
    private async Task<JsonDocument> ReadJson(HttpContext context)
    {
        if (context.Request.ContentLength > settings.MaxBodyBytes)
            throw new RequestException(StatusCodes.Status413PayloadTooLarge, $"request body of {context.Request.ContentLength:N0} bytes is larger than the limit of {settings.MaxBodyBytes:N0} bytes (--max-body-bytes)");
        var buffer = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            int read = await context.Request.Body.ReadAsync(buffer.GetMemory(16384), context.RequestAborted);
            if (read == 0) break;
            buffer.Advance(read);
            if (buffer.WrittenCount > settings.MaxBodyBytes)
                throw new RequestException(StatusCodes.Status413PayloadTooLarge, $"request body larger than the limit of {settings.MaxBodyBytes:N0} bytes (--max-body-bytes)");
        }
        if (buffer.WrittenCount == 0) throw RequestException.BadRequest("empty request body: expected {\"instances\": [...]}");
        try
        {
            return JsonDocument.Parse(buffer.WrittenMemory);
        }
        catch (JsonException e)
        {
            throw RequestException.BadRequest($"malformed JSON: {SequorException.OneLine(e.Message)}");
        }
    }

    /// <summary>TensorFlow Serving's <c>GetModelStatus</c> answer: version 1, AVAILABLE.</summary>
    private static Task Status(HttpContext context, ServedModel model) => Json(context, 200, json =>
    {
        json.WriteStartArray("model_version_status");
        json.WriteStartObject();
        json.WriteString("version", "1");
        json.WriteString("state", "AVAILABLE");
        json.WriteStartObject("status");
        json.WriteString("error_code", "OK");
        json.WriteString("error_message", "");
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
    });

    /// <summary>
    /// TensorFlow Serving's <c>GetModelMetadata</c> answer (the <c>serving_default</c> signature, -1 for the batch axis),
    /// and Sequor's plainer description beside it: what an instance is, the vocabulary, the class names.
    /// </summary>
    private static Task Metadata(HttpContext context, ServedModel model) => Json(context, 200, json =>
    {
        json.WriteStartObject("model_spec");
        json.WriteString("name", model.Name);
        json.WriteString("signature_name", "");
        json.WriteString("version", "1");
        json.WriteEndObject();
        json.WriteStartObject("metadata");
        json.WriteStartObject("signature_def");
        json.WriteStartObject("signature_def");
        json.WriteStartObject("serving_default");
        json.WriteStartObject("inputs");
        WriteTensorInfo(json, model.Model.Layers[0].Name, model.Kind == InputKind.Text ? "DT_STRING" : model.Kind == InputKind.Ids ? "DT_INT32" : "DT_FLOAT",
            model.Kind == InputKind.Text ? [] : model.InputShape);
        json.WriteEndObject();
        json.WriteStartObject("outputs");
        WriteTensorInfo(json, model.Model.Layers[^1].Name, "DT_FLOAT", model.Model.OutputShape.ToArray());
        json.WriteEndObject();
        json.WriteString("method_name", "tensorflow/serving/predict");
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WritePropertyName("sequor");
        WriteDescription(json, model);
    });

    private static void WriteTensorInfo(Utf8JsonWriter json, string name, string dtype, int[] shape)
    {
        json.WriteStartObject(name);
        json.WriteString("dtype", dtype);
        json.WriteStartObject("tensor_shape");
        json.WriteStartArray("dim");
        foreach (int size in shape.Prepend(-1))
        {
            json.WriteStartObject();
            json.WriteString("size", size.ToString(System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("name", "");
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteBoolean("unknown_rank", false);
        json.WriteEndObject();
        json.WriteString("name", name);
        json.WriteEndObject();
    }

    /// <summary>What a client needs to call the model: the kind of instance, its limits, the outputs and their names.</summary>
    private static void WriteDescription(Utf8JsonWriter json, ServedModel model)
    {
        json.WriteStartObject();
        json.WriteString("name", model.Name);
        json.WriteString("file", Path.GetFileName(model.Path));
        json.WriteString("input", model.KindName);
        json.WriteStartArray("input_shape");
        foreach (int d in model.InputShape) json.WriteNumberValue(d);
        json.WriteEndArray();
        json.WriteNumber("sequence_length", model.SequenceLength);
        if (model.VocabularySize is int vocabulary) json.WriteNumber("vocabulary_size", vocabulary);
        if (model.Kind == InputKind.Text) json.WriteNumber("max_text_length", model.MaxTextLength);
        json.WriteStartArray("output_shape");
        foreach (int d in model.Model.OutputShape) json.WriteNumberValue(d);
        json.WriteEndArray();
        if (model.ClassNames is { } names)
        {
            json.WriteStartArray("class_names");
            foreach (var n in names) json.WriteStringValue(n);
            json.WriteEndArray();
        }
        json.WriteNumber("parameters", model.Model.CountParams());
        json.WriteEndObject();
    }

    private static readonly Lazy<byte[]> PageBytes = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Sequor.Cli.Serve.index.html")!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    private static Task Page(HttpContext context)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        // the page loads nothing from elsewhere; the policy makes that a promise the browser keeps
        context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data: blob:";
        return context.Response.Body.WriteAsync(PageBytes.Value).AsTask();
    }

    private static Task Error(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted) return Task.CompletedTask;
        context.Response.Clear();
        return Json(context, status, json => json.WriteString("error", message));
    }

    // quotes and apostrophes in error messages stay readable; the body is served as application/json, never as HTML
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static async Task Json(HttpContext context, int status, Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}
