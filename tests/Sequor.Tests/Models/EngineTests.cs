using Sequor.Layers;

namespace Sequor.Tests.Models;

public class EngineTests
{
    private static Sequential ChapterLstm(int seed, Real dropout = 0) =>
        new([new Embedding(500, 16), new LSTM(8, dropout: dropout, returnSequences: true), new LSTM(8, dropout: dropout), new Dense(1, Activation.Sigmoid)], seed);

    private static Tensor Ids(int batch, int steps, int seed)
    {
        var random = new Random(seed);
        var x = new Tensor(batch, steps);
        for (int i = 0; i < x.Length; i++) x.Span[i] = random.Next(500);
        return x;
    }

    private static (float[] Output, float[][] Gradients) Step(Sequential model, Tensor x)
    {
        var dy = new Tensor([x.Dim(0), .. model.OutputShape]);
        for (int i = 0; i < dy.Length; i++) dy.Span[i] = (float)(i % 7) / 7 - 0.4f;
        var output = model.TrainingPass(x, dy).Span.ToArray();
        return (output, model.Weights.Select(w => w.Gradient.Span.ToArray()).ToArray());
    }

    [Theory, InlineData(64), InlineData(100), InlineData(7)]
    public void OutputsAndGradientsAreBitIdenticalOnOneAndFourThreads(int batch)
    {
        using var one = ChapterLstm(seed: 11, dropout: 0.3f);
        using var four = ChapterLstm(seed: 11, dropout: 0.3f);
        one.Build([100]);
        four.Build([100]);
        one.Threads = 1;
        four.Threads = 4;
        for (int stepIndex = 0; stepIndex < 2; stepIndex++)
        {
            var x = Ids(batch, 100, stepIndex);
            var a = Step(one, x);
            var b = Step(four, x);
            Assert.Equal(a.Output, b.Output);
            for (int w = 0; w < a.Gradients.Length; w++) Assert.Equal(a.Gradients[w], b.Gradients[w]);
        }
    }

