using Sequor.Layers;

namespace Sequor.Tests.Layers;

public class InitializerTests
{
    [Fact]
    public void LstmStartsWithKerasDefaults()
    {
        var lstm = new LSTM(8);
        using var model = new Sequential([lstm], seed: 3);
        model.Build([10, 16]);
        var kernel = lstm.Weights[0].Value.Span.ToArray();
        double limit = Math.Sqrt(6.0 / (16 + 32));  // glorot over the fused (16, 32) kernel
        Assert.All(kernel, v => Assert.InRange(v, -limit, limit));
        Assert.True(kernel.Max() > limit * 0.8 && kernel.Min() < -limit * 0.8, "glorot values should fill their range");

        // orthogonal (8, 32): rows orthonormal
        var u = lstm.Weights[1].Value;
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++)
            {
                double dot = 0;
                for (int c = 0; c < 32; c++) dot += u[i, c] * u[j, c];
                Assert.Equal(i == j ? 1.0 : 0.0, dot, 5);
            }

        // unit_forget_bias: [0 (i) | 1 (f) | 0 (c) | 0 (o)]
        var bias = lstm.Weights[2].Value.Span.ToArray();
        Assert.Equal(Enumerable.Repeat(0f, 8).Concat(Enumerable.Repeat(1f, 8)).Concat(Enumerable.Repeat(0f, 16)), bias);
    }

    [Fact]
    public void EmbeddingStartsUniformWithinFiveHundredths()
    {
        var embedding = new Embedding(500, 16);
        using var model = new Sequential([embedding], seed: 3);
        model.Build([10]);
        Assert.All(embedding.Weights[0].Value.Span.ToArray(), v => Assert.InRange(v, -0.05f, 0.05f));
    }

    [Fact]
    public void SameSeedGivesSameWeightsAndAnotherSeedDoesNot()
    {
        float[] Weights(int seed)
        {
            using var m = new Sequential([new Embedding(50, 4), new GRU(3), new Dense(1)], seed);
            m.Build([7]);
            return m.Weights.SelectMany(w => w.Value.Span.ToArray()).ToArray();
        }
        Assert.Equal(Weights(1), Weights(1));
        Assert.NotEqual(Weights(1), Weights(2));
    }
}
