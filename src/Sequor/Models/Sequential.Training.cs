using Sequor.Layers;
using Sequor.Training;

namespace Sequor;

public sealed partial class Sequential
{
    private Loss? loss;
    private Metric[] metrics = [];
    private readonly Tensor logits = new(0, 0);
    private readonly Tensor outputGradient = new(0, 0);

    // The current training step's arguments and results, for the shard delegates cached below (a new closure per
    // step would allocate): set by RunTrainingShards and TrainStep, read by TrainShard and SumAndApplyHalf.
    private Tensor? batchTargets;
    private double batchLossScale;
    private double[] shardLosses = [];
    private Weight[]? stepTrainable;
    private Action<int>? trainShard, sumAndApply;
    private Weight[]? trainableForProfile;

    /// <summary>The optimizer given to <see cref="Compile(Optimizer, Loss, Metric[])"/>.</summary>
    public Optimizer? Optimizer { get; private set; }

    public Loss? Loss => loss;

    public IReadOnlyList<Metric> Metrics => metrics;

    /// <summary>Set by a callback to stop <c>Fit</c> after the current epoch (Keras's <c>stop_training</c>).</summary>
    public bool StopTraining { get; set; }

    /// <summary>Chooses how the model learns, as Keras's <c>compile</c>.</summary>
    public void Compile(Optimizer optimizer, Loss loss, params Metric[] metrics)
    {
        Optimizer = optimizer;
        this.loss = loss;
        this.metrics = metrics.ToArray();
        UpdateLossFusion();
    }

    /// <summary><c>Compile("rmsprop", "binary_crossentropy", "accuracy")</c>, by Keras's names.</summary>
    public void Compile(string optimizer = "rmsprop", string loss = "binary_crossentropy", params string[] metrics) =>
        Compile(Training.Optimizer.FromName(optimizer), Training.Loss.FromName(loss), metrics.Select(Metric.FromName).ToArray());

    /// <summary>Copies of all weight values in Keras's order, as <c>get_weights()</c>.</summary>
    public Tensor[] GetWeights() => layers.SelectMany(l => l.GetWeights()).ToArray();

    /// <summary>Sets all weight values in Keras's order, as <c>set_weights()</c>.</summary>
    public void SetWeights(IReadOnlyList<Tensor> values)
    {
        int expected = layers.Sum(l => l.Weights.Count);
        if (values.Count != expected) throw new SequorException($"model '{Name}' has {expected} weights, {values.Count} values were given");
        int next = 0;
        foreach (var layer in layers)
        {
            layer.SetWeights(values.Skip(next).Take(layer.Weights.Count).ToArray());
            next += layer.Weights.Count;
        }
    }

