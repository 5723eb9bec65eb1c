using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Sequor.Cli.Serve;
using Sequor.Layers;
using Sequor.Tests.Cli;

namespace Sequor.Tests.Serve;

/// <summary>
/// Two real models behind a real Kestrel server on a free loopback port: <c>text</c>, a GRU trained by
/// <c>sequor train</c> on planted-word reviews (its .keras carries vectorizer and class names), and <c>ids</c>, an
/// untrained Embedding–LSTM–Dense that takes token ids. Limits are small so the tests can cross them.
/// </summary>
public sealed class ServeFixture : IAsyncLifetime
{
    public const int MaxBodyBytes = 64 * 1024, MaxTextLength = 2_000, SequenceLength = 20, Vocabulary = 50;

    public static readonly string[] Good = ["wonderful", "great", "superb", "moving"], Bad = ["awful", "boring", "dreadful", "weak"],
        Filler = ["the", "film", "plot", "actor", "scene", "story", "and", "was"];

    public string Folder { get; } = Directory.CreateTempSubdirectory("sequor-serve-").FullName;

    public string TextModelPath => Path.Combine(Folder, "text.keras");

    public string IdsModelPath => Path.Combine(Folder, "ids.keras");

    internal ModelServer Server { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        TrainTextModel(Folder, TextModelPath);
        using (var ids = new Sequential([new Embedding(Vocabulary, 8), new LSTM(4), new Dense(1, Activation.Sigmoid)], seed: 1, name: "ids"))
        {
            ids.Build([SequenceLength]);
            ids.Save(IdsModelPath);
        }
        Server = await Start(new ServeSettings(Port: 0, MaxBatchSize: 64, BatchTimeout: TimeSpan.FromMilliseconds(5), MaxBodyBytes: MaxBodyBytes, MaxTextLength: MaxTextLength));
        Client = new HttpClient { BaseAddress = Server.Address };
    }

    /// <summary>A server of its own on the fixture's two model files.</summary>
    internal Task<ModelServer> Start(ServeSettings settings) =>
        ModelServer.StartAsync([Load("text", TextModelPath, settings), Load("ids", IdsModelPath, settings)], settings);

    private static ServedModel Load(string name, string path, ServeSettings settings) => new(name, path, Sequential.Load(path), settings.MaxTextLength);

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }

    /// <summary>Trains the small text model as a user would, with <c>sequor train</c> on a CSV of reviews.</summary>
    public static void TrainTextModel(string folder, string checkpoint)
    {
        var random = new Random(3);
        var csv = new StringBuilder("review,sentiment\n");
        for (int i = 0; i < 300; i++)
        {
            bool positive = i % 2 == 0;
            var words = Enumerable.Range(0, random.Next(5, 30)).Select(_ => random.NextDouble() < 0.2 ? (positive ? Good : Bad)[random.Next(4)] : Filler[random.Next(Filler.Length)]);
            csv.Append('"').Append(string.Join(' ', words)).Append("\",").Append(positive ? "pos" : "neg").Append('\n');
        }
        string data = Path.Combine(folder, "reviews.csv");
        File.WriteAllText(data, csv.ToString());
        var (exit, _, error) = CliRunner.Run("train", "--model", "gru", "--data", data, "--text-column", "review", "--label-column", "sentiment",
            "--num-words", Vocabulary.ToString(System.Globalization.CultureInfo.InvariantCulture), "--maxlen", SequenceLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--epochs", "8", "--optimizer", "adam", "--lr", "0.01", "--checkpoint", checkpoint);
        Assert.True(exit == 0, error);
    }

    /// <summary>POSTs a raw body and returns the status and the parsed JSON answer.</summary>
    public static async Task<(int Status, JsonObject Body)> Post(HttpClient client, string path, string body)
    {
        using var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        return ((int)response.StatusCode, await Parse(response));
    }

    public static async Task<(int Status, JsonObject Body)> Get(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return ((int)response.StatusCode, await Parse(response));
    }

    private static async Task<JsonObject> Parse(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }
}
