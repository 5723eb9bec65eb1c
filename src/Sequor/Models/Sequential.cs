using Sequor.Layers;

namespace Sequor;

/// <summary>
/// Keras's <c>Sequential</c>: a stack of layers, each taking the previous one's output.
/// <code>
/// var model = new Sequential(
///     new Embedding(500, 16),
///     new LSTM(8),
///     new Dense(1, Activation.Sigmoid));
/// model.Build(inputShape: [100]);
/// model.Summary();
/// </code>
/// </summary>
/// <remarks>
/// Batches run in fixed shards of <see cref="ShardSize"/> rows, each on its own replica of the layers (same
/// weight values, own buffers and gradients); gradients are summed in shard order. The shard size does not
/// depend on the thread count, so results are bit-identical on 1 or many threads.
/// </remarks>
public sealed partial class Sequential : IDisposable
{
    /// <summary>Rows per shard of a batch: the unit of parallel work and of gradient summation.</summary>
    public const int ShardSize = 32;

    private readonly List<Layer> layers = [];
    // the names in use, so adding a layer costs the same for the 300,000th as for the first (a hostile config)
    private readonly HashSet<string> layerNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> lastSuffix = new(StringComparer.Ordinal);
    private readonly List<Layer[]> replicas = [];
    private readonly List<Tensor> shardInputs = [];
    private readonly List<Tensor> shardOutputGradients = [];
    private readonly Tensor output = new(0, 0);
    private readonly Action<int> forwardShard;
    private ShardRunner? runner;
    private int threads = Environment.ProcessorCount;
    private int[]? inputShape;
    private int[]? outputShape;
    private Tensor? batchInput, batchOutputGradient;
    private bool batchTraining;
    private long step;
    private ExecutionPlan? plan;  // made by Build, applied to every replica

    public Sequential(params Layer[] layers) : this(layers, seed: null) { }

    /// <param name="layers">The layers, first to last.</param>
    /// <param name="seed">Fixes initial weights, dropout masks and shuffling; null draws one at random.</param>
    /// <param name="name">The model's name, Keras's default <c>sequential</c>.</param>
    public Sequential(IEnumerable<Layer> layers, int? seed, string name = "sequential")
    {
        Name = name;
        Seed = seed ?? System.Random.Shared.Next();
        forwardShard = ForwardShard;
        foreach (var layer in layers) Add(layer);
    }

    public string Name { get; set; }

    /// <summary>The seed of initial weights, dropout masks and shuffling.</summary>
    public int Seed { get; private set; }

    public IReadOnlyList<Layer> Layers => layers;

    /// <summary>The most worker threads a model takes: beyond the cores they only add waiting, and each costs a stack.</summary>
    public const int MaxThreads = 256;

    /// <summary>Worker threads for a batch's shards (default: the processor count; 1 to <see cref="MaxThreads"/>). Results do not depend on it.</summary>
    public int Threads
    {
        get => threads;
        set
        {
            if (value < 1 || value > MaxThreads) throw new SequorException($"Sequential.Threads must be between 1 and {MaxThreads}, got {value}");
            if (value == threads) return;
            threads = value;
            runner?.Dispose();
            runner = null;
        }
    }

    public bool IsBuilt => outputShape is not null;

    /// <summary>Input shape without the batch axis: <c>[100]</c> for token ids, <c>[100, 300]</c> for one-hot.</summary>
    public IReadOnlyList<int> InputShape => inputShape ?? throw NotBuilt();

    public IReadOnlyList<int> OutputShape => outputShape ?? throw NotBuilt();

    /// <summary>Appends a layer (before the model is built), naming it as Keras does when it has no name.</summary>
    public Sequential Add(Layer layer)
    {
        if (IsBuilt) throw new SequorException($"model '{Name}' is already built: add layers before Build");
        if (string.IsNullOrEmpty(layer.Name)) layer.Name = UniqueName(layer.DefaultName);
        else if (layerNames.Contains(layer.Name))
            throw new SequorException($"model '{Name}' already has a layer named '{layer.Name}'; layer names must be unique");
        layers.Add(layer);
        layerNames.Add(layer.Name);
        return this;
    }