    /// <summary>
    /// Trains the model, as Keras's <c>fit</c>: consecutive batches of a fresh permutation every epoch
    /// (from the model's seed), validation on <paramref name="validationData"/> or on the last
    /// <paramref name="validationSplit"/> of the data (taken before shuffling), callbacks after each epoch.
    /// </summary>
    /// <param name="x">Inputs, batch first (<c>[n, 100]</c> token ids or <c>[n, 100, 300]</c> one-hot).</param>
    /// <param name="y">Targets: <c>[n]</c> or <c>[n, 1]</c> labels, class ids, or one-hot rows.</param>
    /// <param name="verbose">0 silent, 1 live bar and a line per epoch, 2 a line per epoch.</param>
    /// <param name="cancellationToken">Stops after the current batch (Ctrl-C in the CLI): that epoch is dropped, never
    /// validated or handed to OnEpochEnd; callbacks still get OnTrainEnd.</param>
    public History Fit(Tensor x, Tensor y, int epochs = 1, int batchSize = 32, int verbose = 1,
        (Tensor X, Tensor Y)? validationData = null, double validationSplit = 0, bool shuffle = true, int initialEpoch = 0,
        IEnumerable<ICallback>? callbacks = null, TextWriter? output = null, CancellationToken cancellationToken = default)
    {
        if (Optimizer is null || loss is null) throw new SequorException($"Fit: model '{Name}' is not compiled; call Compile(optimizer, loss, metrics) first");
        if (batchSize < 1) throw new SequorException($"Fit: batchSize must be at least 1, got {batchSize}");
        if (epochs < 0 || initialEpoch < 0) throw new SequorException($"Fit: epochs ({epochs}) and initialEpoch ({initialEpoch}) must be non-negative");
        if (!IsBuilt) Build(x.Shape[1..].ToArray());  // Keras builds on the first batch
        CheckInput(x, "Fit");
        CheckSamples(x, y, "Fit");

        var (trainX, trainY, valX, valY) = (x, y, validationData?.X, validationData?.Y);
        if (validationData is null && validationSplit > 0)
        {
            if (validationSplit >= 1) throw new SequorException($"Fit: validationSplit must be in [0, 1), got {validationSplit}");
            int split = (int)Math.Floor(x.Dim(0) * (1.0 - validationSplit));
            if (split == 0 || split == x.Dim(0)) throw new SequorException($"Fit: validationSplit {validationSplit} of {x.Dim(0)} samples leaves an empty part");
            (trainX, valX) = (Rows(x, 0, split), Rows(x, split, x.Dim(0)));
            (trainY, valY) = (Rows(y, 0, split), Rows(y, split, y.Dim(0)));
        }
        int width = outputShape![^1];
        int rowsPerSample = OutputRowsPerSample;
        loss.CheckTargets(trainY, trainX.Dim(0) * rowsPerSample, width, "Fit");
        if (valX is not null)
        {
            CheckInput(valX, "Fit (validation data)");
            CheckSamples(valX, valY!, "Fit (validation data)");
            loss.CheckTargets(valY!, valX.Dim(0) * rowsPerSample, width, "Fit (validation data)");
        }

        int n = trainX.Dim(0), steps = (n + batchSize - 1) / batchSize;
        var all = new List<ICallback>(callbacks ?? []);
        var writer = output ?? Console.Out;
        if (verbose > 0)
            all.Insert(0, new ProgressLogger(verbose, steps, epochs, writer, output is null && !Console.IsOutputRedirected));
        var history = new History();
        var accumulators = CreateAccumulators();
        var order = new int[n];
        var batchX = new Tensor(0);
        var batchY = new Tensor(0);
        var batchLogs = new Dictionary<string, double>();
        var trainable = TrainableWeights();

        StopTraining = false;
        foreach (var c in all) c.SetOutput(writer);
        foreach (var c in all) c.OnTrainBegin(this);
        for (int epoch = initialEpoch; epoch < epochs && !StopTraining && !cancellationToken.IsCancellationRequested; epoch++)
        {
            foreach (var c in all) c.OnEpochBegin(this, epoch);
            for (int i = 0; i < n; i++) order[i] = i;
            if (shuffle) new RandomGenerator(RandomGenerator.Derive((ulong)Seed, 2, (ulong)epoch)).Shuffle(order);
            foreach (var a in accumulators) a.Reset();
            double lossSum = 0;
            long seen = 0;
            for (int step = 0; step < steps; step++)
            {
                int start = step * batchSize, rows = Math.Min(batchSize, n - start);
                var indices = order.AsSpan(start, rows);
                GatherInput(trainX, indices, batchX);
                GatherRows(trainY, indices, batchY);
                double batchLoss = TrainStep(batchX, batchY, trainable, accumulators);
                if (!double.IsFinite(batchLoss) && !all.OfType<TerminateOnNaN>().Any())
                    throw new SequorException($"Fit: the loss became {batchLoss} at epoch {epoch + 1}, batch {step + 1} (is the learning rate too high, or does the input hold NaN?); add TerminateOnNaN to stop quietly instead");
                lossSum += batchLoss * rows;
                seen += rows;
                batchLogs["loss"] = lossSum / seen;
                foreach (var a in accumulators) batchLogs[a.Metric.Name] = a.Result;
                if (double.IsNaN(batchLoss)) batchLogs["loss"] = double.NaN;
                foreach (var c in all) c.OnTrainBatchEnd(this, step, batchLogs);
                if (StopTraining || cancellationToken.IsCancellationRequested) break;
            }

            // An interrupted epoch did not happen: it is not validated, and no callback sees it end (no checkpoint,
            // no log line, no history row), so the files of the last completed epoch stay as they are.
            if (cancellationToken.IsCancellationRequested) break;
            var logs = new Dictionary<string, double> { ["loss"] = lossSum / Math.Max(1, seen) };
            foreach (var a in accumulators) logs[a.Metric.Name] = a.Result;
            if (valX is not null)
            {
                var validation = Evaluate(valX, valY!, batchSize);
                logs["val_loss"] = validation.Loss;
                foreach (var (name, value) in validation.Metrics) logs["val_" + name] = value;
            }
            if (cancellationToken.IsCancellationRequested) break;  // during validation: the epoch is not complete either
            foreach (var c in all) c.OnEpochEnd(this, epoch, logs);
            history.Record(epoch, logs);
        }
        foreach (var c in all) c.OnTrainEnd(this);
        return history;
    }

