using Sequor.Data;
using Sequor.Layers;

namespace Sequor.Tests.Tensors;

/// <summary>
/// <see cref="AllocationLimit"/>: sizes from flags, configs and files that would not fit (--num-words 1e8,
/// input_dim 1e8, 10M predict rows) are one SequorException stating the limit, before anything is allocated.
/// </summary>
public class AllocationLimitTests
{
    private static readonly long MaxFloats = AllocationLimit.MaxTensorBytes / sizeof(float);

    private static void RefusedBeforeAllocating(Action allocate)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<SequorException>(allocate);
        Assert.Contains("one tensor may take at most", e.Message);
        Assert.Contains(" GB", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "allocated before refusing");
    }

    [SkippableFact]
    public void AnEmbeddingTooLargeForMemoryIsRefusedWhenBuilt()
    {
        int inputDim = (int)Math.Min(int.MaxValue / 16, MaxFloats / 16 + 1);
        Skip.If(inputDim * 16L <= MaxFloats, "this machine's memory allows the largest embedding an int shape holds");
        var model = new Sequential([new Embedding(inputDim, 16), new LSTM(4), new Dense(1, Activation.Sigmoid)], seed: 1);
        RefusedBeforeAllocating(() => model.Build([100]));
    }

    [SkippableFact]
    public void TooManyRowsToPadAreRefused()
    {
        long rows = MaxFloats / 100 + 1;
        Skip.If(rows > 50_000_000, "this machine has too much memory for a cheap test of the limit");
        var sequences = new int[rows][];
        Array.Fill(sequences, Array.Empty<int>());
        var e = Assert.Throws<SequorException>(() => Sequences.PadToTensor(sequences, 100));
        Assert.Contains($"({rows}, 100)", e.Message);
        Assert.Contains("at most", e.Message);
    }
}
