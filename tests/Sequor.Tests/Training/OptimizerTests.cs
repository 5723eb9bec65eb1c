using Sequor.Layers;
using Sequor.Training;

namespace Sequor.Tests.Training;

/// <summary>Several steps of each optimizer against the reference formulas computed by hand in double precision.</summary>
public class OptimizerTests
{
    private static readonly double[] Start = [0.5, -1.25, 2.0, 0.0];
    private static readonly double[][] Gradients = [[0.1, -0.2, 0.3, 0.0], [0.05, 0.4, -0.6, 1e-4], [-0.3, 0.1, 0.2, -2.0]];

    private static double[] Run(Optimizer optimizer)
    {
        var weight = new Weight("w", new Tensor(Start.Select(v => (float)v).ToArray(), Start.Length));
        foreach (var g in Gradients)
        {
            for (int i = 0; i < g.Length; i++) weight.Gradient.Span[i] = (float)g[i];
            optimizer.Apply([weight]);
        }
        return weight.Value.Span.ToArray().Select(v => (double)v).ToArray();
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6 * Math.Max(1, Math.Abs(expected[i])), $"w[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }

    [Theory, InlineData(0.0, false), InlineData(0.9, false), InlineData(0.0, true), InlineData(0.5, true)]
    public void RmspropFollowsKeras3WithEpsilonInsideTheRoot(double momentum, bool centered)
    {
        double lr = 0.01, rho = 0.9, eps = 1e-7;
        var w = Start.ToArray();
        var v = new double[4]; var m = new double[4]; var mg = new double[4];
        foreach (var g in Gradients)
            for (int i = 0; i < 4; i++)
            {
                v[i] = rho * v[i] + (1 - rho) * g[i] * g[i];
                double d = v[i];
                if (centered) { mg[i] = rho * mg[i] + (1 - rho) * g[i]; d -= mg[i] * mg[i]; }
                double step = lr * g[i] / Math.Sqrt(d + eps);
                if (momentum > 0) { m[i] = momentum * m[i] + step; w[i] -= m[i]; } else w[i] -= step;
            }
        AssertClose(w, Run(new RMSprop(learningRate: 0.01f, momentum: (float)momentum, centered: centered)));
    }

    [Theory, InlineData(false), InlineData(true)]
    public void AdamAddsEpsilonToTheUncorrectedRoot(bool amsgrad)
    {
        double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7;
        var w = Start.ToArray();
        var m = new double[4]; var v = new double[4]; var vHat = new double[4];
        int t = 0;
        foreach (var g in Gradients)
        {
            t++;
            double alpha = lr * Math.Sqrt(1 - Math.Pow(b2, t)) / (1 - Math.Pow(b1, t));
            for (int i = 0; i < 4; i++)
            {
                m[i] += (g[i] - m[i]) * (1 - b1);
                v[i] += (g[i] * g[i] - v[i]) * (1 - b2);
                vHat[i] = Math.Max(vHat[i], v[i]);
                w[i] -= alpha * m[i] / (Math.Sqrt(amsgrad ? vHat[i] : v[i]) + eps);
            }
        }
        AssertClose(w, Run(new Adam(learningRate: 0.01f, amsgrad: amsgrad)));
    }

    // 8,809 weights (the chapter LSTM's count) go through the vector loop and its scalar tail; each value must be
    // the float rule applied one element at a time, bit for bit, so vectorising changed no result.
    [Theory, InlineData("rmsprop"), InlineData("adam")]
    public void LongTensorsGetTheElementwiseFloatRuleBitForBit(string name)
    {
        const int n = 8809;
        var random = new Random(7);
        var start = Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var gradients = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 0.2 - 0.1)).ToArray()).ToArray();
        var weight = new Weight("w", new Tensor(start.ToArray(), n));
        var optimizer = name == "rmsprop" ? (Optimizer)new RMSprop(learningRate: 0.01f) : new Adam(learningRate: 0.01f);
        foreach (var g in gradients)
        {
            g.CopyTo(weight.Gradient.Span);
            optimizer.Apply([weight]);
        }

        var w = start.ToArray();
        var first = new float[n];
        var second = new float[n];
        for (int t = 1; t <= gradients.Length; t++)
        {
            var g = gradients[t - 1];
            float alpha = (float)(0.01f * Math.Sqrt(1 - Math.Pow(0.999f, t)) / (1 - Math.Pow(0.9f, t)));
            for (int i = 0; i < n; i++)
                if (name == "rmsprop")
                {
                    float rho = 0.9f;
                    second[i] = rho * second[i] + (1 - rho) * g[i] * g[i];
                    w[i] -= 0.01f * g[i] / MathF.Sqrt(second[i] + 1e-7f);
                }
                else
                {
                    first[i] += (g[i] - first[i]) * (1 - 0.9f);
                    second[i] += (g[i] * g[i] - second[i]) * (1 - 0.999f);
                    w[i] -= alpha * first[i] / (MathF.Sqrt(second[i]) + 1e-7f);
                }
        }
        var actual = weight.Value.Span;
        for (int i = 0; i < n; i++)
            Assert.True(BitConverter.SingleToInt32Bits(w[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"w[{i}]: expected {w[i]:R}, got {actual[i]:R}");
    }

    [Theory, InlineData(0.0, false), InlineData(0.9, false), InlineData(0.9, true)]
    public void SgdFollowsKerasMomentumAndNesterov(double momentum, bool nesterov)
    {
        double lr = 0.1;
        var w = Start.ToArray();
        var m = new double[4];
        foreach (var g in Gradients)
            for (int i = 0; i < 4; i++)
            {
                if (momentum == 0) { w[i] -= lr * g[i]; continue; }
                m[i] = momentum * m[i] - lr * g[i];
                w[i] += nesterov ? momentum * m[i] - lr * g[i] : m[i];
            }
        AssertClose(w, Run(new SGD(learningRate: 0.1f, momentum: (float)momentum, nesterov: nesterov)));
    }

    [Fact]
    public void ClipnormScalesEachTensorToItsNorm()
    {
        var w = Start.ToArray();
        foreach (var g in Gradients)
        {
            double norm = Math.Sqrt(g.Sum(v => v * v));
            for (int i = 0; i < 4; i++) w[i] -= 0.1 * g[i] * 0.5 / Math.Max(norm, 0.5);
        }
        AssertClose(w, Run(new SGD(learningRate: 0.1f, clipnorm: 0.5f)));
    }

    [Fact]
    public void ClipvalueClampsEachValue()
    {
        var w = Start.ToArray();
        foreach (var g in Gradients)
            for (int i = 0; i < 4; i++) w[i] -= 0.1 * Math.Clamp(g[i], -0.25, 0.25);
        AssertClose(w, Run(new SGD(learningRate: 0.1f, clipvalue: 0.25f)));
    }

    [Fact]
    public void GlobalClipnormScalesAllTensorsTogether()
    {
        var first = new Weight("a", new Tensor([1f, 2f], 2));
        var second = new Weight("b", new Tensor([3f], 1));
        first.Gradient.Span[0] = 3; first.Gradient.Span[1] = 0; second.Gradient.Span[0] = 4;  // global norm 5
        new SGD(learningRate: 1, globalClipnorm: 1).Apply([first, second]);
        Assert.Equal(1 - 0.6f, first.Value[0], 6);
        Assert.Equal(3 - 0.8f, second.Value[0], 6);
    }

    [Fact]
    public void TheLearningRateCanChangeBetweenSteps()
    {
        var optimizer = new SGD(learningRate: 0.1f);
        var weight = new Weight("w", new Tensor([1f], 1));
        weight.Gradient.Span[0] = 1;
        optimizer.Apply([weight]);
        optimizer.LearningRate = 0.01f;
        optimizer.Apply([weight]);
        Assert.Equal(0.89f, weight.Value[0], 6);
        Assert.Equal(2, optimizer.Iterations);
    }
}
