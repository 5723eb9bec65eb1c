using Sequor.Data;

namespace Sequor.Tests.Data;

public class SequencesTests
{
    private static readonly int[][] Input = [[1, 2, 3, 4, 5], [6, 7], [], [8, 9, 10]];

    [Fact]
    public void PadDefaultsKeepTheLastItemsAndPadInFront()
    {
        Assert.Equal([[3, 4, 5], [0, 6, 7], [0, 0, 0], [8, 9, 10]], Sequences.Pad(Input, maxlen: 3));
    }

    [Fact]
    public void PadPostAndTruncatePostKeepTheFirstItemsAndPadBehind()
    {
        Assert.Equal([[1, 2, 3], [6, 7, -1], [-1, -1, -1], [8, 9, 10]],
            Sequences.Pad(Input, maxlen: 3, padding: Padding.Post, truncating: Truncating.Post, value: -1));
        Assert.Equal([[1, 2, 3], [0, 6, 7], [0, 0, 0], [8, 9, 10]], Sequences.Pad(Input, 3, Padding.Pre, Truncating.Post));
        Assert.Equal([[3, 4, 5], [6, 7, 0], [0, 0, 0], [8, 9, 10]], Sequences.Pad(Input, 3, Padding.Post, Truncating.Pre));
    }

    [Fact]
    public void PadWithoutMaxlenUsesTheLongestSequence()
    {
        var padded = Sequences.Pad(Input);
        Assert.All(padded, r => Assert.Equal(5, r.Length));
        Assert.Equal([0, 0, 0, 6, 7], padded[1]);
    }

    [Fact]
    public void PadToTensorGivesAnIdTensor()
    {
        var t = Sequences.PadToTensor(Input, maxlen: 4);
        Assert.True(t.HasShape(4, 4));
        Assert.Equal(new float[] { 2, 3, 4, 5, 0, 0, 6, 7, 0, 0, 0, 0, 0, 8, 9, 10 }, t.Span.ToArray());
    }

    [Fact]
    public void ToCategoricalIsOneHotWithNegativeLabelsFromTheEnd()
    {
        var t = Sequences.ToCategorical([0, 2, 1, -1]);
        Assert.True(t.HasShape(4, 3));
        Assert.Equal(new float[] { 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1 }, t.Span.ToArray());
        var e = Assert.Throws<SequorException>(() => Sequences.ToCategorical([0, 5], numClasses: 3));
        Assert.Contains("label 5", e.Message);
    }
}
