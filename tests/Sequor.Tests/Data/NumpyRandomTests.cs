using System.Globalization;
using System.Text.Json;
using Sequor.Data;

namespace Sequor.Tests.Data;

public class NumpyRandomTests
{
    private static readonly JsonElement Fixture =
        JsonDocument.Parse(File.ReadAllText(SharedData.Fixture("Data", "random.json"))).RootElement;

    private static long[] Longs(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt64()).ToArray();

    [Fact]
    public void StreamsEqualNumpyRandomStateForSeveralSeeds()
    {
        foreach (var c in Fixture.GetProperty("cases").EnumerateArray())
        {
            uint seed = c.GetProperty("seed").GetUInt32();
            var rng = new NumpyRandom(seed);
            Assert.Equal(Longs(c.GetProperty("uint32")), Enumerable.Range(0, 5).Select(_ => (long)rng.NextUInt32()));

            rng = new NumpyRandom(seed);
            Assert.Equal(c.GetProperty("doubles").EnumerateArray().Select(v => double.Parse(v.GetString()!, CultureInfo.InvariantCulture)),
                Enumerable.Range(0, 5).Select(_ => rng.NextDouble()));

            rng = new NumpyRandom(seed);
            foreach (var p in c.GetProperty("permutations").EnumerateObject())
                Assert.Equal(Longs(p.Value), rng.Permutation(int.Parse(p.Name, CultureInfo.InvariantCulture)).Select(v => (long)v));

            rng = new NumpyRandom(seed);
            Assert.Equal(Longs(c.GetProperty("randint_-5_1000")), Enumerable.Range(0, 20).Select(_ => rng.RandInt(-5, 1000)));
            Assert.Equal(Longs(c.GetProperty("randint_0_2^40")), Enumerable.Range(0, 5).Select(_ => rng.RandInt(0, 1L << 40)));

            rng = new NumpyRandom(seed);
            var population = Enumerable.Range(100, 50).ToArray();
            Assert.Equal(Longs(c.GetProperty("choice_100_150_7")), rng.ChoiceWithoutReplacement(population, 7).Select(v => (long)v));
        }
    }

    [Fact]
    public void TwoShufflesFromSeed113AreKerasImdbOrder()
    {
        var imdb = Fixture.GetProperty("imdb");
        var rng = new NumpyRandom(113);
        var train = rng.Permutation(25000);
        var test = rng.Permutation(25000);
        Assert.Equal([7798, 13226, 18078, 793, 17499], train[..5]);
        Assert.Equal([22748, 4083, 8015, 13688, 5310], test[..5]);
        Assert.Equal(Longs(imdb.GetProperty("train_first")), train[..10].Select(v => (long)v));
        Assert.Equal(Longs(imdb.GetProperty("test_first")), test[..10].Select(v => (long)v));
        Assert.Equal(imdb.GetProperty("train_sum_weighted").GetInt64(), Weighted(train));
        Assert.Equal(imdb.GetProperty("test_sum_weighted").GetInt64(), Weighted(test));
    }

    private static long Weighted(int[] a)
    {
        long s = 0;
        for (int i = 0; i < a.Length; i++) s += (long)a[i] * i % 1000003;
        return s;
    }

    [Fact]
    public void SeedOutsideNumpyRangeIsRejected()
    {
        var e = Assert.Throws<SequorException>(() => NumpyRandom.FromSeed(-1, "seed"));
        Assert.Contains("-1", e.Message);
    }
}
