using System.Text;
using Sequor.Data;

namespace Sequor.Tests.Data;

/// <summary>
/// <see cref="TextDataset"/>'s label rule: whole numbers (however written) are class ids, anything else class names;
/// empty labels, mixtures and fractions are refused with one line naming the record and the label.
/// </summary>
public class TextDatasetLabelTests
{
    private static TextDataset Read(string csv) => TextDataset.FromCsvBytes(Encoding.UTF8.GetBytes(csv), "labels.csv", "text", "label", ',');

    private static string Refused(string csv)
    {
        var e = Assert.Throws<SequorException>(() => Read(csv));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("labels.csv", e.Message);
        return e.Message;
    }

    [Fact]
    public void WholeNumbersAreClassIdsHoweverTheyAreWritten()
    {
        var d = Read("text,label\na,1\nb,1.0\nc,0\nd, 01 \ne,2e0\n");
        Assert.Equal([1, 1, 0, 1, 2], d.Labels);
        Assert.Equal(["0", "1", "2"], d.ClassNames);
    }

    [Fact]
    public void IdsWithAGapKeepEveryIdSoLabelsAlwaysIndexClassNames()
    {
        // 1/2 used to become class names ["1", "2"] with labels 1 and 2: index 2 was out of range (Dataset.cs:88)
        var d = Read("text,label\na,1\nb,2\n");
        Assert.Equal([1, 2], d.Labels);
        Assert.Equal(["0", "1", "2"], d.ClassNames);
    }

    [Fact]
    public void WordsAreClassNamesSortedOrdinally()
    {
        var d = Read("text,label\na,pos\nb,neg\nc,pos\n");
        Assert.Equal(["neg", "pos"], d.ClassNames);
        Assert.Equal([1, 0, 1], d.Labels);
    }

    [Fact]
    public void AnEmptyLabelIsRefusedNamingItsRecord()
    {
        var message = Refused("text,label\na,pos\nb,\nc,neg\n");
        Assert.Contains("record 3 has an empty label", message);
    }

    [Fact]
    public void NumbersMixedWithWordsAreRefused()
    {
        var message = Refused("text,label\na,pos\nb,1\n");
        Assert.Contains("label 'pos'", message);
        Assert.Contains("number '1'", message);
    }

    [Theory]
    [InlineData("0.5")]
    [InlineData("-1")]
    [InlineData("100000")]
    public void ANumberThatIsNotAClassIdIsRefusedByName(string label)
    {
        var message = Refused($"text,label\na,0\nb,{label}\n");
        Assert.Contains($"record 3 has label '{label}'", message);
    }
}
