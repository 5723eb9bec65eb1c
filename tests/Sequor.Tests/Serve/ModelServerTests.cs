using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Sequor.Cli.Serve;

namespace Sequor.Tests.Serve;

/// <summary>
/// Each endpoint of <c>sequor serve</c> over real HTTP (Kestrel on a loopback port): predictions equal the engine's own
/// for the same inputs, the status and metadata answers have TensorFlow Serving's shape, occlusion attributions are
/// what removing each word does, and health, metrics and the page answer.
/// </summary>
public sealed class ModelServerTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    private HttpClient Client => fixture.Client;

    private static float[] Column(JsonNode? predictions) => predictions!.AsArray().Select(row => row!.AsArray().Single()!.GetValue<float>()).ToArray();

    [Fact]
    public async Task PredictOnRawTextAnswersTheModelsOwnScoresWithClassLabels()
    {
        string[] texts = ["a wonderful superb film", "an awful boring dreadful plot", "", "the plot was great and moving, the actor superb!"];
        var (status, body) = await ServeFixture.Post(Client, "/v1/models/text:predict", new JsonObject { ["instances"] = new JsonArray(texts.Select(t => (JsonNode)t).ToArray()) }.ToJsonString());
        Assert.Equal(200, status);
        using var model = Sequential.Load(fixture.TextModelPath);
        var expected = model.Predict(texts);
        var got = Column(body["predictions"]);
        Assert.Equal(texts.Length, got.Length);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], got[i], 1e-6f);
        Assert.Equal(texts.Select((_, i) => expected[i] > 0.5f ? "pos" : "neg"), body["labels"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Equal("pos", body["labels"]![0]!.GetValue<string>());
        Assert.Equal("neg", body["labels"]![1]!.GetValue<string>());
    }

    [Fact]
    public async Task PredictOnIdsPadsShortListsAtTheFrontAsPadSequencesDoes()
    {
        int[][] ids = [[1, 2, 3], Enumerable.Range(1, ServeFixture.SequenceLength).ToArray(), []];
        var (status, body) = await ServeFixture.Post(Client, "/v1/models/ids:predict", $"{{\"instances\": {System.Text.Json.JsonSerializer.Serialize(ids)}}}");
        Assert.Equal(200, status);
        Assert.Null(body["labels"]); // no class names in this file
        using var model = Sequential.Load(fixture.IdsModelPath);
        var expected = model.Predict(Sequor.Data.Sequences.PadToTensor(ids, ServeFixture.SequenceLength));
        var got = Column(body["predictions"]);
        for (int i = 0; i < ids.Length; i++) Assert.Equal(expected[i], got[i], 1e-6f);
    }

    [Fact]
    public async Task TheColumnarInputsFormAndTheVersionedPathAnswerAsTensorFlowServingDoes()
    {
        var (status, body) = await ServeFixture.Post(Client, "/v1/models/text:predict", "{\"inputs\": [\"a great film\"]}");
        Assert.Equal(200, status);
        Assert.Single(body["outputs"]!.AsArray());
        var (versioned, answer) = await ServeFixture.Post(Client, "/v1/models/text/versions/1:predict", "{\"signature_name\": \"serving_default\", \"instances\": [\"a great film\"]}");
        Assert.Equal(200, versioned);
        Assert.Equal(Column(body["outputs"]), Column(answer["predictions"]));
        Assert.Equal(404, (await ServeFixture.Post(Client, "/v1/models/text/versions/2:predict", "{\"instances\": [\"x\"]}")).Status);
    }

    [Fact]
    public async Task StatusHasTensorFlowServingsModelVersionStatusShape()
    {
        var (status, body) = await ServeFixture.Get(Client, "/v1/models/text");
        Assert.Equal(200, status);
        var version = body["model_version_status"]!.AsArray().Single()!;
        Assert.Equal("1", version["version"]!.GetValue<string>());
        Assert.Equal("AVAILABLE", version["state"]!.GetValue<string>());
        Assert.Equal("OK", version["status"]!["error_code"]!.GetValue<string>());
        Assert.Equal(200, (await ServeFixture.Get(Client, "/v1/models/ids/versions/1")).Status);
    }

    [Fact]
    public async Task MetadataDescribesInputsOutputsVocabularyAndClassNames()
    {
        var (status, body) = await ServeFixture.Get(Client, "/v1/models/text/metadata");
        Assert.Equal(200, status);
        Assert.Equal("text", body["model_spec"]!["name"]!.GetValue<string>());
        var signature = body["metadata"]!["signature_def"]!["signature_def"]!["serving_default"]!;
        Assert.Equal("DT_STRING", signature["inputs"]!.AsObject().Single().Value!["dtype"]!.GetValue<string>());
        var outputDims = signature["outputs"]!.AsObject().Single().Value!["tensor_shape"]!["dim"]!.AsArray().Select(d => d!["size"]!.GetValue<string>());
        Assert.Equal(["-1", "1"], outputDims);
        var sequor = body["sequor"]!;
        Assert.Equal("text", sequor["input"]!.GetValue<string>());
        Assert.Equal(ServeFixture.SequenceLength, sequor["sequence_length"]!.GetValue<int>());
        Assert.Equal(ServeFixture.Vocabulary, sequor["vocabulary_size"]!.GetValue<int>());
        Assert.Equal(["neg", "pos"], sequor["class_names"]!.AsArray().Select(n => n!.GetValue<string>()));

        var (_, ids) = await ServeFixture.Get(Client, "/v1/models/ids/metadata");
        var input = ids["metadata"]!["signature_def"]!["signature_def"]!["serving_default"]!["inputs"]!.AsObject().Single().Value!;
        Assert.Equal("DT_INT32", input["dtype"]!.GetValue<string>());
        Assert.Equal(["-1", "20"], input["tensor_shape"]!["dim"]!.AsArray().Select(d => d!["size"]!.GetValue<string>()));

        var (listed, models) = await ServeFixture.Get(Client, "/v1/models");
        Assert.Equal(200, listed);
        Assert.Equal(["text", "ids"], models["models"]!.AsArray().Select(m => m!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ExplainGivesEachWordsPlaceAndWhatRemovingItDoesToTheScore()
    {
        string text = "The plot was dull,<br />but the actor WONDERFUL... superb!";
        var (status, body) = await ServeFixture.Post(Client, "/v1/models/text:explain", new JsonObject { ["instances"] = new JsonArray(text) }.ToJsonString());
        Assert.Equal(200, status);
        var explanation = body["explanations"]!.AsArray().Single()!;
        var tokens = explanation["tokens"]!.AsArray();
        using var model = Sequential.Load(fixture.TextModelPath);
        // the same tokens the vectorizer makes, each at a place in the text that standardizes to it
        Assert.Equal(model.Vectorizer!.Tokens(text), tokens.Select(t => t!["token"]!.GetValue<string>()));
        foreach (var token in tokens)
        {
            string word = text[token!["start"]!.GetValue<int>()..token["end"]!.GetValue<int>()];
            Assert.Equal(token["token"]!.GetValue<string>(), model.Vectorizer.Tokens(word).Single());
        }
        float full = model.Predict([text])[0];
        Assert.Equal(full, explanation["prediction"]![0]!.GetValue<float>(), 1e-6f);
        Assert.Equal("pos", explanation["towards"]!.GetValue<string>());
        // an attribution is the score of the text minus the score of the text without that word
        foreach (var token in tokens)
        {
            string without = text[..token!["start"]!.GetValue<int>()] + text[token["end"]!.GetValue<int>()..];
            Assert.Equal(full - model.Predict([without])[0], token["attribution"]!.GetValue<float>(), 1e-5f);
        }
        float Attribution(string word) => tokens.Single(t => t!["token"]!.GetValue<string>() == word)!["attribution"]!.GetValue<float>();
        Assert.True(Attribution("wonderful") > 0.01f, $"wonderful: {Attribution("wonderful")}");
        Assert.True(Attribution("dull") is var dull && Attribution("superb") > dull, "superb should push more towards pos than dull");
    }

    [Fact]
    public async Task ExplainMarksTheTokensCutOffInFrontAsWithoutEffect()
    {
        var words = Enumerable.Range(0, 30).Select(i => ServeFixture.Filler[i % ServeFixture.Filler.Length]).Append("awful").ToArray();
        var (status, body) = await ServeFixture.Post(Client, "/v1/models/text:explain", new JsonObject { ["instances"] = new JsonArray(string.Join(' ', words)) }.ToJsonString());
        Assert.Equal(200, status);
        var attributions = body["explanations"]![0]!["tokens"]!.AsArray().Select(t => t!["attribution"]).ToArray();
        int cut = words.Length - ServeFixture.SequenceLength;
        Assert.All(attributions[..cut], a => Assert.Null(a));
        Assert.All(attributions[cut..], a => Assert.NotNull(a));
        Assert.True(attributions[^1]!.GetValue<float>() < -0.01f, "awful pushes away from pos");
    }

    [Fact]
    public async Task ExplainOnIdsAttributesEachId()
    {
        var (status, body) = await ServeFixture.Post(Client, "/v1/models/ids:explain", "{\"instances\": [[4, 5, 6]]}");
        Assert.Equal(200, status);
        using var model = Sequential.Load(fixture.IdsModelPath);
        var explanation = body["explanations"]![0]!;
        float full = model.Predict(Sequor.Data.Sequences.PadToTensor([[4, 5, 6]], 20))[0];
        float without5 = model.Predict(Sequor.Data.Sequences.PadToTensor([[4, 6]], 20))[0];
        Assert.Equal(full - without5, explanation["tokens"]![1]!["attribution"]!.GetValue<float>(), 1e-6f);
        Assert.Equal(5, explanation["tokens"]![1]!["id"]!.GetValue<int>());
    }

    [Fact]
    public async Task HealthAnswersOk()
    {
        var (status, body) = await ServeFixture.Get(Client, "/healthz");
        Assert.Equal(200, status);
        Assert.Equal("ok", body["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task MetricsCountRequestsByCodeAndShowLatencyAndBatchSizeHistograms()
    {
        await ServeFixture.Post(Client, "/v1/models/ids:predict", "{\"instances\": [[1, 2]]}");
        await ServeFixture.Post(Client, "/v1/models/ids:predict", "{\"instances\": [[99]]}");
        using var response = await Client.GetAsync("/metrics");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        string metrics = await response.Content.ReadAsStringAsync();
        Assert.Matches("sequor_requests_total\\{model=\"ids\",endpoint=\"predict\",code=\"200\"\\} [1-9]", metrics);
        Assert.Matches("sequor_requests_total\\{model=\"ids\",endpoint=\"predict\",code=\"400\"\\} [1-9]", metrics);
        Assert.Matches("sequor_request_duration_seconds_bucket\\{model=\"ids\",endpoint=\"predict\",le=\"\\+Inf\"\\} [1-9]", metrics);
        Assert.Matches("sequor_batch_size_count\\{model=\"ids\"\\} [1-9]", metrics);
        Assert.Contains("# TYPE sequor_batch_size histogram", metrics);
    }

    [Fact]
    public async Task ThePageIsServedWholeAndLoadsNothingFromElsewhere()
    {
        using var response = await Client.GetAsync("/");
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
        string html = await response.Content.ReadAsStringAsync();
        Assert.Contains("</html>", html);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
    }

    [Fact]
    public async Task ConcurrentRequestsAreGatheredIntoBatchesAndEachGetsItsOwnAnswer()
    {
        await using var server = await fixture.Start(new ServeSettings(Port: 0, MaxBatchSize: 32, BatchTimeout: TimeSpan.FromMilliseconds(50)));
        using var client = new HttpClient { BaseAddress = server.Address };
        var random = new Random(7);
        var texts = Enumerable.Range(0, 96).Select(i => string.Join(' ', Enumerable.Range(0, random.Next(1, 25))
            .Select(_ => random.NextDouble() < 0.3 ? (i % 2 == 0 ? ServeFixture.Good : ServeFixture.Bad)[random.Next(4)] : ServeFixture.Filler[random.Next(8)]))).ToArray();
        var answers = await Task.WhenAll(texts.Select(t => ServeFixture.Post(client, "/v1/models/text:predict", new JsonObject { ["instances"] = new JsonArray(t) }.ToJsonString())));
        using var model = Sequential.Load(fixture.TextModelPath);
        var expected = model.Predict(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(200, answers[i].Status);
            Assert.Equal(expected[i], Column(answers[i].Body["predictions"]).Single(), 1e-6f);
        }
        string metrics = await client.GetStringAsync("/metrics");
        var count = Sequor.Tests.Serve.Metrics.Value(metrics, "sequor_batch_size_count{model=\"text\"}");
        var sum = Sequor.Tests.Serve.Metrics.Value(metrics, "sequor_batch_size_sum{model=\"text\"}");
        Assert.Equal(96, sum);
        Assert.True(count < 96, $"96 concurrent requests ran in {count} batches: none were gathered");
        Assert.Equal(0, Sequor.Tests.Serve.Metrics.Value(metrics, "sequor_batch_size_bucket{model=\"text\",le=\"32\"}") - count); // never above the bound
    }

    [Fact]
    public async Task StoppingLetsARequestInFlightFinishWithItsAnswerThenRefusesConnections()
    {
        var server = await fixture.Start(new ServeSettings(Port: 0, BatchTimeout: TimeSpan.FromMilliseconds(400)));
        using var client = new HttpClient { BaseAddress = server.Address };
        var inFlight = ServeFixture.Post(client, "/v1/models/text:predict", "{\"instances\": [\"a wonderful film\"]}");
        await Task.Delay(100); // the request now waits in the batcher for others to join
        var stopping = server.DisposeAsync().AsTask();
        var (status, body) = await inFlight;
        await stopping;
        Assert.Equal(200, status);
        using var model = Sequential.Load(fixture.TextModelPath);
        Assert.Equal(model.Predict(["a wonderful film"])[0], Column(body["predictions"]).Single(), 1e-6f);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/healthz"));
    }
}

/// <summary>Reads one sample's value from Prometheus text.</summary>
internal static class Metrics
{
    public static double Value(string text, string sample) =>
        double.Parse(text.Split('\n').Single(l => l.StartsWith(sample + " ", StringComparison.Ordinal))[(sample.Length + 1)..], CultureInfo.InvariantCulture);
}
