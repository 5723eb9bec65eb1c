using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Sequor.Data;

namespace Sequor.Tests.Data;

public sealed class ImdbTests : IDisposable
{
    private static readonly JsonElement Expected =
        JsonDocument.Parse(File.ReadAllText(SharedData.Fixture("Data", "imdb", "expected.json"))).RootElement;

    private readonly string temp = Directory.CreateTempSubdirectory("sequor-imdb-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    private static int[][] Seqs(JsonElement e) => e.EnumerateArray().Select(s => s.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    private static int? OptInt(JsonElement p, string name, int? fallback) =>
        p.TryGetProperty(name, out var v) ? (v.ValueKind == JsonValueKind.Null ? null : v.GetInt32()) : fallback;

    /// <summary>Builds the synthetic imdb.npz with Sequor's own writer from the fixture's input lists.</summary>
    private string WriteSyntheticNpz()
    {
        var input = Expected.GetProperty("input");
        string path = Path.Combine(temp, "imdb.npz");
        NpzArchive.Write(path, new Dictionary<string, NpyArray>
        {
            ["x_train"] = NpyArray.FromSequences(Seqs(input.GetProperty("x_train"))),
            ["y_train"] = NpyArray.FromArray(Ints(input.GetProperty("y_train")).Select(v => (long)v).ToArray()),
            ["x_test"] = NpyArray.FromSequences(Seqs(input.GetProperty("x_test"))),
            ["y_test"] = NpyArray.FromArray(Ints(input.GetProperty("y_test")).Select(v => (long)v).ToArray()),
        });
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoadDataOnSyntheticFileEqualsKerasAlgorithm(bool numpyWrittenFile)
    {
        string path = numpyWrittenFile ? SharedData.Fixture("Data", "imdb", "synthetic_imdb.npz") : WriteSyntheticNpz();
        foreach (var c in Expected.GetProperty("cases").EnumerateArray())
        {
            var p = c.GetProperty("params");
            var ((xTrain, yTrain), (xTest, yTest)) = Imdb.LoadData(path,
                numWords: OptInt(p, "num_words", null), skipTop: OptInt(p, "skip_top", 0) ?? 0, maxlen: OptInt(p, "maxlen", null),
                seed: OptInt(p, "seed", 113) ?? 113, startChar: OptInt(p, "start_char", 1), oovChar: OptInt(p, "oov_char", 2),
                indexFrom: OptInt(p, "index_from", 3) ?? 3);
            Assert.Equal(Seqs(c.GetProperty("x_train")), xTrain);
            Assert.Equal(Ints(c.GetProperty("y_train")), yTrain);
            Assert.Equal(Seqs(c.GetProperty("x_test")), xTest);
            Assert.Equal(Ints(c.GetProperty("y_test")), yTest);
        }
    }

    [Fact]
    public void MaxlenThatKeepsNothingIsAClearError()
    {
        var e = Assert.Throws<SequorException>(() => Imdb.LoadData(WriteSyntheticNpz(), maxlen: 1));
        Assert.Contains("maxlen=1", e.Message);
    }

    [SkippableFact]
    public void RealImdbSubsetLoadsWithCountsAndLabels()
    {
        string? path = SharedData.File("data", "imdb-subset", "imdb_subset.npz");
        Skip.IfNot(path is not null && File.Exists(path), "shared/data/imdb-subset/imdb_subset.npz is absent (no ../shared next to the repository)");
        var npz = NpzArchive.Read(path!);
        var xTrain = npz["arr_0"].ToSequences();
        var yTrain = npz["arr_1"].ToInt32Array();
        var xTest = npz["arr_2"].ToSequences();
        var yTest = npz["arr_3"].ToInt32Array();
        Assert.Equal(5000, xTrain.Length);
        Assert.Equal(5000, yTrain.Length);
        Assert.Equal(1000, xTest.Length);
        Assert.Equal(1000, yTest.Length);
        Assert.Equal("<i8", npz["arr_1"].Dtype);
        Assert.Equal((2454, 2546), (yTrain.Count(v => v == 0), yTrain.Count(v => v == 1)));
        Assert.Equal((526, 474), (yTest.Count(v => v == 0), yTest.Count(v => v == 1)));
        Assert.Equal((16, 1851), (xTrain.Min(s => s.Length), xTrain.Max(s => s.Length)));
        Assert.Equal((9, 1052), (xTest.Min(s => s.Length), xTest.Max(s => s.Length)));
        Assert.All(xTrain.Concat(xTest), s => Assert.Equal(1, s[0]));
        Assert.All(xTrain.Concat(xTest), s => Assert.All(s, id => Assert.InRange(id, 1, 499)));
        // "this film was just …": ids 14, 22, 16, 43 are ranks 11, 19, 13, 40 of the word index.
        Assert.Equal([1, 14, 22, 16, 43], xTrain[0][..5]);

        string? wordIndexPath = SharedData.File("data", "imdb-subset", "imdb_word_index.json");
        var index = Imdb.GetWordIndex(wordIndexPath);
        Assert.Equal(88584, index.Count);
        Assert.Equal(1, index["the"]);
        Assert.StartsWith("[START] this film was just [OOV] [OOV] [OOV] [OOV] story direction [OOV] really [OOV] the part they played",
            Imdb.Decode(xTrain[0], index));
    }

    [Fact]
    public void DecodeMapsSpecialIdsAndSkipsPadding()
    {
        var index = new Dictionary<string, int> { ["the"] = 1, ["movie"] = 2 };
        Assert.Equal("[START] the movie [OOV] ?", Imdb.Decode([0, 0, 1, 4, 5, 2, 3], index));
    }

    [Fact]
    public void OfflineWithoutAFileSaysHowToPassOne()
    {
        var options = new DatasetFile.Options(Path.Combine(temp, "sequor"), Path.Combine(temp, "keras"), new FailingHandler());
        var e = Assert.Throws<SequorException>(() =>
            Imdb.LoadData(null, null, 0, null, 113, 1, 2, 3, null, options));
        Assert.Contains("imdb.npz", e.Message);
        Assert.Contains("pass a local file", e.Message);
        Assert.Contains("network is unreachable", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(Directory.Exists(Path.Combine(temp, "sequor", "datasets")) && Directory.EnumerateFiles(Path.Combine(temp, "sequor", "datasets")).Any());
    }

    [Fact]
    public void ExplicitPathThatDoesNotExistIsNamed()
    {
        var e = Assert.Throws<SequorException>(() => Imdb.LoadData(Path.Combine(temp, "nope.npz")));
        Assert.Contains("nope.npz", e.Message);
    }

    [Fact]
    public void KerasCacheIsReusedWhenSequorCacheIsEmpty()
    {
        string keras = Path.Combine(temp, "keras", "datasets");
        Directory.CreateDirectory(keras);
        File.Copy(WriteSyntheticNpz(), Path.Combine(keras, "imdb.npz"));
        var options = new DatasetFile.Options(Path.Combine(temp, "sequor"), Path.Combine(temp, "keras"), new FailingHandler());
        var ((xTrain, _), _) = Imdb.LoadData(null, null, 0, null, 113, 1, 2, 3, null, options);
        Assert.Equal(40, xTrain.Length);
    }

    [Fact]
    public void DownloadIsHashCheckedWrittenAtomicallyAndReportsProgress()
    {
        byte[] body = File.ReadAllBytes(WriteSyntheticNpz());
        string hash = Convert.ToHexStringLower(SHA256.HashData(body));
        var options = new DatasetFile.Options(Path.Combine(temp, "sequor"), Path.Combine(temp, "keras"), new ServingHandler(body));
        var reports = new List<(long, long)>();
        string path = DatasetFile.Resolve("test", "imdb.npz", null, "https://example.invalid/imdb.npz", hash, new SyncProgress(reports), options);
        Assert.Equal(Path.Combine(temp, "sequor", "datasets", "imdb.npz"), path);
        Assert.Equal(body, File.ReadAllBytes(path));
        Assert.Equal((body.Length, body.Length), reports[^1]);
        Assert.Single(Directory.EnumerateFiles(Path.GetDirectoryName(path)!));

        File.Delete(path);
        var e = Assert.Throws<SequorException>(() =>
            DatasetFile.Resolve("test", "imdb.npz", null, "https://example.invalid/imdb.npz", new string('0', 64), null, options));
        Assert.Contains("hash", e.Message);
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(path)!));
    }

    private sealed class SyncProgress(List<(long, long)> reports) : IProgress<(long Done, long Total)>
    {
        public void Report((long Done, long Total) value) => reports.Add(value);
    }

    private sealed class FailingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("network is unreachable");
    }

    private sealed class ServingHandler(byte[] body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body) });
    }
}