    /// <summary>Loss and metrics on <paramref name="x"/>, <paramref name="y"/> in inference mode, as Keras's <c>evaluate</c>.</summary>
    public EvaluationResult Evaluate(Tensor x, Tensor y, int batchSize = 32)
    {
        if (loss is null) throw new SequorException($"Evaluate: model '{Name}' is not compiled; call Compile(optimizer, loss, metrics) first");
        if (batchSize < 1) throw new SequorException($"Evaluate: batchSize must be at least 1, got {batchSize}");
        CheckInput(x, "Evaluate");
        CheckSamples(x, y, "Evaluate");
        int width = outputShape![^1], perSample = OutputRowsPerSample;
        loss.CheckTargets(y, x.Dim(0) * perSample, width, "Evaluate");
        var accumulators = CreateAccumulators();
        int n = x.Dim(0);
        var batchX = new Tensor(0);
        var batchY = new Tensor(0);
        var indices = new int[Math.Min(batchSize, n)];
        double total = 0;
        for (int start = 0; start < n; start += batchSize)
        {
            int rows = Math.Min(batchSize, n - start);
            for (int i = 0; i < rows; i++) indices[i] = start + i;
            GatherInput(x, indices.AsSpan(0, rows), batchX);
            GatherRows(y, indices.AsSpan(0, rows), batchY);
            var output = Forward(batchX);
            int outputRows = output.Length / width;
            var fusedLogits = LossFused ? logits.Span : default;
            total += loss.Compute(output.Span, fusedLogits, batchY.Span, outputRows, width, outputGradient.Reshape(output.Shape).Span, 0) / perSample;
            foreach (var a in accumulators) a.Update(output.Span, batchY.Span, outputRows, width);
        }
        return new EvaluationResult(total / n, accumulators.Select(a => new KeyValuePair<string, double>(a.Metric.Name, a.Result)).ToArray());
    }

    /// <summary>
    /// The training step, the one path that trains (Fit, and <see cref="TrainingPass"/> for tests): each shard runs
    /// forward, the loss gradient of its own rows and backward in one parallel pass (<see cref="TrainShard"/>; per-row
    /// losses make a shard's gradient independent of the other shards); then the shards' gradients are summed in shard
    /// order and the optimizer steps. Returns the batch loss.
    /// </summary>
    private double TrainStep(Tensor x, Tensor y, Weight[] trainable, MetricAccumulator[] accumulators)
    {
        int batch = x.Dim(0), shards = ShardCount(batch);
        var output = RunTrainingShards(x, y, null);
        int width = outputShape![^1], rows = output.Length / width;
        double total = 0;
        for (int s = 0; s < shards; s++) total += shardLosses[s];
        foreach (var a in accumulators) a.Update(output.Span, y.Span, rows, width);
        if (shards > 1 && Runner.Threads > 1 && Optimizer!.AppliesInParts)
        {
            // Each thread sums and applies half of every weight: the other core's gradients and the updated
            // weights then cross between caches in halves, in parallel, instead of all on one core.
            Optimizer.Build(trainable);
            stepTrainable = trainable;
            Runner.Run(2, sumAndApply ??= SumAndApplyHalf);
            Optimizer.EndStep();
        }
        else
        {
            SumShardGradients(shards);
            Optimizer!.Apply(trainable);
        }
        return total / rows;
    }

    private void SumAndApplyHalf(int part)
    {
        SumShardGradients(ShardCount(batchInput!.Dim(0)), part, 2);
        Optimizer!.ApplyPart(stepTrainable!, part, 2);
    }

    /// <summary>One training step on a prepared batch, optimizer included (the benchmark's step; Fit gathers and checks batches itself).</summary>
    internal double TrainOnBatch(Tensor x, Tensor y) => TrainStep(x, y, trainableForProfile ??= TrainableWeights(), []);

