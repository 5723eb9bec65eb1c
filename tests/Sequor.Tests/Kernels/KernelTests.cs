namespace Sequor.Tests;

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

public class VectorMathTests
{
    private static float[] Inputs()
    {
        var random = new Random(11);
        // both sides of tanh's series/exp switch at |x| = 0.5, tiny values, saturation, an odd length for the tail
        return Enumerable.Range(0, 2003).Select(i => (float)((random.NextDouble() * 2 - 1) * (i % 4) switch { 0 => 40, 1 => 0.6, 2 => 1e-3, _ => 5 }))
            .Concat([0f, 0.5f, -0.5f, 0.49999997f, 88f, -88f, 100f, -100f, 0.0004f, -0.0004f, 7.9053111f, 1e-38f])
            // a dense sweep of [−10, 10] and log-spaced magnitudes from 1e-8 to 20
            .Concat(Enumerable.Range(0, 200001).Select(i => -10f + i * 1e-4f))
            .Concat(Enumerable.Range(0, 2000).Select(i => (float)Math.Pow(10, -8 + i * 0.0046) * (i % 2 == 0 ? 1 : -1))).ToArray();
    }

    [Fact]
    public void FusedSigmoidAgreesWithTheReferenceTo1e6Relative()
    {
        var x = Inputs();
        float[] fast = new float[x.Length], reference = new float[x.Length];
        VectorMath.Sigmoid(x, fast);
        KernelsReference.Sigmoid(x, reference);
        AssertRelative(fast, reference);
    }

    [Fact]
    public void FusedTanhAgreesWithTheReferenceTo1e6Relative()
    {
        var x = Inputs();
        float[] fast = new float[x.Length], reference = new float[x.Length];
        VectorMath.Tanh(x, fast);
        KernelsReference.Tanh(x, reference);
        AssertRelative(fast, reference);
    }

    private static void AssertRelative(float[] actual, float[] expected)
    {
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-6f * Math.Abs(expected[i]) || Math.Abs(actual[i] - expected[i]) <= 1e-30f,
                $"[{i}]: {actual[i]:R} vs reference {expected[i]:R}");
    }
}

public class SmallSpanKernelTests
{
    [Theory, InlineData(1), InlineData(8), InlineData(13), InlineData(32)]
    public void AddMultiplyAndColumnSumsAgreeWithTheReferences(int n)
    {
        var random = new Random(n);
        float[] x = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble()).ToArray(), y = x.Select(v => v * 3 - 1).ToArray();
        float[] fast = new float[n], reference = new float[n];
        Kernels.Add(x, y, fast);
        KernelsReference.Add(x, y, reference);
        Assert.Equal(reference, fast);
        Kernels.Multiply(x, y, fast);
        KernelsReference.Multiply(x, y, reference);
        Assert.Equal(reference, fast);
        var matrix = Enumerable.Range(0, 7 * (n + 3)).Select(_ => (float)random.NextDouble()).ToArray();
        Kernels.ColumnSums(matrix, 7, n, n + 3, fast);
        KernelsReference.ColumnSums(matrix, 7, n, n + 3, reference);
        for (int j = 0; j < n; j++) Assert.Equal(reference[j], fast[j], 5);
    }
}

public class OneHotKernelTests
{
    private static (float[] X, int[] Ids) OneHot(int rows, int width, int seed)
    {
        var random = new Random(seed);
        var x = new float[rows * width];
        var ids = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            ids[r] = r % 5 == 4 ? -1 : random.Next(width);  // every fifth row all zero
            if (ids[r] >= 0) x[r * width + ids[r]] = 1;
        }
        return (x, ids);
    }

    [Theory, InlineData(300), InlineData(19)]
    public void GatherAndScatterAgreeWithTheDenseProducts(int width)
    {
        int rows = 40, n = 8;
        var (x, ids) = OneHot(rows, width, width);
        var index = new int[rows];
        Assert.True(Kernels.FindOneHotRows(x, rows, width, index));
        Assert.Equal(ids, index);

        var random = new Random(2);
        var w = Enumerable.Range(0, width * n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var bias = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble()).ToArray();
        var gathered = new float[rows * n];
        var dense = new float[rows * n];
        Kernels.GatherRows(w, n, index, bias, gathered);
        GemmReference.Multiply(false, false, rows, n, width, x, width, w, n, dense, n, false);
        for (int i = 0; i < dense.Length; i++) Assert.Equal(dense[i] + bias[i % n], gathered[i]);

        var d = Enumerable.Range(0, rows * n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var scattered = new float[width * n];
        var reference = new float[width * n];
        Kernels.ScatterAddRows(d, n, index, scattered);
        GemmReference.Multiply(true, false, width, n, rows, x, width, d, n, reference, n, false);
        for (int i = 0; i < reference.Length; i++) Assert.Equal(reference[i], scattered[i], 5);
    }

    [Fact]
    public void RowsThatAreNotOneHotAreRejected()
    {
        var (x, _) = OneHot(10, 20, 1);
        var index = new int[10];
        var half = (float[])x.Clone();
        half[3 * 20 + 7] = 0.5f;
        Assert.False(Kernels.FindOneHotRows(half, 10, 20, index));
        var two = (float[])x.Clone();
        two[0] = two[1] = 1;
        Assert.False(Kernels.FindOneHotRows(two, 10, 20, index));
    }
}
