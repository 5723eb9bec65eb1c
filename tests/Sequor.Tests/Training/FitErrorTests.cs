using Sequor.Layers;
using Sequor.Training;

namespace Sequor.Tests.Training;

public class FitErrorTests
{
    private static Sequential Compiled()
    {
        var model = new Sequential([new Embedding(50, 4), new LSTM(3), new Dense(1, Activation.Sigmoid)], seed: 1);
        model.Compile(new RMSprop(), Loss.BinaryCrossentropy, Metric.Accuracy);
        return model;
    }

    private static Tensor Ids(int n, int steps) => new(Enumerable.Range(0, n * steps).Select(i => (float)(i % 50)).ToArray(), n, steps);

    [Fact]
    public void FittingAnUncompiledModelSaysSo()
    {
        using var model = new Sequential(new Dense(1));
        var e = Assert.Throws<SequorException>(() => model.Fit(new Tensor(4, 3), new Tensor(4), verbose: 0));
        Assert.Contains("not compiled", e.Message);
    }

    [Fact]
    public void DifferentSampleCountsAreNamed()
    {
        using var model = Compiled();
        var e = Assert.Throws<SequorException>(() => model.Fit(Ids(10, 5), new Tensor(9), verbose: 0));
        Assert.Contains("10 input samples but 9 target samples", e.Message);
    }

    [Fact]
    public void LabelsOutsideTheLossDomainAreNamed()
    {
        using var model = Compiled();
        var y = new Tensor(10);
        y[3] = 2;
        var e = Assert.Throws<SequorException>(() => model.Fit(Ids(10, 5), y, verbose: 0));
        Assert.Contains("target 2 at index 3", e.Message);
        Assert.Contains("binary_crossentropy", e.Message);
    }

    [Fact]
    public void AnInputShapeTheModelCannotTakeNamesBothShapes()
    {
        using var model = Compiled();
        model.Build([5]);
        var e = Assert.Throws<SequorException>(() => model.Fit(Ids(10, 6), new Tensor(10), verbose: 0));
        Assert.Contains("(None, 5)", e.Message);
        Assert.Contains("(10, 6)", e.Message);
    }

    [Fact]
    public void ANaNLossStopsWithOneLine()
    {
        using var model = new Sequential([new Dense(1, Activation.Sigmoid)], seed: 1);
        model.Compile(new SGD(), Loss.BinaryCrossentropy);
        var x = new Tensor(8, 2);
        x[5, 1] = float.NaN;
        var e = Assert.Throws<SequorException>(() => model.Fit(x, new Tensor(8), verbose: 0));
        Assert.Contains("NaN", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void TerminateOnNaNStopsQuietlyInstead()
    {
        using var model = new Sequential([new Dense(1, Activation.Sigmoid)], seed: 1);
        model.Compile(new SGD(), Loss.BinaryCrossentropy);
        var x = new Tensor(8, 2);
        x[5, 1] = float.NaN;
        var terminate = new TerminateOnNaN();
        var history = model.Fit(x, new Tensor(8), epochs: 3, batchSize: 4, verbose: 0, callbacks: [terminate]);
        Assert.Equal(1, terminate.TerminatedAtBatch);
        Assert.Single(history.Epoch);
    }

    [Fact]
    public void SparseLabelsMustBeClassIds()
    {
        using var model = new Sequential([new Dense(3, Activation.Softmax)], seed: 1);
        model.Compile(new SGD(), Loss.SparseCategoricalCrossentropy, Metric.Accuracy);
        var y = new Tensor(4);
        y[2] = 3;
        var e = Assert.Throws<SequorException>(() => model.Fit(new Tensor(4, 2), y, verbose: 0));
        Assert.Contains("class id in [0, 3)", e.Message);
    }

    [Fact]
    public void OptimizersRejectTwoClippingModes() =>
        Assert.Throws<SequorException>(() => new Adam(clipnorm: 1, clipvalue: 1));
}