    /// <summary>
    /// The training step's shards with ∂loss/∂output given instead of a loss (tests of gradients): the very
    /// <see cref="TrainShard"/> that Fit runs, the gradients summed into the model's weights, no optimizer step.
    /// Returns the batch's output.
    /// </summary>
    internal Tensor TrainingPass(Tensor x, Tensor outputGradient)
    {
        var output = RunTrainingShards(x, null, outputGradient);
        SumShardGradients(ShardCount(x.Dim(0)));
        return output;
    }

    /// <summary>Runs <see cref="TrainShard"/> on every shard of <paramref name="x"/>; the loss comes from <paramref name="y"/>,
    /// or ∂loss/∂output is <paramref name="outputGradient"/>. Returns the batch's output.</summary>
    private Tensor RunTrainingShards(Tensor x, Tensor? y, Tensor? outputGradient)
    {
        int batch = x.Dim(0), shards = ShardCount(batch);
        BeginBatch(x, training: true, shards);
        if (shardLosses.Length < shards) shardLosses = new double[shards];
        batchTargets = y;
        batchOutputGradient = outputGradient;
        batchLossScale = 1.0 / (batch * OutputRowsPerSample);
        Runner.Run(shards, trainShard ??= TrainShard);
        batchTargets = null;
        batchOutputGradient = null;
        return CollectOutputs(batch, shards);
    }

    /// <summary>Shard <paramref name="s"/> of a training step: forward, ∂loss/∂output of its rows, backward.</summary>
    private void TrainShard(int s)
    {
        var y = replicaOutputs[s] = ForwardShard(s, s);
        Tensor gradient;
        if (batchOutputGradient is not null) gradient = CopyShard(batchOutputGradient, s, shardOutputGradients[s]);
        else
        {
            int width = outputShape![^1], rows = y.Length / width, targetWidth = loss!.TargetWidth(width);
            int firstRow = s * ShardSize * OutputRowsPerSample;
            gradient = shardOutputGradients[s].Reshape(y.Shape);
            var logitsOfShard = LossFused ? ((Dense)replicas[s][^1]).Logits.Span : default;
            shardLosses[s] = loss.Compute(y.Span, logitsOfShard, batchTargets!.Span.Slice(firstRow * targetWidth, rows * targetWidth),
                rows, width, gradient.Span, batchLossScale);
        }
        BackwardThroughReplica(s, gradient);
    }

    /// <summary>The variables the optimizer updates, in Keras's <c>trainable_variables</c> order (model order).</summary>
    internal Weight[] TrainableWeights() => layers.SelectMany(l => l.Weights).Where(w => w.Trainable).ToArray();

    private MetricAccumulator[] CreateAccumulators() =>
        metrics.Select(m => new MetricAccumulator(m, sparseTargets: loss!.IsSparse)).ToArray();

    /// <summary>Output rows per sample: 1, or the timesteps when the model ends in a sequence.</summary>
    private int OutputRowsPerSample
    {
        get
        {
            int rows = 1;
            for (int d = 0; d < outputShape!.Length - 1; d++) rows *= outputShape[d];
            return rows;
        }
    }

    private bool LossFused => layers[^1] is Dense { FuseLossGradient: true };

    // The last Dense hands its pre-activation to the loss when the loss undoes its activation (sigmoid + binary
    // cross-entropy, softmax + categorical): see Loss for why.
    private void UpdateLossFusion()
    {
        bool fuse = loss?.FusedActivation is { } a && layers.Count > 0 && layers[^1] is Dense d && d.Activation == a;
        if (layers.Count > 0 && layers[^1] is Dense) foreach (var stack in replicas.Prepend(layers.ToArray())) ((Dense)stack[^1]).FuseLossGradient = fuse;
    }

    private static void CheckSamples(Tensor x, Tensor y, string operation)
    {
        if (y.Rank == 0 || y.Dim(0) != x.Dim(0))
            throw new SequorException($"{operation}: {x.Dim(0)} input samples but {(y.Rank == 0 ? 0 : y.Dim(0))} target samples; they must be equal");
    }

    private static Tensor Rows(Tensor t, int start, int end)
    {
        int row = t.Length / t.Dim(0);
        var shape = t.Shape.ToArray();
        shape[0] = end - start;
        return new Tensor(t.Span.Slice(start * row, (end - start) * row).ToArray(), shape);
    }

}
