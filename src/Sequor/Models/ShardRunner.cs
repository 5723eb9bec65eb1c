namespace Sequor;

/// <summary>
/// Runs the shards of a batch on a fixed set of worker threads. Which thread takes which shard does not
/// matter: every shard has its own layer replica and gradients, and gradients are summed in shard order
/// afterwards, so results are bit-identical for any thread count. Persistent threads and a cached
/// delegate keep a step free of allocations.
/// </summary>
internal sealed class ShardRunner : IDisposable
{
    private readonly Thread[] workers;
    private readonly SemaphoreSlim start = new(0);
    private readonly CountdownEvent done = new(1);
    private Action<int>? work;
    private int shardCount;
    private int nextShard;
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
        int helpers = Math.Min(workers.Length, count - 1);
        done.Reset(helpers + 1);
        start.Release(helpers);
        Drain();
        done.Signal();
        done.Wait();
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
        while (true)
        {
            start.Wait();
            if (disposed) return;
            Drain();
            done.Signal();
        }
    }

    public void Dispose()
    {
        disposed = true;
        if (workers.Length > 0) start.Release(workers.Length);
    }
}
