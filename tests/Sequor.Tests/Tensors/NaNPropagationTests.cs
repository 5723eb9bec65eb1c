using Sequor.Layers;

namespace Sequor.Tests.Tensors;

/// <summary>NaN goes through every activation and recurrent kernel as IEEE arithmetic takes it: never made finite.</summary>
[Collection(nameof(KernelChoiceCollection))]
public sealed class NaNPropagationTests
{
    private static readonly float[] Inputs = [float.NaN, 0.1f, -100f, 100f, float.NaN, 3f, -3f, 0f, float.NaN, 1e-5f, 50f];

    [Theory]
    [InlineData("sigmoid")]
    [InlineData("tanh")]
    [InlineData("relu")]
    [InlineData("hard_sigmoid")]
    [InlineData("linear")]
    public void ElementwiseActivationsKeepNaN(string name)
    {
        var y = new float[Inputs.Length];
        Activation.FromName(name).Forward(Inputs, y, Inputs.Length);
        for (int i = 0; i < Inputs.Length; i++) Assert.Equal(float.IsNaN(Inputs[i]), float.IsNaN(y[i]));
    }

    [Fact]
    public void SoftmaxOfARowWithNaNIsNaN()
    {
        var y = new float[4];
        Activation.Softmax.Forward([1f, float.NaN, 2f, 3f], y, 4);
        Assert.All(y, v => Assert.True(float.IsNaN(v)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void VectorGateMathKeepsNaN(bool wide)
    {
        using (KernelChoices.Use(wide && Kernels.IsAvailable(KernelChoice.Vector512) ? KernelChoice.Vector512 : KernelChoice.Vector256))
        {
            var s = new float[Inputs.Length];
            var t = new float[Inputs.Length];
            VectorMath.Sigmoid(Inputs, s);
            VectorMath.Tanh(Inputs, t);
            for (int i = 0; i < Inputs.Length; i++)
            {
                Assert.Equal(float.IsNaN(Inputs[i]), float.IsNaN(s[i]));
                Assert.Equal(float.IsNaN(Inputs[i]), float.IsNaN(t[i]));
            }
        }
    }

    public static TheoryData<string> Recurrent => new() { "simple_rnn", "lstm", "gru" };

    [Theory]
    [MemberData(nameof(Recurrent))]
    public void AModelWithANaNWeightPredictsNaN(string kind)
    {
        Layer cell = kind switch { "simple_rnn" => new SimpleRNN(6), "lstm" => new LSTM(6), _ => new GRU(6) };
        using var model = new Sequential([new Embedding(50, 4), cell, new Dense(1, Activation.Sigmoid)], seed: 3);
        model.Build([10]);
        foreach (int which in new[] { 1, model.GetWeights().Length - 2 })  // a recurrent kernel, the Dense kernel
        {
            var weights = model.GetWeights();
            var original = weights[which].Span[0];
            weights[which].Span[0] = float.NaN;
            model.SetWeights(weights);
            var x = new Tensor(Enumerable.Range(0, 30).Select(i => (float)(i % 50)).ToArray(), [3, 10]);
            var y = model.Predict(x);
            Assert.All(y.Span.ToArray(), v => Assert.True(float.IsNaN(v), $"{kind}: weight {which} NaN predicted {v}"));
            weights[which].Span[0] = original;
            model.SetWeights(weights);
        }
    }
}
