namespace Sequor.Tests.Tensors;

public class KernelTests
{
    private static float[] Inputs()
    {
        var random = new Random(7);
        // wide range, including saturation and values near zero, plus an odd length for the tails
        return Enumerable.Range(0, 1003).Select(i => (float)((random.NextDouble() * 2 - 1) * (i % 3 == 0 ? 30 : 4))).ToArray();
    }

    [Fact]
    public void VectorisedSigmoidAgreesWithTheReferenceTo1e6()
    {
        var x = Inputs();
        float[] fast = new float[x.Length], reference = new float[x.Length];
        Kernels.Sigmoid(x, fast);
        KernelsReference.Sigmoid(x, reference);
        AssertClose(fast, reference, 1e-6f);
    }

    [Fact]
    public void VectorisedTanhAgreesWithTheReferenceTo1e6()
    {
        var x = Inputs();
        float[] fast = new float[x.Length], reference = new float[x.Length];
        Kernels.Tanh(x, fast);
        KernelsReference.Tanh(x, reference);
        AssertClose(fast, reference, 1e-6f);
    }

    [Fact]
    public void VectorisedExpAgreesWithTheReferenceTo1e6()
    {
        var x = Inputs().Select(v => Math.Clamp(v, -80f, 80f)).ToArray();
        float[] fast = new float[x.Length], reference = new float[x.Length];
        Kernels.Exp(x, fast);
        KernelsReference.Exp(x, reference);
        AssertClose(fast, reference, 1e-6f);
    }

    [Fact]
    public void SoftmaxRowsAgreeWithTheReferenceAndSumToOne()
    {
        var x = Inputs()[..1000];
        float[] fast = new float[x.Length], reference = new float[x.Length];
        Kernels.Softmax(x, fast, 10);
        KernelsReference.Softmax(x, reference, 10);
        AssertClose(fast, reference, 1e-6f);
        for (int row = 0; row < 100; row++) Assert.Equal(1f, fast.AsSpan(row * 10, 10).ToArray().Sum(), 5);
    }

    private static void AssertClose(float[] actual, float[] expected, float relative)
    {
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= relative * Math.Max(Math.Abs(expected[i]), 1e-30f) + 1e-30f || Math.Abs(actual[i] - expected[i]) <= 1e-7f,
                $"[{i}]: {actual[i]:R} vs reference {expected[i]:R}");
    }
}
