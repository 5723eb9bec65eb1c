using Microsoft.AspNetCore.Http;
using System.Threading.Channels;

namespace Sequor.Cli.Serve;

/// <summary>
/// Gathers concurrent requests for one model into batches: one worker takes the first waiting request, then keeps
/// taking requests until the batch holds <c>maxBatchSize</c> rows or <c>batchTimeout</c> has passed since the first,
/// and runs them as one <see cref="Sequential.Predict(Tensor, int)"/>. Under load the queue fills while a batch runs,
/// so batches grow with the load and so does throughput; alone, a request waits at most the timeout.
/// </summary>
/// <remarks>
/// A model keeps its activations in per-model buffers, so it must never run two batches at once: a single worker
/// is what makes sharing it safe. A request is never split; one larger than the bound runs as a batch of its own.
/// </remarks>
internal sealed class Batcher : IAsyncDisposable
{
    private sealed record Work(float[] Rows, int Count, TaskCompletionSource<float[]> Done);

    private readonly ServedModel model;
    private readonly int maxBatchSize;
    private readonly TimeSpan batchTimeout;
    private readonly ServeMetrics metrics;
    private readonly Channel<Work> queue = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task worker;

    public Batcher(ServedModel model, int maxBatchSize, TimeSpan batchTimeout, ServeMetrics metrics)
    {
        this.model = model;
        this.maxBatchSize = maxBatchSize;
        this.batchTimeout = batchTimeout;
        this.metrics = metrics;
        worker = Task.Run(RunAsync);
    }

    /// <summary>The model's outputs for <paramref name="count"/> rows (<c>count × OutputWidth</c> numbers), once their batch has run.</summary>
    public Task<float[]> Predict(float[] rows, int count)
    {
        var work = new Work(rows, count, new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!queue.Writer.TryWrite(work)) throw new RequestException(StatusCodes.Status503ServiceUnavailable, "the server is shutting down");
        return work.Done.Task;
    }

    /// <summary>Stops taking requests and returns once every queued one has been answered.</summary>
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await worker;
    }

    private async Task RunAsync()
    {
        var reader = queue.Reader;
        var batch = new List<Work>();
        Work? carried = null;
        while (carried is not null || await reader.WaitToReadAsync())
        {
            batch.Clear();
            int rows = 0;
            if (carried is null && !reader.TryRead(out carried)) continue;
            batch.Add(carried);
            rows += carried.Count;
            carried = null;
            var deadline = DateTime.UtcNow + batchTimeout;
            while (rows < maxBatchSize)
            {
                if (reader.TryRead(out var next))
                {
                    if (rows + next.Count > maxBatchSize) { carried = next; break; }
                    batch.Add(next);
                    rows += next.Count;
                    continue;
                }
                var wait = deadline - DateTime.UtcNow;
                if (wait <= TimeSpan.Zero || !await WaitAsync(reader, wait)) break;
            }
            Run(batch, rows);
        }
    }

    /// <summary>True when a request arrived within <paramref name="wait"/>; false on timeout or when the queue is closed.</summary>
    private static async Task<bool> WaitAsync(ChannelReader<Work> reader, TimeSpan wait)
    {
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            return await reader.WaitToReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Run(List<Work> batch, int rows)
    {
        try
        {
            var shape = new int[model.InputShape.Length + 1];
            shape[0] = rows;
            model.InputShape.CopyTo(shape, 1);
            var input = new Tensor(shape);
            int offset = 0;
            foreach (var work in batch)
            {
                work.Rows.CopyTo(input.Span.Slice(offset));
                offset += work.Rows.Length;
            }
            var output = model.Model.Predict(input, batchSize: rows).Span;
            metrics.ObserveBatch(model.Name, rows);
            offset = 0;
            foreach (var work in batch)
            {
                var result = output.Slice(offset, work.Count * model.OutputWidth).ToArray();
                offset += result.Length;
                // NaN or infinity from finite inputs means broken weights: say so rather than answer with it
                if (Array.Exists(result, v => !float.IsFinite(v)))
                    work.Done.SetException(new RequestException(StatusCodes.Status500InternalServerError, $"model '{model.Name}' produced a non-finite output (NaN or infinity); its weights are broken"));
                else work.Done.SetResult(result);
            }
        }
        catch (Exception e)
        {
            foreach (var work in batch) work.Done.TrySetException(e);
        }
    }
}
