using Sequor.Data;
using Sequor.Layers;
using Sequor.Training;

namespace Sequor.Tests.Models;

/// <summary>Sequential.Sequences.cs: Fit/Evaluate/Predict on int[][] sequences and int[] labels.</summary>
public class SequentialSequencesTests
{
    private static (int[][] X, int[] Y) Reviews(int count, int seed)
    {
        var random = new Random(seed);
        var x = new int[count][];
        var y = new int[count];
        for (int i = 0; i < count; i++)
        {
            y[i] = random.Next(2);
            // lengths on both sides of maxlen 30: some are padded at the front, some cut at the front
            x[i] = Enumerable.Range(0, random.Next(5, 60)).Select(_ => random.NextDouble() < 0.2 ? (y[i] == 1 ? random.Next(3, 8) : random.Next(8, 13)) : random.Next(13, 100)).ToArray();
        }
        return (x, y);
    }

    private static Sequential Model()
    {
        var model = new Sequential([new Embedding(100, 8), new LSTM(8), new Dense(1, Activation.Sigmoid)], seed: 7);
        model.Build([30]);
        model.Compile(new RMSprop(1e-2f), Loss.BinaryCrossentropy, Metric.Accuracy);
        return model;
    }

    private static Tensor Labels(int[] y) => new(y.Select(v => (Real)v).ToArray(), y.Length);

    [Fact]
    public void SequencesAndLabelsTrainExactlyAsTheirPaddedTensors()
    {
        var (x, y) = Reviews(300, 1);
        var (valX, valY) = Reviews(100, 2);
        using var fromArrays = Model();
        using var fromTensors = Model();
        var a = fromArrays.Fit(x, y, epochs: 4, batchSize: 32, verbose: 0, validationData: (valX, valY));
        var b = fromTensors.Fit(Sequences.PadToTensor(x, 30), Labels(y), epochs: 4, batchSize: 32, verbose: 0,
            validationData: (Sequences.PadToTensor(valX, 30), Labels(valY)));
        Assert.Equal(b["loss"], a["loss"]);
        Assert.Equal(b["val_accuracy"], a["val_accuracy"]);
        Assert.True(a["val_accuracy"][^1] > 0.8, $"val_accuracy {a["val_accuracy"][^1]}: the planted words were not learned");

        Assert.Equal(fromTensors.Evaluate(Sequences.PadToTensor(valX, 30), Labels(valY)).Loss, fromArrays.Evaluate(valX, valY).Loss);
        Assert.Equal(fromTensors.Predict(Sequences.PadToTensor(valX, 30)).Span.ToArray(), fromArrays.Predict(valX).Span.ToArray());
    }

    [Fact]
    public void AModelNotYetBuiltTakesTheLongestSequencesLength()
    {
        using var model = new Sequential([new Embedding(20, 4), new SimpleRNN(3), new Dense(1, Activation.Sigmoid)], seed: 1);
        model.Compile(new RMSprop(), Loss.BinaryCrossentropy, Metric.Accuracy);
        model.Fit([[1, 2], [3, 4, 5, 6, 7], [8]], [0, 1, 0], epochs: 1, verbose: 0);
        Assert.Equal(5, model.InputShape[0]);
    }

    [Fact]
    public void AnEmptyListIsRefusedWithOneLine()
    {
        using var model = Model();
        var e = Assert.Throws<SequorException>(() => model.Predict(Array.Empty<int[]>()));
        Assert.Equal("Predict: no sequences were given", e.Message);
    }
}
