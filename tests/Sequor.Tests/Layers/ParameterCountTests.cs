using Sequor.Layers;

namespace Sequor.Tests.Layers;

public class ParameterCountTests
{
    private static int Count(Layer layer, params int[] inputShape)
    {
        using var model = new Sequential([layer], seed: 1);
        model.Build(inputShape);
        return layer.CountParams();
    }

    [Fact] public void EmbeddingHasInputDimTimesOutputDim() => Assert.Equal(8_000, Count(new Embedding(500, 16), 100));
    [Fact] public void LstmOnSixteenInputsHas800() => Assert.Equal(800, Count(new LSTM(8), 100, 16));
    [Fact] public void StackedLstmOnEightInputsHas544() => Assert.Equal(544, Count(new LSTM(8), 100, 8));
    [Fact] public void GruResetAfterOnSixteenInputsHas624() => Assert.Equal(624, Count(new GRU(8), 100, 16));
    [Fact] public void GruResetBeforeOnSixteenInputsHas600() => Assert.Equal(600, Count(new GRU(8, resetAfter: false), 100, 16));
    [Fact] public void SimpleRnnOnOneHot300Has2472() => Assert.Equal(2_472, Count(new SimpleRNN(8), 100, 300));
    [Fact] public void DenseOneOnEightHasNine() => Assert.Equal(9, Count(new Dense(1, Activation.Sigmoid), 8));
    [Fact] public void BidirectionalDoublesItsLayer() => Assert.Equal(1_600, Count(new Bidirectional(new LSTM(8)), 100, 16));

    [Fact]
    public void WeightShapesAndNamesFollowKeras()
    {
        var gru = new GRU(8);
        Count(gru, 100, 16);
        Assert.Equal(["kernel", "recurrent_kernel", "bias"], gru.Weights.Select(w => w.Name));
        Assert.Equal([16, 24], gru.Weights[0].Value.Shape.ToArray());
        Assert.Equal([8, 24], gru.Weights[1].Value.Shape.ToArray());
        Assert.Equal([2, 24], gru.Weights[2].Value.Shape.ToArray());
    }
}