    /// <summary>
    /// Fixes the seed (before <see cref="Build(int[])"/>): initial weights, dropout masks and shuffling follow it.
    /// </summary>
    public Sequential WithSeed(int seed)
    {
        if (IsBuilt) throw new SequorException($"model '{Name}' is already built: set the seed before Build");
        Seed = seed;
        return this;
    }

    /// <summary>Creates every layer's weights for inputs of <paramref name="inputShape"/> (no batch axis).</summary>
    public void Build(int[] inputShape)
    {
        if (layers.Count == 0) throw new SequorException($"model '{Name}' has no layers");
        if (IsBuilt)
        {
            if (!inputShape.AsSpan().SequenceEqual(this.inputShape)) 
                throw new SequorException($"model '{Name}' was built for input {Layer.FormatShape(this.inputShape!)}, not {Layer.FormatShape(inputShape)}");
            return;
        }
        if (inputShape.Length == 0 || inputShape.Any(d => d <= 0))
            throw new SequorException($"model '{Name}': input shape {Layer.FormatShape(inputShape)} must have positive dimensions");
        _ = Kernels.Choice;  // a bad SEQUOR_KERNELS is one error here, on the caller's thread, not inside a worker
        var shape = inputShape.ToArray();
        for (int i = 0; i < layers.Count; i++)
        {
            var random = new RandomGenerator(RandomGenerator.Derive((ulong)Seed, 1, (ulong)i));
            shape = layers[i].Build(shape, random);
        }
        this.inputShape = inputShape.ToArray();
        outputShape = shape;
        plan = new ExecutionPlan(layers);
    }

    /// <summary>The decisions of this model's <see cref="ExecutionPlan"/>, one line each (empty when every layer runs as it would alone).</summary>
    internal IEnumerable<string> DescribePlan() => (plan ?? throw NotBuilt()).Describe(layers);

    /// <summary>Total number of weights, as Keras's <c>count_params()</c>.</summary>
    public int CountParams() => layers.Sum(l => l.CountParams());

    /// <summary>Every weight of every layer in Keras's order (the order of <c>get_weights()</c>).</summary>
    public IReadOnlyList<Weight> Weights => layers.SelectMany(l => l.Weights).ToArray();

    /// <summary>Runs the model on <paramref name="x"/> in inference mode (no dropout), batch by batch.</summary>
    public Tensor Predict(Tensor x, int batchSize = 32)
    {
        CheckInput(x, "Predict");
        if (batchSize < 1) throw new SequorException($"Predict: batchSize must be at least 1, got {batchSize}");
        int n = x.Dim(0);
        var shape = new int[outputShape!.Length + 1];
        shape[0] = n;
        outputShape.CopyTo(shape, 1);
        var result = new Tensor(shape);
        int rowOut = result.Length / n;
        var batch = new Tensor(0);
        var indices = new int[Math.Min(batchSize, n)];
        for (int start = 0; start < n; start += batchSize)
        {
            int rows = Math.Min(batchSize, n - start);
            for (int i = 0; i < rows; i++) indices[i] = start + i;
            GatherInput(x, indices.AsSpan(0, rows), batch);
            var y = Forward(batch);
            y.Span.CopyTo(result.Span.Slice(start * rowOut, rows * rowOut));
        }
        return result;
    }

    /// <summary>Inference on one batch over its shards (training runs <see cref="TrainStep"/>).</summary>
    internal Tensor Forward(Tensor x)
    {
        int batch = x.Dim(0), shards = ShardCount(batch);
        if (shards > Math.Max(2, threads)) return ForwardInference(x, shards);
        BeginBatch(x, training: false, shards);
        Runner.Run(shards, forwardShard);
        return CollectOutputs(batch, shards);
    }

    private static int ShardCount(int batch) => (batch + ShardSize - 1) / ShardSize;

