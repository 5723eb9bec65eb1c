using Sequor.Formats;

namespace Sequor.Tests.Formats;

/// <summary><see cref="JsonFloat"/>: numbers Python's json reads back as floats, with the value Keras wrote.</summary>
public class JsonFloatTests
{
    [Theory]
    [InlineData(0.0, "0.0")]
    [InlineData(1.0, "1.0")]
    [InlineData(-2.0, "-2.0")]
    [InlineData(0.99, "0.99")]
    [InlineData(1e-7, "1E-07")]
    [InlineData(1e20, "1E+20")]
    public void WholeNumbersGetADecimalPointAndOthersKeepTheirShortestForm(double value, string expected)
    {
        Assert.Equal(expected, JsonFloat.Of(value).ToJsonString());
        Assert.Equal(value, JsonFloat.Of(value).GetValue<double>());
    }

    [Fact]
    public void Float32SettingsAreTheirShortestDecimalAndLearningRatesTheWidenedFloat32()
    {
        Assert.Equal("0.3", JsonFloat.Of(0.3f).ToJsonString());
        Assert.Equal("0.0", JsonFloat.Of(0f).ToJsonString());
        // Keras keeps the learning rate in a float32 variable and writes it widened, as the real files show.
        Assert.Equal("0.009999999776482582", JsonFloat.Widened(0.01f).ToJsonString());
        Assert.Equal("1.0", JsonFloat.Widened(1f).ToJsonString());
    }

    [Fact]
    public void NonFiniteValuesAreRefusedInOneLine()
    {
        var e = Assert.Throws<SequorException>(() => JsonFloat.Of(double.NaN));
        Assert.DoesNotContain('\n', e.Message);
    }
}
