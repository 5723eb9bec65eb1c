using System.Text;

namespace Sequor.Tests.Cli;

/// <summary>
/// <c>sequor train --model existing.keras</c> on raw text goes on with the model's own vocabulary and class names: the
/// ids it learnt keep their words and its outputs keep their classes, whatever words and labels the new data has.
/// </summary>
public sealed class ContinueTextTrainingTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sequor-continue-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>A CSV of <paramref name="count"/> texts; row i has label <c>labels[i % labels.Length]</c> and words of <c>words[label]</c> among filler.</summary>
    private string WriteCsv(string name, int count, string[] labels, Func<string, string[]> words, string[] filler, int seed)
    {
        var random = new Random(seed);
        var csv = new StringBuilder("review,sentiment\n");
        for (int i = 0; i < count; i++)
        {
            string label = labels[i % labels.Length];
            var marked = words(label);
            var text = Enumerable.Range(0, random.Next(5, 20)).Select(_ => random.NextDouble() < 0.3 ? marked[random.Next(marked.Length)] : filler[random.Next(filler.Length)]);
            csv.Append(string.Join(' ', text)).Append(',').Append(label).Append('\n');
        }
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, csv.ToString());
        return path;
    }

    private static (int Exit, string Out, string Error) Train(string model, string data, string checkpoint, params string[] more) =>
        CliRunner.Run(["train", "--model", model, "--data", data, "--text-column", "review", "--label-column", "sentiment",
            "--maxlen", "20", "--epochs", "3", "--optimizer", "adam", "--lr", "0.01", "--checkpoint", checkpoint, .. more]);

    private static readonly string[] OldFiller = ["the", "film", "plot", "actor", "scene", "story"];

    private static string[] OldWords(string label) => label == "pos" ? ["wonderful", "great"] : ["awful", "boring"];

    private string TrainFirst(string[] labels, Func<string, string[]> words)
    {
        string data = WriteCsv("first.csv", 200, labels, words, OldFiller, 1);
        string first = Path.Combine(folder, "first.keras");
        var (exit, _, error) = Train("gru", data, first, "--num-words", "40");
        Assert.True(exit == 0, error);
        return first;
    }

    [Fact]
    public void ContinuingATextModelKeepsItsVocabularyAndClassesWhateverTheNewDataSays()
    {
        string first = TrainFirst(["neg", "pos"], OldWords);
        // new data: other words entirely, and only positive rows (its own class list would be just ["pos"])
        string[] newWords = ["splendid", "masterful", "radiant", "luminous", "soaring", "tender"];
        string data = WriteCsv("second.csv", 120, ["pos"], _ => newWords, ["a", "movie", "cast", "score", "ending"], 2);
        string second = Path.Combine(folder, "second.keras");
        var (exit, _, error) = Train(first, data, second);
        Assert.True(exit == 0, error);
        Assert.Contains("with its own vocabulary", error);

        using var before = Sequential.Load(first);
        using var after = Sequential.Load(second);
        Assert.Equal(before.Vectorizer!.GetVocabulary(), after.Vectorizer!.GetVocabulary());
        Assert.DoesNotContain("splendid", after.Vectorizer.GetVocabulary());
        Assert.Equal(["neg", "pos"], after.ClassNames!);
        // an old word still has the id the model learnt it under
        Assert.Equal(before.Vectorizer.Transform("wonderful awful"), after.Vectorizer.Transform("wonderful awful"));
    }

    [Fact]
    public void DataWithASubsetOfTheModelsClassesIsLabelledInTheModelsOrder()
    {
        static string[] Words(string label) => label switch { "a" => ["alpha", "apex"], "b" => ["beta", "bravo"], _ => ["gamma", "charlie"] };
        string first = TrainFirst(["a", "b", "c"], Words);
        // "b" and "c" alone would be a two-class set with its own order; the model has three outputs, in the order a, b, c
        string data = WriteCsv("bc.csv", 120, ["b", "c"], Words, OldFiller, 3);
        string second = Path.Combine(folder, "second.keras");
        var (exit, _, error) = Train(first, data, second);
        Assert.True(exit == 0, error);
        using var after = Sequential.Load(second);
        Assert.Equal(["a", "b", "c"], after.ClassNames!);
        Assert.Equal(3, after.OutputShape[^1]);
    }

    [Fact]
    public void DataWithAClassTheModelDoesNotHaveIsRefusedInOneLine()
    {
        string first = TrainFirst(["neg", "pos"], OldWords);
        string data = WriteCsv("meh.csv", 60, ["pos", "meh"], _ => ["fine"], OldFiller, 4);
        string second = Path.Combine(folder, "second.keras");
        var (exit, _, error) = Train(first, data, second);
        Assert.NotEqual(0, exit);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("sequor: ", line);
        Assert.Contains("meh", line);
        Assert.Contains("not among the classes", line);
        Assert.Contains("neg, pos", line);
        Assert.False(File.Exists(second));
    }

    [Fact]
    public void AnotherVocabularySizeForATextModelIsRefusedInOneLine()
    {
        string first = TrainFirst(["neg", "pos"], OldWords);
        string data = WriteCsv("again.csv", 60, ["neg", "pos"], OldWords, OldFiller, 5);
        var (exit, _, error) = Train(first, data, Path.Combine(folder, "second.keras"), "--num-words", "100");
        Assert.NotEqual(0, exit);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--num-words 100", line);
        Assert.Contains("40", line);
    }

    [Fact]
    public void AModelOfTokenIdsGoesOnWithRawTextOnAVocabularyOfItsOwnSizeAndSaysSo()
    {
        string npz = SyntheticImdb.Write(folder, train: 200, test: 40);
        string ids = Path.Combine(folder, "ids.keras");
        var (trained, _, trainError) = CliRunner.Run("train", "--model", "lstm", "--data", npz, "--num-words", "2000", "--maxlen", "40", "--epochs", "1", "--checkpoint", ids);
        Assert.True(trained == 0, trainError);
        string data = WriteCsv("text.csv", 60, ["neg", "pos"], OldWords, OldFiller, 6);
        // the model's Embedding has 2,000 rows: a vocabulary of another size is refused in one line
        var (refused, _, refusal) = Train(ids, data, Path.Combine(folder, "refused.keras"), "--num-words", "500");
        Assert.NotEqual(0, refused);
        Assert.Contains("reads 2000 ids", Assert.Single(refusal.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        // otherwise it learns the text on a vocabulary built from the data, and says so
        string second = Path.Combine(folder, "second.keras");
        var (exit, _, error) = Train(ids, data, second);
        Assert.True(exit == 0, error);
        Assert.Contains("carries no vocabulary: building one of 2000 tokens", error);
        using var model = Sequential.Load(second);
        Assert.NotNull(model.Vectorizer);
        Assert.Contains("wonderful", model.Vectorizer!.GetVocabulary());
    }
}
