using Sequor.Data;

namespace Sequor.Tests.Data;

/// <summary>Imdb.GetWordIndex read without reflection-based JSON (file-based apps and trimmed programs turn it off).</summary>
public class ImdbWordIndexTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sequor-word-index-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Write(string json)
    {
        string path = Path.Combine(folder, "imdb_word_index.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void AnObjectOfWordsAndRanksIsRead()
    {
        var index = Imdb.GetWordIndex(Write("""{"the": 1, "and": 2, "caf\u00e9": 88584}"""));
        Assert.Equal(3, index.Count);
        Assert.Equal(88584, index["café"]);
    }

    [Theory]
    [InlineData("[1, 2]", "holds a JSON array, expected an object of word → rank")]
    [InlineData("""{"the": "one"}""", "the rank of 'the' is \"one\", expected a whole number")]
    [InlineData("""{"the": 1.5}""", "the rank of 'the' is 1.5, expected a whole number")]
    [InlineData("""{"the": 1""", "is not a JSON object of word → rank")]
    public void AnythingElseIsRefusedInOneLine(string json, string message)
    {
        var e = Assert.Throws<SequorException>(() => Imdb.GetWordIndex(Write(json)));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
