namespace Sequor.Tests;

[Collection(nameof(KernelChoiceCollection))]
public class GemmTests
{
    public static TheoryData<bool, bool, int, int, int> Shapes()
    {
        var data = new TheoryData<bool, bool, int, int, int>();
        // the skinny shapes of small RNNs, odd sizes that exercise every tail, and a larger one
        int[][] sizes = [[64, 32, 8], [6400, 32, 16], [64, 8, 32], [16, 32, 6400], [7, 13, 5], [1, 1, 1], [33, 41, 17], [128, 512, 128], [37, 203, 19], [32, 512, 300], [50, 20, 33], [3200, 16, 32]];
        foreach (var s in sizes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    data.Add(ta, tb, s[0], s[1], s[2]);
        return data;
    }

    [Theory, MemberData(nameof(Shapes))]
    public void FastGemmAgreesWithTheReferenceLoop(bool transposeA, bool transposeB, int m, int n, int k)
    {
        var random = new Random(m * 31 + n * 7 + k);
        var a = Random(random, m * k);
        var b = Random(random, k * n);
        int lda = transposeA ? m : k, ldb = transposeB ? k : n;
        foreach (bool accumulate in new[] { false, true })
        {
            var fast = Random(new Random(3), m * n);
            var reference = (float[])fast.Clone();
            Gemm.Multiply(transposeA, transposeB, m, n, k, a, lda, b, ldb, fast, n, accumulate);
            GemmReference.Multiply(transposeA, transposeB, m, n, k, a, lda, b, ldb, reference, n, accumulate);
            for (int i = 0; i < fast.Length; i++)
                Assert.True(Math.Abs(fast[i] - reference[i]) <= 1e-5f * Math.Max(1, Math.Sqrt(k)) * Math.Max(1, Math.Abs(reference[i])),
                    $"C[{i / n}, {i % n}]: fast {fast[i]}, reference {reference[i]}");
        }
    }

    // The 512-bit column blocks (32 wide, and GemmWide's 8 × 32 register blocks for n ≥ 64) must give the 256-bit
    // blocks' bits: every shape and tail, with and without accumulation, bias start, transposed operands and depth
    // beyond one 128-deep (256-bit) and one 256-deep (512-bit) block.
    [SkippableFact]
    public void WideColumnBlocksGiveTheSameBitsAsNarrowOnes()
    {
        Skip.IfNot(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, "this machine has no 512-bit vectors; the wide blocks cannot run here");
        var random = new Random(5);
        int[][] shapes = [.. from m in new[] { 1, 3, 4, 7, 64, 3200 } from n in new[] { 32, 40, 64, 72 } from k in new[] { 1, 8, 16, 300 } select new[] { m, n, k },
            [8, 128, 600], [13, 520, 257], [65, 96, 128], [32, 512, 128], [129, 160, 513], [12, 64, 1]];
        foreach (var (m, n, k) in shapes.Select(s => (s[0], s[1], s[2])))
        {
            var a = Random(random, m * k);
            var b = Random(random, k * n);
            var bias = Random(random, n);
            var start = Random(random, m * n);
            float[] Run(bool wide, int mode)
            {
                using (KernelChoices.Use(wide ? KernelChoice.Vector512 : KernelChoice.Vector256))
                {
                    var c = (float[])start.Clone();
                    if (mode == 0) Gemm.MultiplyAddBias(m, n, k, a, k, b, n, bias, c, n);
                    else if (mode == 1) Gemm.Multiply(false, false, m, n, k, a, k, b, n, c, n, accumulate: true);
                    else if (mode == 2) Gemm.Multiply(true, false, m, n, k, a, m, b, n, c, n, accumulate: false);
                    else Gemm.Multiply(false, true, m, n, k, a, k, b, k, c, n, accumulate: false);  // b read as n×k
                    return c;
                }
            }
            for (int mode = 0; mode < 4; mode++)
                Assert.True(Run(false, mode).SequenceEqual(Run(true, mode)), $"m {m}, n {n}, k {k}, mode {mode}: wide and narrow differ");
        }
    }

    [Theory, InlineData(3200, 32, 16), InlineData(7, 13, 5), InlineData(33, 41, 17), InlineData(64, 8, 300), InlineData(70, 130, 9)]
    public void BiasInitialisedGemmAgreesWithTheReferencePlusBias(int m, int n, int k)
    {
        var random = new Random(m + n + k);
        var a = Random(random, m * k);
        var b = Random(random, k * n);
        var bias = Random(random, n);
        var fast = new float[m * n];
        var reference = new float[m * n];
        Gemm.MultiplyAddBias(m, n, k, a, k, b, n, bias, fast, n);
        GemmReference.Multiply(false, false, m, n, k, a, k, b, n, reference, n, false);
        for (int i = 0; i < fast.Length; i++)
            Assert.True(Math.Abs(fast[i] - (reference[i] + bias[i % n])) <= 1e-5f * Math.Max(1, Math.Sqrt(k)) * Math.Max(1, Math.Abs(reference[i])),
                $"C[{i / n}, {i % n}]: fast {fast[i]}, reference {reference[i] + bias[i % n]}");
    }

    [Fact]
    public void StridedOperandsReadOnlyTheirRows()
    {
        // A time slice of a [B, T, F] buffer: rows b·T + t with leading dimension T·F.
        int batch = 3, steps = 4, features = 5, units = 6, t = 2;
        var random = new Random(1);
        var x = Random(random, batch * steps * features);
        var w = Random(random, features * units);
        var c = new float[batch * units];
        Gemm.Multiply(false, false, batch, units, features, x.AsSpan(t * features), steps * features, w, units, c, units, false);
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < units; j++)
            {
                float expected = 0;
                for (int p = 0; p < features; p++) expected += x[(b * steps + t) * features + p] * w[p * units + j];
                Assert.Equal(expected, c[b * units + j], 5);
            }
    }

    [Fact]
    public void OperandsTooShortForTheirShapeAreRejected() =>
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 4, 4, 4, new float[15], 4, new float[16], 4, new float[16], 4, false));

    private static float[] Random(Random random, int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
}