    /// <summary>Replicas for <paramref name="shards"/> shards, the step count (dropout seeds) and the batch in place.</summary>
    private void BeginBatch(Tensor x, bool training, int shards)
    {
        AdoptLength(x);
        EnsureReplicas(shards);
        if (training) step++;
        batchInput = x;
        batchTraining = training;
    }

    /// <summary>Assembles the shards' outputs (and the fused loss's logits) into the batch's.</summary>
    private Tensor CollectOutputs(int batch, int shards)
    {
        var first = replicaOutputs[0]!;
        Span<int> shape = stackalloc int[first.Rank];
        first.Shape.CopyTo(shape);
        shape[0] = batch;
        output.Reshape(shape);
        int row = output.Length / batch;
        for (int s = 0; s < shards; s++)
        {
            var o = replicaOutputs[s]!;
            o.Span.CopyTo(output.Span.Slice(s * ShardSize * row, o.Length));
        }
        if (LossFused)
        {
            logits.Reshape(shape);
            for (int s = 0; s < shards; s++)
            {
                var z = ((Dense)replicas[s][^1]).Logits;
                z.Span.CopyTo(logits.Span.Slice(s * ShardSize * row, z.Length));
            }
        }
        return output;
    }

    /// <summary>
    /// Leaves the sum of the shards' gradients, in shard order, in the model's own weights: all of each, or the
    /// share <paramref name="part"/> of <paramref name="parts"/> (<see cref="Training.Optimizer.PartOf"/>) of each.
    /// </summary>
    private void SumShardGradients(int shards, int part = 0, int parts = 1)
    {
        for (int l = 0; l < layers.Count; l++)
        {
            var master = layers[l].Weights;
            for (int w = 0; w < master.Count; w++)
            {
                var (start, length) = Training.Optimizer.PartOf(master[w].Gradient.Length, part, parts);
                var sum = master[w].Gradient.Span.Slice(start, length);
                replicas[0][l].Weights[w].Gradient.Span.Slice(start, length).CopyTo(sum);
                for (int s = 1; s < shards; s++)
                    System.Numerics.Tensors.TensorPrimitives.Add(sum, replicas[s][l].Weights[w].Gradient.Span.Slice(start, length), sum);
            }
        }
    }

    private Tensor?[] replicaOutputs = [];
    private int inferenceShards, nextInferenceShard;

    /// <summary>
    /// Inference over many shards (Predict's large batches): each worker keeps one replica and takes the next
    /// shard until none is left, copying each shard's output out before the next. Results are those of
    /// <see cref="ForwardShard(int)"/> (no state crosses shards), but only one replica's buffers per thread are
    /// touched, so they stay in cache instead of one set per shard streaming through memory.
    /// </summary>
    private Tensor ForwardInference(Tensor x, int shards)
    {
        AdoptLength(x);
        int workers = Math.Max(1, Math.Min(threads, shards));
        EnsureReplicas(workers);
        batchInput = x;
        batchTraining = false;
        inferenceShards = shards;
        nextInferenceShard = 0;
        Span<int> shape = stackalloc int[outputShape!.Length + 1];
        shape[0] = x.Dim(0);
        outputShape.CopyTo(shape[1..]);
        output.Reshape(shape);
        if (LossFused) logits.Reshape(shape);
        SetInferencePass(workers, ++inferencePasses);
        try { Runner.Run(workers, inferenceWorker ??= InferenceWorker); }
        finally { SetInferencePass(workers, 0); }
        return output;
    }

    private Action<int>? inferenceWorker;
    private long inferencePasses;

    private void SetInferencePass(int workers, long pass)
    {
        for (int w = 0; w < workers; w++)
            foreach (var layer in replicas[w])
                if (layer is Recurrent recurrent) recurrent.InferencePass = pass;
    }

