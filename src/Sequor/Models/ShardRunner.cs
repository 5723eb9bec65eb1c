using System.Diagnostics;

namespace Sequor;

/// <summary>
/// Runs the shards of a batch on a fixed set of worker threads. Which thread takes which shard does not
/// matter: every shard has its own layer replica and gradients, and gradients are summed in shard order
/// afterwards, so results are bit-identical for any thread count. Persistent threads and a cached
/// delegate keep a step free of allocations.
/// </summary>
/// <remarks>
/// A training step calls <see cref="Run"/> once for its shards (forward, loss, backward) and, on two or more
/// threads, once more to sum the gradients and apply the optimizer in halves, with only a short serial part
/// between; so idle workers spin for up to <see cref="SpinTicks"/> before they sleep: waking a sleeping thread costs tens
/// to hundreds of microseconds on a virtual machine, a large share of a chapter model's ~1 ms step.
/// </remarks>
internal sealed class ShardRunner : IDisposable
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 500;  // 2 ms
    private readonly Thread[] workers;
    private readonly object gate = new();
    private Action<int>? work;
    private int shardCount;
    private int nextShard;
    private int pending;
    private int sleeping;
    private volatile int generation;
    private Exception? failure;
    private volatile bool disposed;

    public ShardRunner(int threads)
    {
        Threads = Math.Max(1, threads);
        workers = new Thread[Threads - 1];
        for (int i = 0; i < workers.Length; i++)
        {
            workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"sequor-shard-{i + 1}" };
            workers[i].Start();
        }
    }

    public int Threads { get; }

    /// <summary>Calls <paramref name="action"/>(s) for every shard s in [0, count), in parallel.</summary>
    public void Run(int count, Action<int> action)
    {
        if (count <= 0) return;
        if (workers.Length == 0 || count == 1)
        {
            for (int s = 0; s < count; s++) action(s);
            return;
        }
        work = action;
        shardCount = count;
        nextShard = 0;
        failure = null;
        Volatile.Write(ref pending, workers.Length);
        lock (gate)
        {
            generation++;
            if (sleeping > 0) Monitor.PulseAll(gate);
        }
        Drain();
        var spin = new SpinWait();
        while (Volatile.Read(ref pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
        work = null;
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
    }

    private void Drain()
    {
        try
        {
            int s;
            while ((s = Interlocked.Increment(ref nextShard) - 1) < shardCount) work!(s);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref failure, e, null);
            nextShard = int.MaxValue / 2;
        }
    }

    private void WorkerLoop()
    {
        int seen = 0;
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            while (generation == seen && !disposed && Stopwatch.GetTimestamp() - start < SpinTicks) Thread.SpinWait(20);
            if (generation == seen && !disposed)
                lock (gate)
                {
                    sleeping++;
                    while (generation == seen && !disposed) Monitor.Wait(gate);
                    sleeping--;
                }
            if (disposed) return;
            seen = generation;
            Drain();
            Interlocked.Decrement(ref pending);
        }
    }

    public void Dispose()
    {
        disposed = true;
        lock (gate) Monitor.PulseAll(gate);
    }
}
