using System.Text;
using Sequor.Data;

namespace Sequor.Tests.Data;

public sealed class TextTests : IDisposable
{
    private readonly string temp = Directory.CreateTempSubdirectory("sequor-text-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    [Fact]
    public void StandardizeLowersAsciiStripsPunctuationAndBreakTags()
    {
        Assert.Equal("dont stop ab Élan", TextVectorizer.Standardize("Don't STOP!<br />a,b Élan", true));
        Assert.Equal(["dont", "stop", "ab", "Élan"], new TextVectorizer().Tokens("Don't STOP!<br />a,b\tÉlan\n"));
        Assert.Equal(["br", "x"], new TextVectorizer(stripHtmlBreaks: false).Tokens("<br />x"));
    }

    [Fact]
    public void AdaptRanksByCountThenTokenBytesDescending()
    {
        var v = new TextVectorizer();
        v.Adapt(["a b ab", "b ab a", "c c c c"]);
        // c: 4; a, b, ab: 2 each → ties by bytes descending: "b" > "ab" > "a".
        Assert.Equal(["", "[UNK]", "c", "b", "ab", "a"], v.GetVocabulary());
        Assert.Equal([2, 3, 1], v.Transform("c b zzz"));
    }

    [Fact]
    public void MaxTokensCountsPaddingAndOovAndOutputLengthPadsAtTheEnd()
    {
        var v = new TextVectorizer(maxTokens: 4, outputSequenceLength: 5);
        v.Adapt(["x x x y y z"]);
        Assert.Equal(["", "[UNK]", "x", "y"], v.GetVocabulary());
        Assert.Equal([[2, 3, 1, 0, 0], [2, 2, 2, 2, 2]], v.Transform(["x y z", "x x x x x x x"]));
    }

    [Fact]
    public void RaggedBatchIsPaddedToItsLongestRow()
    {
        var v = new TextVectorizer();
        v.Adapt(["a b c"]);
        // Equal counts: bytes descending gives c, b, a.
        Assert.Equal([[4, 0, 0], [4, 3, 2]], v.Transform(["a", "a b c"]));
    }

    [Fact]
    public void TransformEachGivesEveryTextItsOwnLengthWhateverTheOtherTexts()
    {
        var v = new TextVectorizer();
        v.Adapt(["a b c"]);
        Assert.Equal([[4], [4, 3, 2], []], v.TransformEach(["a", "a b c", ""]));
        Assert.Equal(v.TransformEach(["a"])[0], v.TransformEach(["a b c a b c a b c", "a"])[1]);
        // end-padded rows are never handed to front padding
        var fixedLength = new TextVectorizer(outputSequenceLength: 3);
        Assert.Throws<SequorException>(() => fixedLength.TransformEach(["a"]));
    }

    [Fact]
    public void AModelCarryingItsVectorizerPredictsOnStringsAndKeepsItThroughAKerasFile()
    {
        var v = new TextVectorizer(maxTokens: 20);
        v.Adapt(["a great film", "a dull film"]);
        using var model = new Sequential(new Sequor.Layers.Embedding(20, 4), new Sequor.Layers.LSTM(3), new Sequor.Layers.Dense(1, Sequor.Layers.Activation.Sigmoid));
        model.Build(inputShape: [6]);
        model.Vectorizer = v;
        model.ClassNames = ["negative", "positive"];
        var scores = model.Predict(["a great film", "", "a great film a dull film a great film"]);
        Assert.Equal(Sequences.PadToTensor(v.TransformEach(["a great film"]), 6).Span.ToArray(), model.Vectorize(["a great film"]).Span.ToArray());
        Assert.Equal(model.Predict(["a great film"])[0], scores[0]);
        string path = Path.Combine(temp, "text.keras");
        model.Save(path);
        using var back = Sequential.Load(path);
        Assert.Equal(v.GetVocabulary(), back.Vectorizer!.GetVocabulary());
        Assert.Equal(["negative", "positive"], back.ClassNames!);
        Assert.Equal(scores.Span.ToArray(), back.Predict(["a great film", "", "a great film a dull film a great film"]).Span.ToArray());
    }

    [Fact]
    public void SaveAndLoadKeepSettingsAndVocabulary()
    {
        var v = new TextVectorizer(maxTokens: 100, outputSequenceLength: 7);
        v.Adapt(["the movie was great", "the movie was bad, bad"]);
        string path = Path.Combine(temp, "vectorizer.json");
        v.Save(path);
        var back = TextVectorizer.Load(path);
        Assert.Equal(v.GetVocabulary(), back.GetVocabulary());
        Assert.Equal((100, 7), (back.MaxTokens, back.OutputSequenceLength));
        Assert.Equal(v.Transform("a great movie"), back.Transform("a great movie"));
        File.WriteAllText(path, "{\"format\": 3}");
        Assert.Contains(path, Assert.Throws<SequorException>(() => TextVectorizer.Load(path)).Message);
    }

    [Fact]
    public void CsvReaderHandlesQuotesNewlinesDoubledQuotesAndNamedColumns()
    {
        string path = Path.Combine(temp, "reviews.csv");
        File.WriteAllText(path, "\uFEFFid,review,sentiment\r\n1,\"Great, \"\"really\"\"\nfun\",positive\n2,Dull.,negative\n\n3,\"Fine\",positive\n", new UTF8Encoding(false));
        var d = TextDataset.FromCsv(path, textColumn: "review", labelColumn: "sentiment");
        Assert.Equal(["Great, \"really\"\nfun", "Dull.", "Fine"], d.Texts);
        Assert.Equal(["negative", "positive"], d.ClassNames);
        Assert.Equal([1, 0, 1], d.Labels);
    }

    [Fact]
    public void TsvWithIntegerLabelsKeepsThem()
    {
        string path = Path.Combine(temp, "reviews.tsv");
        File.WriteAllText(path, "text\tlabel\nok\t1\nbad\t0\n");
        var d = TextDataset.FromCsv(path);
        Assert.Equal([1, 0], d.Labels);
        Assert.Equal(["ok", "bad"], d.Texts);
    }

    [Fact]
    public void CsvErrorsNameTheFileAndTheProblem()
    {
        string path = Path.Combine(temp, "bad.csv");
        File.WriteAllText(path, "text,label\n\"unterminated,1\n");
        Assert.Contains("never closed", Assert.Throws<SequorException>(() => TextDataset.FromCsv(path)).Message);
        File.WriteAllText(path, "body,label\nx,1\n");
        var e = Assert.Throws<SequorException>(() => TextDataset.FromCsv(path));
        Assert.Contains("no column 'text'", e.Message);
        Assert.Contains("bad.csv", e.Message);
    }

    [Fact]
    public void AclImdbFolderGivesNegativesThenPositivesInNameOrder()
    {
        foreach (var (cls, name, text) in new[] { ("neg", "1_2.txt", "bad"), ("neg", "0_1.txt", "awful"), ("pos", "0_9.txt", "great<br />fun") })
        {
            Directory.CreateDirectory(Path.Combine(temp, "aclImdb", "train", cls));
            File.WriteAllText(Path.Combine(temp, "aclImdb", "train", cls, name), text);
        }
        Directory.CreateDirectory(Path.Combine(temp, "aclImdb", "train", "unsup"));
        var d = TextDataset.FromAclImdb(Path.Combine(temp, "aclImdb"));
        Assert.Equal(["awful", "bad", "great<br />fun"], d.Texts);
        Assert.Equal([0, 0, 1], d.Labels);
        Assert.Equal(["neg", "pos"], d.ClassNames);
        Assert.Contains("test", Assert.Throws<SequorException>(() => TextDataset.FromAclImdb(Path.Combine(temp, "aclImdb"), "test")).Message);
    }
}