    private void InferenceWorker(int worker)
    {
        int row = output.Length / output.Dim(0), s;
        while ((s = Interlocked.Increment(ref nextInferenceShard) - 1) < inferenceShards)
        {
            var o = ForwardShard(s, worker);
            o.Span.CopyTo(output.Span.Slice(s * ShardSize * row, o.Length));
            if (LossFused)
            {
                var z = ((Dense)replicas[worker][^1]).Logits;
                z.Span.CopyTo(logits.Span.Slice(s * ShardSize * row, z.Length));
            }
        }
    }

    private void ForwardShard(int s) => replicaOutputs[s] = ForwardShard(s, s);

    /// <summary>Runs shard <paramref name="s"/> of the batch on the layers of replica <paramref name="replica"/>.</summary>
    private Tensor ForwardShard(int s, int replica)
    {
        var stack = replicas[replica];
        Tensor current = CopyShard(batchInput!, s, shardInputs[replica]);
        Tensor? mask = null;
        for (int l = 0; l < stack.Length; l++)
        {
            if (batchTraining) stack[l].Random.Reseed(RandomGenerator.Derive((ulong)Seed, (ulong)step, (ulong)s, (ulong)l));
            var next = stack[l].Forward(current, mask, batchTraining);
            mask = stack[l].OutputMask(current, mask);
            current = next;
        }
        return current;
    }

    /// <summary>Runs ∂loss/∂output of shard <paramref name="s"/> back through its replica's layers.</summary>
    private void BackwardThroughReplica(int s, Tensor outputGradient)
    {
        var stack = replicas[s];
        Tensor? current = outputGradient;
        for (int l = stack.Length - 1; l >= 0 && current is not null; l--) current = stack[l].Backward(current);
    }

    /// <summary>Copies the rows of shard <paramref name="s"/> of a batch tensor into <paramref name="destination"/>.</summary>
    private static Tensor CopyShard(Tensor batch, int s, Tensor destination)
    {
        int rows = Math.Min(ShardSize, batch.Dim(0) - s * ShardSize), row = batch.Length / batch.Dim(0);
        Span<int> shape = stackalloc int[batch.Rank];
        batch.Shape.CopyTo(shape);
        shape[0] = rows;
        destination.Reshape(shape);
        batch.Span.Slice(s * ShardSize * row, rows * row).CopyTo(destination.Span);
        return destination;
    }

    private ShardRunner Runner => runner ??= new ShardRunner(threads);

    private void EnsureReplicas(int shards)
    {
        if (!IsBuilt) throw NotBuilt();
        while (replicas.Count < shards)
        {
            replicas.Add(ReplicateLayers());
            plan!.Apply(replicas[^1]);
            shardInputs.Add(new Tensor(0));
            shardOutputGradients.Add(new Tensor(0));
        }
        if (replicaOutputs.Length < shards) Array.Resize(ref replicaOutputs, shards);
    }

    /// <summary>
    /// Checks that <paramref name="x"/> fits the model's input. A model whose input is one-hot vectors
    /// (<c>[T, D]</c> floats, like the chapter's SimpleRNN on 300-wide one-hot) also takes token ids
    /// <c>[n, T]</c> and one-hot encodes them batch by batch, so the full one-hot tensor is never built.
    /// </summary>
    internal void CheckInput(Tensor x, string operation)
    {
        if (!IsBuilt) throw NotBuilt();
        if (x.Rank >= 1 && x.Dim(0) == 0) throw new SequorException($"{operation}: the input has no samples");
        AdoptLength(x);
        if (x.Rank == inputShape!.Length + 1 && x.Shape[1..].SequenceEqual(inputShape)) return;
        if (TakesIdsAsOneHot(x))
        {
            int depth = inputShape[1];
            var ids = x.Span;
            for (int i = 0; i < ids.Length; i++)
                if (ids[i] != Real.Floor(ids[i]) || ids[i] < 0 || ids[i] >= depth)
                    throw new SequorException($"{operation}: token id {ids[i]} at [{i / x.Dim(1)}, {i % x.Dim(1)}] is outside the one-hot depth [0, {depth}) of model '{Name}'");
            return;
        }
        throw new SequorException($"{operation}: model '{Name}' expects input of shape {Layer.FormatShape(inputShape)}" +
            (inputShape.Length == 2 && layers[0] is not Embedding ? $" (or token ids {Layer.FormatShape(inputShape[..1])} to one-hot encode)" : "") +
            $", got {Tensor.Format(x.Shape)}");
    }

