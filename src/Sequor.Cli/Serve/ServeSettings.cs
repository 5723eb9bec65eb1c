namespace Sequor.Cli.Serve;

/// <summary>How <c>sequor serve</c> listens and batches (the command's options).</summary>
/// <param name="Host">The address to listen on: 127.0.0.1 by default, 0.0.0.0 for every interface.</param>
/// <param name="Port">The TCP port (TensorFlow Serving's REST port, 8501, by default; 0 picks a free one).</param>
/// <param name="MaxBatchSize">The most rows one batch of the model gathers.</param>
/// <param name="BatchTimeout">How long the first request of a batch waits for others to join it.</param>
/// <param name="MaxBodyBytes">The largest request body accepted.</param>
/// <param name="MaxTextLength">The longest text instance accepted, in characters.</param>
internal sealed record ServeSettings(
    string Host = "127.0.0.1",
    int Port = 8501,
    int MaxBatchSize = 128,
    TimeSpan BatchTimeout = default,
    long MaxBodyBytes = 4 << 20,
    int MaxTextLength = 100_000);
