using System.Runtime.Intrinsics;

namespace Sequor.Tests;

/// <summary>The one kernel choice: what a host offers, what SEQUOR_KERNELS may say, and that it is settable.</summary>
[Collection(nameof(KernelChoiceCollection))]
public class KernelChoiceTests
{
    [Fact]
    public void TheReferenceAlwaysRunsAndTheVectorChoicesFollowTheHardware()
    {
        Assert.Equal(KernelChoice.Reference, Kernels.Available[0]);
        Assert.Equal(Vector256.IsHardwareAccelerated, Kernels.IsAvailable(KernelChoice.Vector256));
        Assert.Equal(Vector256.IsHardwareAccelerated && Vector512.IsHardwareAccelerated, Kernels.IsAvailable(KernelChoice.Vector512));
    }

    [Theory]
    [InlineData("reference", KernelChoice.Reference)]
    [InlineData("Vector256", KernelChoice.Vector256)]
    [InlineData(" VECTOR512 ", KernelChoice.Vector512)]
    public void TheEnvironmentVariableNamesAChoice(string value, KernelChoice expected)
    {
        if (!Kernels.IsAvailable(expected))
        {
            var error = Assert.Throws<SequorException>(() => Kernels.Parse(value));
            Assert.Contains("does not accelerate", error.Message);
            return;
        }
        Assert.Equal(expected, Kernels.Parse(value));
    }

    [Fact]
    public void UnsetOrBlankMeansTheWidestChoiceOfTheHost()
    {
        Assert.Equal(Kernels.Available[^1], Kernels.Parse(null));
        Assert.Equal(Kernels.Available[^1], Kernels.Parse("  "));
    }

    [Theory, InlineData("fast"), InlineData("1"), InlineData("avx2")]
    public void AnUnknownValueIsOneLineNamingTheVariableAndTheChoices(string value)
    {
        var error = Assert.Throws<SequorException>(() => Kernels.Parse(value));
        Assert.Equal($"SEQUOR_KERNELS={value}: expected one of reference, vector256, vector512", error.Message);
    }

    [Fact]
    public void SettingAChoiceTheHostLacksIsRefused()
    {
        var missing = Enum.GetValues<KernelChoice>().Where(k => !Kernels.IsAvailable(k)).ToArray();
        foreach (var kernels in missing)
            Assert.Throws<SequorException>(() => Kernels.Choice = kernels);
        foreach (var kernels in Kernels.Available)
            using (KernelChoices.Use(kernels)) Assert.Equal(kernels, Kernels.Choice);
    }

    [Fact]
    public void TheChoiceSwitchesTheGemmBetweenBlockedAndReference()
    {
        // a product whose float sums depend on the order: the blocked GEMM and the triple loop round differently
        var random = new Random(1);
        int m = 7, n = 32, k = 300;
        var a = Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        float[] Product(KernelChoice kernels)
        {
            using var _ = KernelChoices.Use(kernels);
            var c = new float[m * n];
            Gemm.Multiply(false, false, m, n, k, a, k, b, n, c, n, false);
            return c;
        }
        var expected = new float[m * n];
        GemmReference.Multiply(false, false, m, n, k, a, k, b, n, expected, n, false);
        Assert.Equal(expected, Product(KernelChoice.Reference));
        if (Kernels.IsAvailable(KernelChoice.Vector256)) Assert.NotEqual(expected, Product(KernelChoice.Vector256));
    }
}