    [Fact]
    public void ForwardAndBackwardOfTheChapterLstmAllocateUnderOneKilobyteAfterWarmUp()
    {
        using var model = new Sequential([new Embedding(500, 16), new LSTM(8), new Dense(1, Activation.Sigmoid)], seed: 5);
        model.Build([100]);
        model.Threads = 1;  // per-thread allocation counting sees everything the step does
        var x = Ids(64, 100, 1);
        var dy = new Tensor(64, 1);
        dy.Span.Fill(0.01f);
        // warm-up past the tiered JIT's first promotions; then the mean over 20 steps
        for (int i = 0; i < 10; i++) model.TrainingPass(x, dy);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) model.TrainingPass(x, dy);
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / 20;
        Assert.True(perStep < 1024, $"a forward+backward step allocated {perStep} bytes");
    }

    /// <summary>A callback that notes the bytes this thread has allocated at the end of every batch, allocating nothing itself.</summary>
    private sealed class AllocationProbe(int batches) : Sequor.Training.ICallback
    {
        public readonly long[] AtBatchEnd = new long[batches];
        private int seen;

        public void OnTrainBatchEnd(Sequential model, int batch, IReadOnlyDictionary<string, double> logs)
        {
            if (seen < AtBatchEnd.Length) AtBatchEnd[seen++] = GC.GetAllocatedBytesForCurrentThread();
        }
    }

    [Theory, InlineData("rmsprop"), InlineData("adam")]
    public void AFitStepOfTheChapterLstmAllocatesUnderOneKilobyteAfterWarmUp(string optimizer)
    {
        // Exactly what Fit runs per batch: gather, the training step, the optimizer, the logs and the callbacks,
        // measured between the ends of consecutive batches of one epoch (after the first epoch warmed every buffer).
        using var model = new Sequential([new Embedding(500, 16), new LSTM(8, dropout: 0.3f), new Dense(1, Activation.Sigmoid)], seed: 5) { Threads = 1 };
        model.Compile(optimizer, "binary_crossentropy", "accuracy");
        var x = Ids(64 * 8, 100, 1);
        var y = new Tensor(64 * 8, 1);
        for (int i = 0; i < y.Length; i++) y.Span[i] = i % 3 == 0 ? 1 : 0;
        var probe = new AllocationProbe(16);
        model.Fit(x, y, epochs: 2, batchSize: 64, verbose: 0, callbacks: [probe]);
        long perStep = (probe.AtBatchEnd[15] - probe.AtBatchEnd[9]) / 6;  // the last six batches of the second epoch
        Assert.True(perStep < 1024, $"a Fit step with {optimizer} allocated {perStep} bytes");
    }

    [Fact]
    public void PredictGivesEachRowTheSameOutputWhateverTheBatchSize()
    {
        // Rows never interact, so only the grouping changes. (Vectorised kernels may round a span shorter than
        // one vector, i.e. under 8 rows, differently in the last bit, so the batches here stay at 8 or more.)
        using var model = ChapterLstm(seed: 2);
        model.Build([100]);
        var x = Ids(50, 100, 9);
        Assert.Equal(model.Predict(x, batchSize: 50).Span.ToArray(), model.Predict(x, batchSize: 10).Span.ToArray());
    }

    [Fact]
    public void PredictIsBitIdenticalOnOneAndThreeThreadsAndPerShard()
    {
        // Large batches run shards on one replica per worker; the result must not depend on that.
        using var one = ChapterLstm(seed: 4);
        using var three = ChapterLstm(seed: 4);
        one.Build([100]);
        three.Build([100]);
        one.Threads = 1;
        three.Threads = 3;
        var x = Ids(300, 100, 5);
        var a = one.Predict(x, batchSize: 300).Span.ToArray();
        Assert.Equal(a, three.Predict(x, batchSize: 300).Span.ToArray());
        Assert.Equal(a, one.Predict(x, batchSize: 32).Span.ToArray());
    }

    [Fact]
    public void AnInputOfTheWrongShapeNamesBothShapes()
    {
        using var model = ChapterLstm(seed: 2);
        model.Build([100]);
        var e = Assert.Throws<SequorException>(() => model.Predict(new Tensor(4, 99)));
        Assert.Contains("(None, 100)", e.Message);
        Assert.Contains("(4, 99)", e.Message);
    }

    [Fact]
    public void ATokenIdBeyondTheVocabularyNamesTheLayerAndTheValue()
    {
        using var model = ChapterLstm(seed: 2);
        model.Build([100]);
        var x = Ids(3, 100, 1);
        x[2, 40] = 512;
        var e = Assert.Throws<SequorException>(() => model.Predict(x));
        Assert.Contains("'embedding'", e.Message);
        Assert.Contains("512", e.Message);
        Assert.Contains("[2, 40]", e.Message);
    }

    [Fact]
    public void ALayerThatCannotTakeTheShapeFailsAtBuildNamingIt()
    {
        using var model = new Sequential(new Dense(4), new LSTM(3));
        var e = Assert.Throws<SequorException>(() => model.Build([8]));
        Assert.Contains("'lstm'", e.Message);
        Assert.Contains("(None, 4)", e.Message);
    }

    [Fact]
    public void LayersAreNamedAsKerasNamesThem()
    {
        using var model = new Sequential(new Embedding(10, 2), new SimpleRNN(2, returnSequences: true), new SimpleRNN(2), new Dense(1));
        Assert.Equal(["embedding", "simple_rnn", "simple_rnn_1", "dense"], model.Layers.Select(l => l.Name));
    }

    [Fact]
    public void AOneHotModelTakesTokenIdsAndEncodesThemPerBatch()
    {
        using var model = new Sequential([new SimpleRNN(4), new Dense(1, Activation.Sigmoid)], seed: 3);
        model.Build([12, 30]);
        var random = new Random(4);
        var ids = new Tensor(9, 12);
        var oneHot = new Tensor(9, 12, 30);
        for (int i = 0; i < 9; i++)
            for (int t = 0; t < 12; t++)
            {
                int id = random.Next(30);
                ids[i, t] = id;
                oneHot[i, t, id] = 1;
            }
        Assert.Equal(model.Predict(oneHot).Span.ToArray(), model.Predict(ids).Span.ToArray());
        ids[4, 2] = 30;
        var e = Assert.Throws<SequorException>(() => model.Predict(ids));
        Assert.Contains("one-hot depth [0, 30)", e.Message);
    }
}

public class OneHotInputTests
{
    [Fact]
    public void OneHotInputIsGatheredWithTheResultsOfTheDenseProduct()
    {
        // The same layer twice: once on exact one-hot rows (gathered), once on the same rows with a 1e-30 entry
        // that makes them dense (GEMM). The extra 1e-30·w is far below float resolution, so the results agree.
        int batch = 4, steps = 6, width = 40;
        var random = new Random(3);
        var x = new Tensor(batch, steps, width);
        for (int r = 0; r < batch * steps; r++) x.Span[r * width + random.Next(width)] = 1;
        var dense = x.Clone();
        dense.Span[x.Span[0] == 1 ? 1 : 0] = 1e-30f;  // a column that is not row 0's 1
        (float[] Output, float[] KernelGradient) Run(Tensor input)
        {
            var layer = new Sequor.Layers.SimpleRNN(8, returnSequences: true);
            layer.Build([steps, width], new RandomGenerator(5));
            var y = layer.Forward(input, null, true).Span.ToArray();
            var dy = new Tensor(batch, steps, 8);
            for (int i = 0; i < dy.Length; i++) dy.Span[i] = (i % 5) * 0.1f - 0.2f;
            layer.Backward(dy);
            return (y, layer.Weights[0].Gradient.Span.ToArray());
        }
        var a = Run(x);
        var b = Run(dense);
        Assert.Equal(b.Output, a.Output);
        for (int i = 0; i < a.KernelGradient.Length; i++) Assert.Equal(b.KernelGradient[i], a.KernelGradient[i], 6);
    }
}

