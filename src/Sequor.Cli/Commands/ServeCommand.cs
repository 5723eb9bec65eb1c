using System.CommandLine;
using Sequor.Cli.Serve;

namespace Sequor.Cli.Commands;

/// <summary><c>sequor serve</c>: models behind an HTTP endpoint with TensorFlow Serving's REST shape, and a page at /.</summary>
internal static class ServeCommand
{
    public static Command Create(CliOptions options)
    {
        var modelPaths = new Argument<string[]>("model") { Description = "One or more .keras or .h5 model files", Arity = ArgumentArity.OneOrMore };
        var port = new Option<int>("--port") { Description = "TCP port (TensorFlow Serving's REST port by default; 0 picks a free one)", DefaultValueFactory = _ => 8501 };
        var host = new Option<string>("--host") { Description = "Address to listen on (0.0.0.0 for every interface)", DefaultValueFactory = _ => "127.0.0.1" };
        var names = new Option<string[]>("--name") { Description = "The name in /v1/models/{name}, once per model in order [default: the file's name without extension]", AllowMultipleArgumentsPerToken = false };
        var maxBatchSize = new Option<int>("--max-batch-size") { Description = "Most rows a batch gathers from concurrent requests", DefaultValueFactory = _ => 128 };
        var batchTimeout = new Option<int>("--batch-timeout-ms") { Description = "How long a batch waits for more requests to join it, in milliseconds (0: a batch takes what queued while the previous one ran)", DefaultValueFactory = _ => 0 };
        var maxBodyBytes = new Option<long>("--max-body-bytes") { Description = "Largest request body accepted", DefaultValueFactory = _ => 4L << 20 };
        var maxTextLength = new Option<int>("--max-text-length") { Description = "Longest text instance accepted, in characters", DefaultValueFactory = _ => 100_000 };
        // one thread by default: the model's part of a request is small next to parsing and answering it, which
        // Kestrel does on the other cores; a second shard thread spin-waits between batches and takes a core from them
        var threads = new Option<int>("--threads") { Description = "Threads for each model's batches (results do not depend on it); the other cores handle HTTP", DefaultValueFactory = _ => 1 };
        var command = new Command("serve", "Serve models over HTTP (TensorFlow Serving's REST API) with a page at / to try them")
        {
            modelPaths, port, host, names, maxBatchSize, batchTimeout, maxBodyBytes, maxTextLength, threads,
        };
        command.SetAction(Shared.Run(options, result =>
        {
            var paths = result.GetValue(modelPaths)!;
            var given = result.GetValue(names) ?? [];
            if (given.Length > 0 && given.Length != paths.Length)
                throw new SequorException($"--name given {given.Length} times for {paths.Length} models: name every model, in order, or none");
            int portValue = result.GetValue(port);
            if (portValue is < 0 or > 65535) throw new SequorException($"--port must be between 0 and 65535, got {portValue}");
            var settings = new ServeSettings(
                result.GetValue(host)!, portValue,
                Shared.Positive(result.GetValue(maxBatchSize), "--max-batch-size"),
                TimeSpan.FromMilliseconds(Shared.NonNegative(result.GetValue(batchTimeout), "--batch-timeout-ms")),
                result.GetValue(maxBodyBytes) is > 0 and var bytes ? bytes : throw new SequorException($"--max-body-bytes must be positive, got {result.GetValue(maxBodyBytes)}"),
                Shared.Positive(result.GetValue(maxTextLength), "--max-text-length"));
            var served = new List<ServedModel>();
            try
            {
                for (int i = 0; i < paths.Length; i++)
                {
                    string name = given.Length > 0 ? given[i] : Path.GetFileNameWithoutExtension(paths[i]);
                    if (name.Length == 0 || name.Any(c => c is '/' or ':' or '?' or '#' || char.IsWhiteSpace(c) || char.IsControl(c)))
                        throw new SequorException($"model name '{name}': a name in a URL cannot be empty or hold '/', ':', '?', '#' or spaces (give --name)");
                    var model = Sequential.Load(paths[i]);
                    ModelMetadata.Attach(model, paths[i]);
                    model.Threads = Shared.Positive(result.GetValue(threads), "--threads");
                    served.Add(new ServedModel(name, paths[i], model, settings.MaxTextLength));
                }
                return Serve(options, served, settings).GetAwaiter().GetResult();
            }
            catch
            {
                foreach (var model in served) model.Dispose();
                throw;
            }
        }));
        return command;
    }

    private static async Task<int> Serve(CliOptions options, List<ServedModel> served, ServeSettings settings)
    {
        var server = await ModelServer.StartAsync(served, settings, options.Cancellation);
        foreach (var model in served)
        {
            string classes = model.ClassNames is { } names ? $", classes {string.Join("/", names)}" : "";
            options.Status($"sequor: serving '{model.Name}' ({model.KindName}, sequence length {model.SequenceLength}{classes}): POST {server.Address}v1/models/{model.Name}:predict");
        }
        options.Status($"sequor: page at {server.Address} — Ctrl-C stops (in-flight requests finish first)");
        try
        {
            await Task.Delay(Timeout.Infinite, options.Cancellation);
        }
        catch (OperationCanceledException)
        {
        }
        options.Status("sequor: stopping: finishing in-flight requests");
        await server.DisposeAsync();
        options.Status("sequor: stopped");
        return 0;
    }
}
