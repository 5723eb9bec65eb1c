using Sequor.Layers;

namespace Sequor.Tests.Models;

/// <summary>
/// The model's execution plan (Models/ExecutionPlan.cs): decided once at Build from the layer stack, handed to the
/// layers; a layer that leaves work to the next one passes on real data (ids, time-major states), never a tensor that
/// has a shape but was not filled.
/// </summary>
public class ExecutionPlanTests
{
    [Fact]
    public void TheChapterModelsLookUpIdsInTheRecurrentLayerAndHandSequencesOverTimeMajor()
    {
        using var twoLayer = new Sequential([new Embedding(500, 16), new LSTM(8, returnSequences: true), new LSTM(8), new Dense(1, Activation.Sigmoid)], seed: 1);
        twoLayer.Build([100]);
        Assert.Equal(["lstm looks up the ids of embedding", "lstm hands its states to lstm_1 time-major", ], twoLayer.DescribePlan());

        using var bidirectional = new Sequential([new Embedding(500, 16), new Bidirectional(new LSTM(8, returnSequences: true)), new GRU(8, goBackwards: true), new Dense(1)], seed: 1);
        bidirectional.Build([100]);
        Assert.Empty(bidirectional.DescribePlan());  // a wrapper and a reversed sequence run as they would alone

        using var backwards = new Sequential([new Embedding(50, 8), new GRU(8, returnSequences: true, goBackwards: true), new LSTM(8), new Dense(1)], seed: 1);
        backwards.Build([10]);
        Assert.Equal(["gru looks up the ids of embedding"], backwards.DescribePlan());
    }

    [Fact]
    public void AnEmbeddingWhoseNextLayerLooksUpPassesTheCheckedIdsOn()
    {
        var embedding = new Embedding(10, 4) { Plan = new LayerPlan(OutputIsIds: true) };
        embedding.Build([3], new RandomGenerator(1));
        var ids = new Tensor([1, 9, 0, 4, 4, 2], 2, 3);
        var output = embedding.Forward(ids, null, training: false);
        Assert.Equal([2, 3], output.Shape.ToArray());
        Assert.Equal(ids.Span.ToArray(), output.Span.ToArray());
        var bad = new Tensor([1, 10, 0, 4, 4, 2], 2, 3);
        Assert.Throws<SequorException>(() => embedding.Forward(bad, null, training: false));
    }

    [Fact]
    public void ARecurrentLayerThatHandsOverOutputsItsStatesTimeMajor()
    {
        var random = new Random(2);
        var x = new Tensor(3, 5, 4);
        for (int i = 0; i < x.Length; i++) x.Span[i] = (float)(random.NextDouble() - 0.5);
        var alone = new LSTM(8, returnSequences: true);
        alone.Build([5, 4], new RandomGenerator(3));
        var handing = new LSTM(8, returnSequences: true) { Plan = new LayerPlan(OutputIsTimeMajor: true) };
        handing.Build([5, 4], new RandomGenerator(3));
        var batchMajor = alone.Forward(x, null, training: false).Span.ToArray();
        var timeMajor = handing.Forward(x, null, training: false);
        Assert.Equal([5, 3, 8], timeMajor.Shape.ToArray());
        for (int b = 0; b < 3; b++)
            for (int t = 0; t < 5; t++)
                Assert.Equal(batchMajor.AsSpan((b * 5 + t) * 8, 8).ToArray(), timeMajor.Span.Slice((t * 3 + b) * 8, 8).ToArray());
    }
}
