using System.Text.Json;
using Sequor.Data;

namespace Sequor.Tests.Data;

public class SplitTests
{
    private static readonly JsonElement Fixture =
        JsonDocument.Parse(File.ReadAllText(SharedData.Fixture("Data", "split.json"))).RootElement;

    private static SplitSize? Size(JsonElement c, string name)
    {
        var v = c.GetProperty(name);
        if (v.ValueKind == JsonValueKind.Null) return null;
        return c.GetProperty(name + "_is_int").GetBoolean() ? (SplitSize)v.GetInt32() : (SplitSize)v.GetDouble();
    }

    [Fact]
    public void IndicesEqualSklearnForEveryFixtureCase()
    {
        int checkedCases = 0;
        foreach (var c in Fixture.GetProperty("cases").EnumerateArray())
        {
            int n = c.GetProperty("n").GetInt32();
            long? seed = c.GetProperty("random_state").ValueKind == JsonValueKind.Null ? null : c.GetProperty("random_state").GetInt64();
            int[]? stratify = c.GetProperty("stratify").ValueKind == JsonValueKind.Null ? null
                : c.GetProperty("stratify").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var (train, test) = Split.TrainTestSplit(n, Size(c, "test_size"), Size(c, "train_size"), seed,
                c.GetProperty("shuffle").GetBoolean(), stratify);
            Assert.Equal(c.GetProperty("train").EnumerateArray().Select(v => v.GetInt32()), train);
            Assert.Equal(c.GetProperty("test").EnumerateArray().Select(v => v.GetInt32()), test);
            checkedCases++;
        }
        Assert.True(checkedCases >= 15);
    }

    [Fact]
    public void TwentyFiveThousandRowsAtTwentyPercentSeed42MatchesSklearn()
    {
        var c = Fixture.GetProperty("cases")[0];
        Assert.Equal(25000, c.GetProperty("n").GetInt32());
        var (train, test) = Split.TrainTestSplit(25000, testSize: 0.2, randomState: 42);
        Assert.Equal(20000, train.Length);
        Assert.Equal(5000, test.Length);
        Assert.Equal(c.GetProperty("test").EnumerateArray().Select(v => v.GetInt32()), test);
    }

    [Fact]
    public void ArraysOverloadReturnsRowsInSklearnOrder()
    {
        string[] x = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
        int[] y = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        var (xTrain, xTest, yTrain, yTest) = Split.TrainTestSplit(x, y, randomState: 42);
        // RandomState(42).permutation(10) = [8 1 5 0 7 2 9 4 3 6], test = first ceil(0.25 * 10) = 3.
        Assert.Equal([8, 1, 5], yTest);
        Assert.Equal(["i", "b", "f"], xTest);
        Assert.Equal([0, 7, 2, 9, 4, 3, 6], yTrain);
        Assert.Equal(7, xTrain.Length);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    public void FractionOutsideOpenIntervalIsRejected(double testSize)
    {
        var e = Assert.Throws<SequorException>(() => Split.TrainTestSplit(10, testSize: testSize));
        Assert.Contains("testSize", e.Message);
    }

    [Fact]
    public void StratifyWithASingletonClassIsRejected()
    {
        var e = Assert.Throws<SequorException>(() => Split.TrainTestSplit(5, testSize: 0.4, randomState: 1, stratify: [0, 0, 1, 1, 2]));
        Assert.Contains("class 2", e.Message);
    }
}