    /// <summary>True when <paramref name="x"/> holds token ids for a model that takes one-hot vectors.</summary>
    internal bool TakesIdsAsOneHot(Tensor x) =>
        inputShape is [int steps, _] && layers[0] is not Embedding && x.Rank == 2 && x.Dim(1) == steps;

    /// <summary>
    /// Copies the rows <paramref name="indices"/> of the input into a batch. A recurrent first layer on one-hot
    /// input gets the batch as one-hot columns [B, T] (token ids as given, or found in one-hot rows; see
    /// <see cref="Recurrent.Forward"/>): a [64, 100, 300] one-hot batch is 7.7 MB to copy and scan again per
    /// shard, its columns 25 KB. Other layers get ids one-hot encoded.
    /// </summary>
    internal void GatherInput(Tensor x, ReadOnlySpan<int> indices, Tensor batch)
    {
        AdoptLength(x);
        bool givenIds = TakesIdsAsOneHot(x), recurrentFirst = layers[0] is Recurrent;
        if (recurrentFirst && !givenIds && inputShape![1] >= 16 && TryGatherOneHotColumns(x, indices, batch)) return;
        if (recurrentFirst || !givenIds)
        {
            GatherRows(x, indices, batch);
            return;
        }
        int steps = inputShape![0], depth = inputShape[1];
        batch.Reshape(indices.Length, steps, depth);
        var to = batch.Span;
        to.Clear();
        var ids = x.Span;
        for (int i = 0; i < indices.Length; i++)
            for (int t = 0; t < steps; t++)
                to[(i * steps + t) * depth + (int)ids[indices[i] * steps + t]] = 1;
    }

    private int[] oneHotColumns = [];

    /// <summary>
    /// Writes the one-hot columns [B, T] of the rows <paramref name="indices"/> of a [n, T, D] input into
    /// <paramref name="batch"/>; false at the first row that is not one-hot (the caller then copies the rows).
    /// </summary>
    private bool TryGatherOneHotColumns(Tensor x, ReadOnlySpan<int> indices, Tensor batch)
    {
        int steps = inputShape![0], depth = inputShape[1];
        if (oneHotColumns.Length < steps) oneHotColumns = new int[steps];
        var columns = oneHotColumns.AsSpan(0, steps);
        batch.Reshape(indices.Length, steps);
        var from = x.Span;
        var to = batch.Span;
        for (int i = 0; i < indices.Length; i++)
        {
            if (!Kernels.FindOneHotRows(from.Slice(indices[i] * steps * depth, steps * depth), steps, depth, columns)) return false;
            for (int t = 0; t < steps; t++) to[i * steps + t] = columns[t];
        }
        return true;
    }

    internal static void GatherRows(Tensor source, ReadOnlySpan<int> indices, Tensor destination)
    {
        int row = source.Length / source.Dim(0);
        Span<int> shape = stackalloc int[source.Rank];
        source.Shape.CopyTo(shape);
        shape[0] = indices.Length;
        destination.Reshape(shape);
        var from = source.Span;
        var to = destination.Span;
        for (int i = 0; i < indices.Length; i++) from.Slice(indices[i] * row, row).CopyTo(to.Slice(i * row, row));
    }

    private string UniqueName(string baseName)
    {
        if (!layerNames.Contains(baseName)) return baseName;
        for (int i = lastSuffix.GetValueOrDefault(baseName) + 1; ; i++)
            if (!layerNames.Contains($"{baseName}_{i}"))
            {
                lastSuffix[baseName] = i;
                return $"{baseName}_{i}";
            }
    }

    private SequorException NotBuilt() => new($"model '{Name}' is not built: call Build(inputShape) first");

    public void Dispose()
    {
        runner?.Dispose();
        runner = null;
    }
}
