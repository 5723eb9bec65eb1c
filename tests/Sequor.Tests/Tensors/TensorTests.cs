namespace Sequor.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void ShapeAndIndexingAreRowMajor()
    {
        var t = new Tensor(2, 3, 4);
        t[1, 2, 3] = 5;
        Assert.Equal(24, t.Length);
        Assert.Equal(5, t.Span[(1 * 3 + 2) * 4 + 3]);
        Assert.Equal("(2, 3, 4)", Tensor.Format(t.Shape));
    }

    [Fact]
    public void ReshapeReusesTheBufferWhenItFits()
    {
        var t = new Tensor(4, 8);
        var before = t.Data;
        t.Reshape(2, 8);
        Assert.Same(before, t.Data);
        Assert.Equal(16, t.Length);
    }

    [Fact]
    public void FromIdsRejectsRaggedRows()
    {
        var e = Assert.Throws<SequorException>(() => Tensor.FromIds([[1, 2], [3]]));
        Assert.Contains("row 1", e.Message);
    }
}
