using System.Net;
using System.Text;

namespace Sequor.Tests.Serve;

/// <summary>
/// Every kind of bad request gets a 4xx with <c>{"error": ...}</c> naming the problem, nothing reaches the model, and
/// the server goes on answering good requests correctly afterwards.
/// </summary>
public sealed class ModelServerBadInputTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    public static TheoryData<string, string, int, string> Cases => new()
    {
        { "/v1/models/text:predict", "{\"instances\": [\"a good film\"", 400, "malformed JSON" },
        { "/v1/models/text:predict", "not json at all", 400, "malformed JSON" },
        { "/v1/models/text:predict", "", 400, "empty request body" },
        { "/v1/models/text:predict", "[\"a good film\"]", 400, "expected a JSON object" },
        { "/v1/models/text:predict", "{\"instance\": [\"a good film\"]}", 400, "expected {\"instances\": [...]}" },
        { "/v1/models/text:predict", "{\"instances\": \"a good film\"}", 400, "\"instances\" must be a list" },
        { "/v1/models/text:predict", "{\"instances\": []}", 400, "\"instances\" is empty" },
        { "/v1/models/text:predict", "{\"instances\": [\"fine\", [1, 2, 3]]}", 400, "instance 1: model 'text' takes raw text, so each instance must be a string, got a list of 3" },
        { "/v1/models/text:predict", "{\"instances\": [null]}", 400, "must be a string, got null" },
        { "/v1/models/text:predict", $"{{\"instances\": [\"{new string('a', ServeFixture.MaxTextLength + 1)}\"]}}", 400, "instance 0: text of 2,001 characters is longer than the limit of 2,000" },
        { "/v1/models/text:explain", $"{{\"instances\": [\"{new string('a', ServeFixture.MaxTextLength + 1)}\"]}}", 400, "longer than the limit of 2,000" },
        { "/v1/models/ids:predict", "{\"instances\": [\"a good film\"]}", 400, "instance 0: model 'ids' takes a list of token ids, got the string \"a good film\"" },
        { "/v1/models/ids:predict", "{\"instances\": [1, 2, 3]}", 400, "takes a list of token ids, got the number 1" },
        { "/v1/models/ids:predict", "{\"instances\": [[1, 2], [[1, 2]]]}", 400, "instance 1, position 0: a token id must be a whole number, got a list of 2" },
        { "/v1/models/ids:predict", "{\"instances\": [[1, 2.5]]}", 400, "instance 0, position 1: a token id must be a whole number, got the number 2.5" },
        { "/v1/models/ids:predict", "{\"instances\": [[1, 50]]}", 400, "instance 0, position 1: id 50 is outside the vocabulary [0, 50)" },
        { "/v1/models/ids:predict", "{\"instances\": [[-1]]}", 400, "id -1 is outside the vocabulary [0, 50)" },
        { "/v1/models/ids:predict", "{\"instances\": [[1e12]]}", 400, "a token id must be a whole number, got the number 1e12" },
        { "/v1/models/ids:predict", $"{{\"instances\": [[{string.Join(",", Enumerable.Repeat(1, 21))}]]}}", 400, "instance 0: 21 ids is longer than the model's sequence length 20" },
        { "/v1/models/ids:explain", "{\"instances\": [[1, 77]]}", 400, "id 77 is outside the vocabulary [0, 50)" },
        { "/v1/models/ids:explain", "{\"instances\": []}", 400, "\"instances\" must be a non-empty list" },
        { "/v1/models/nosuch:predict", "{\"instances\": [\"a good film\"]}", 404, "no model named 'nosuch' (serving: 'text', 'ids')" },
        { "/v1/models/nosuch", "", 404, "no model named 'nosuch'" },
        { "/v1/models/text:classify", "{\"instances\": [\"a good film\"]}", 404, "no such method ':classify'" },
        { "/v1/models/text", "{\"instances\": [\"a good film\"]}", 404, "no such method '(none)'" },
        { "/v2/anything", "{}", 404, "no such endpoint: POST /v2/anything" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadRequestsGetAnErrorNamingTheProblemAndTheServerAnswersCorrectlyAfterwards(string path, string body, int status, string message)
    {
        var (got, answer) = path == "/v1/models/nosuch" ? await ServeFixture.Get(fixture.Client, path) : await ServeFixture.Post(fixture.Client, path, body);
        Assert.Equal(status, got);
        Assert.Contains(message, answer["error"]!.GetValue<string>());
        Assert.DoesNotContain('\n', answer["error"]!.GetValue<string>());
        await AnswersCorrectly();
    }

    [Fact]
    public async Task AnOversizedBodyIsRefusedWith413WhetherItsLengthIsAnnouncedOrNot()
    {
        // 16 times the limit: the client is still sending when the server has refused
        string big = "{\"instances\": [\"" + new string('a', 16 * ServeFixture.MaxBodyBytes) + "\"]}";
        var (status, answer) = await ServeFixture.Post(fixture.Client, "/v1/models/text:predict", big);
        Assert.Equal(413, status);
        Assert.Contains("larger than the limit of 65,536 bytes (--max-body-bytes)", answer["error"]!.GetValue<string>());

        // chunked: no Content-Length, the limit is found while reading
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/models/text:predict") { Content = new ChunkedContent(Encoding.UTF8.GetBytes(big)) };
        using var response = await fixture.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("larger than the limit of 65,536 bytes", await response.Content.ReadAsStringAsync());
        await AnswersCorrectly();
    }

    [Fact]
    public async Task AWrongHttpMethodIsRefusedAndTheServerLivesOn()
    {
        using var response = await fixture.Client.DeleteAsync("/v1/models/text");
        Assert.True((int)response.StatusCode is 404 or 405, $"DELETE answered {response.StatusCode}");
        await AnswersCorrectly();
    }

    private async Task AnswersCorrectly()
    {
        var (status, body) = await ServeFixture.Post(fixture.Client, "/v1/models/text:predict", "{\"instances\": [\"a wonderful superb film\"]}");
        Assert.Equal(200, status);
        Assert.Equal("pos", body["labels"]![0]!.GetValue<string>());
    }

    /// <summary>A body sent without Content-Length (Transfer-Encoding: chunked).</summary>
    private sealed class ChunkedContent(byte[] bytes) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (int i = 0; i < bytes.Length; i += 4096) await stream.WriteAsync(bytes.AsMemory(i, Math.Min(4096, bytes.Length - i)));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