public class OneHotColumnTests
{
    [Theory]
    [InlineData(0f)]
    [InlineData(0.3f)]
    public void OneHotColumnsGiveTheResultsOfTheOneHotRows(float dropout)
    {
        // [B, T] columns (−1: an all-zero row) against the [B, T, F] rows they stand for, on the same layer
        // weights and dropout masks: gathered without dropout, multiplied as X̃ = X ⊙ m_x with it.
        int batch = 5, steps = 7, width = 24;
        var random = new Random(8);
        var columns = new Tensor(batch, steps);
        var rows = new Tensor(batch, steps, width);
        for (int r = 0; r < batch * steps; r++)
        {
            int column = r % 6 == 5 ? -1 : random.Next(width);
            columns.Span[r] = column;
            if (column >= 0) rows.Span[r * width + column] = 1;
        }
        (float[] Output, float[][] Gradients, Tensor? InputGradient) Run(Tensor input)
        {
            var layer = new Sequor.Layers.LSTM(8, dropout: dropout, returnSequences: true);
            layer.Build([steps, width], new RandomGenerator(5));
            layer.Random.Reseed(11);
            var y = layer.Forward(input, null, true).Span.ToArray();
            var dy = new Tensor(batch, steps, 8);
            for (int i = 0; i < dy.Length; i++) dy.Span[i] = (i % 5) * 0.1f - 0.2f;
            var dx = layer.Backward(dy);
            return (y, layer.Weights.Select(w => w.Gradient.Span.ToArray()).ToArray(), dx);
        }
        var fromColumns = Run(columns);
        var fromRows = Run(rows);
        Assert.Equal(fromRows.Output, fromColumns.Output);
        for (int w = 0; w < fromRows.Gradients.Length; w++) Assert.Equal(fromRows.Gradients[w], fromColumns.Gradients[w]);
        Assert.NotNull(fromRows.InputGradient);
        Assert.Null(fromColumns.InputGradient);  // columns are data: no ∂X
    }

    [Fact]
    public void AOneHotModelTrainsAlikeOnOneHotRowsAndOnTokenIds()
    {
        int n = 50, steps = 8, width = 20;
        var random = new Random(2);
        var ids = new Tensor(n, steps);
        var rows = new Tensor(n, steps, width);
        var y = new Tensor(n);
        for (int r = 0; r < n * steps; r++)
        {
            int id = random.Next(width);
            ids.Span[r] = id;
            rows.Span[r * width + id] = 1;
        }
        for (int i = 0; i < n; i++) y.Span[i] = i % 3 == 0 ? 1 : 0;
        float[][] Train(Tensor x)
        {
            using var model = new Sequential([new Sequor.Layers.SimpleRNN(4, dropout: 0.2f), new Sequor.Layers.Dense(1, Sequor.Layers.Activation.Sigmoid)], seed: 6);
            model.Build([steps, width]);  // token ids alone do not tell the one-hot depth
            model.Compile(new Sequor.Training.RMSprop(1e-2f), Sequor.Training.Loss.BinaryCrossentropy);
            model.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0);
            return model.Weights.Select(w => w.Value.Span.ToArray()).ToArray();
        }
        var fromIds = Train(ids);
        var fromRows = Train(rows);
        for (int w = 0; w < fromIds.Length; w++) Assert.Equal(fromIds[w], fromRows[w]);
    }

    [Fact]
    public void ABatchWithARowThatIsNotOneHotRunsOnTheRowsAsGiven()
    {
        // Row 3 is not one-hot, so a batch holding it goes to the layer as dense rows; every other row gives the
        // same output there as in batches of exact one-hot rows (their gather equals their product).
        int n = 12, steps = 6, width = 32;
        var random = new Random(5);
        var x = new Tensor(n, steps, width);
        for (int r = 0; r < n * steps; r++) x.Span[r * width + random.Next(width)] = 1;
        x[3, 2, 7] = 0.5f;
        using var model = new Sequential([new Sequor.Layers.GRU(8), new Sequor.Layers.Dense(1)], seed: 4);
        model.Build([steps, width]);
        var together = model.Predict(x, batchSize: n).Span.ToArray();
        var apart = model.Predict(x, batchSize: 1).Span.ToArray();
        Assert.Equal(apart, together);
        var clean = x.Clone();
        clean[3, 2, 7] = 0;
        Assert.NotEqual(model.Predict(clean, batchSize: n)[3, 0], together[3]);
    }
}

public class OneHotModelTests
{
    [Fact]
    public void AOneHotModelTrainsAndPredictsInBatchesOfAnySize()
    {
        int n = 70, steps = 10, width = 40;
        var random = new Random(4);
        var x = new Tensor(n, steps, width);
        var y = new Tensor(n);
        for (int r = 0; r < n * steps; r++) x.Span[r * width + random.Next(width)] = 1;
        for (int i = 0; i < n; i++) y.Span[i] = i % 2;
        using var model = new Sequential([new Sequor.Layers.SimpleRNN(8), new Sequor.Layers.Dense(1, Sequor.Layers.Activation.Sigmoid)], seed: 1);
        model.Compile(new Sequor.Training.RMSprop(1e-3f), Sequor.Training.Loss.BinaryCrossentropy);
        model.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
        var all = model.Predict(x, batchSize: 512).Span.ToArray();
        var small = model.Predict(x, batchSize: 16).Span.ToArray();
        Assert.Equal(all, small);
    }
}
