using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Sequor.Cli.Serve;

namespace Sequor.Tests.Serve;

/// <summary>
/// The page at <c>/</c> in a real browser: Debian's headless Chromium driven through chromedriver's W3C WebDriver HTTP
/// API (no driver package). Typing a review shows the label and colours the words; uploading a CSV scores each row and
/// offers the results for download. Skips with one message where chromium or chromedriver is absent.
/// </summary>
public sealed class PageBrowserTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    private const string Chromium = "/usr/bin/chromium", ChromeDriver = "/usr/bin/chromedriver";

    [SkippableFact]
    public async Task TypingAReviewShowsItsLabelAndColoursTheWordsAndAnUploadedCsvIsScoredForDownload()
    {
        Skip.IfNot(File.Exists(Chromium) && File.Exists(ChromeDriver), $"the browser test needs Debian's chromium and chromium-driver ({Chromium}, {ChromeDriver}): apt-get install chromium chromium-driver");
        await using var server = await fixture.Start(new ServeSettings(Port: 0, BatchTimeout: TimeSpan.FromMilliseconds(1)));
        await using var browser = await Browser.StartAsync();
        using var model = Sequential.Load(fixture.TextModelPath);

        await browser.Navigate(server.Address.ToString());
        await browser.WaitFor("return document.body.dataset.ready === 'true'", "the page to load the model list");

        // typing: the label and the coloured words follow
        string review = "The plot was boring and weak, but the actor was wonderful.";
        await browser.Type("#review", review);
        await browser.WaitFor("return document.getElementById('label').textContent !== '—' && document.querySelectorAll('#words .word').length > 0", "a label after typing");
        string expectedLabel = model.Predict([review])[0] > 0.5f ? "pos" : "neg";
        Assert.Equal(expectedLabel, await browser.Text("#label"));
        var words = (await browser.Script("return [...document.querySelectorAll('#words .word')].map(w => [w.textContent, getComputedStyle(w).backgroundColor, w.dataset.attribution ?? ''])"))!.AsArray();
        Assert.Equal(model.Vectorizer!.Tokens(review).Count(), words.Count);
        // a word's span is its text as typed, punctuation included ("wonderful.")
        string Colour(string word) => words.Single(w => w![0]!.GetValue<string>().TrimEnd('.', ',') == word)![1]!.GetValue<string>();
        Assert.StartsWith("rgba(22, 163, 74", Colour("wonderful")); // green: towards pos
        Assert.StartsWith("rgba(220, 38, 38", Colour("boring"));     // red: away from it
        Assert.Equal(review, await browser.Script("return document.getElementById('words').textContent") is { } shown ? shown.GetValue<string>() : null);
        Directory.CreateDirectory("browser");
        File.WriteAllBytes(Path.Combine("browser", "page-typed.png"), await browser.Screenshot());

        // an uploaded CSV: its text column found by name, every row scored, the results downloadable
        string[] texts = ["a wonderful, superb film", "awful \"boring\" dreadful", "the story was great and moving", "weak plot and a dreadful actor"];
        var csv = new StringBuilder("id,review,stars\n");
        for (int i = 0; i < texts.Length; i++) csv.Append(i).Append(",\"").Append(texts[i].Replace("\"", "\"\"")).Append("\",").Append(i % 5).Append('\n');
        string upload = Path.Combine(fixture.Folder, "batch.csv");
        File.WriteAllText(upload, csv.ToString());
        await browser.Type("#file", upload);
        await browser.WaitFor("return !document.getElementById('download').hidden", "the download link after the upload");
        var rows = (await browser.Script("return [...document.querySelectorAll('#results tbody tr')].map(r => [...r.cells].map(c => c.textContent))"))!.AsArray();
        var scores = model.Predict(texts);
        Assert.Equal(texts.Length, rows.Count);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(texts[i], rows[i]![1]!.GetValue<string>());
            Assert.Equal(scores[i] > 0.5f ? "pos" : "neg", rows[i]![2]!.GetValue<string>());
        }
        await browser.Click("#download");
        string downloaded = Path.Combine(browser.Downloads, "predictions.csv");
        for (var waited = Stopwatch.StartNew(); !File.Exists(downloaded); await Task.Delay(100))
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), $"no {downloaded} 20 s after clicking the download link");
        var lines = File.ReadAllText(downloaded).TrimEnd('\n').Split('\n');
        Assert.Equal("text,label,pos probability", lines[0]);
        Assert.Equal(texts.Length + 1, lines.Length);
        Assert.StartsWith("\"awful \"\"boring\"\" dreadful\",", lines[2]);
        File.WriteAllBytes(Path.Combine("browser", "page-batch.png"), await browser.Screenshot());

        // a .txt file: one text per line, in order, a blank line included (the empty text)
        string lines2 = Path.Combine(fixture.Folder, "batch.txt");
        File.WriteAllLines(lines2, ["a great film", "", "dreadful"]);
        await browser.Type("#file", lines2);
        await browser.WaitFor("return document.querySelectorAll('#results tbody tr').length === 3 && !document.getElementById('download').hidden", "the rows of the .txt upload");
        var txtRows = (await browser.Script("return [...document.querySelectorAll('#results tbody tr')].map(r => r.cells[2].textContent)"))!.AsArray();
        var txtScores = model.Predict(["a great film", "", "dreadful"]);
        Assert.Equal(txtScores.Span.ToArray().Select(p => p > 0.5f ? "pos" : "neg"), txtRows.Select(r => r!.GetValue<string>()));
    }

    /// <summary>A headless Chromium session through chromedriver's W3C WebDriver HTTP API.</summary>
    private sealed class Browser : IAsyncDisposable
    {
        private const string ElementKey = "element-6066-11e4-a52e-4f735466cecf";
        private readonly Process driver;
        private readonly HttpClient http;
        private readonly string profile;
        private string session = "";

        private Browser(Process driver, HttpClient http, string profile)
        {
            this.driver = driver;
            this.http = http;
            this.profile = profile;
        }

        public static async Task<Browser> StartAsync()
        {
            int port = FreePort();
            var driver = Process.Start(new ProcessStartInfo(ChromeDriver, $"--port={port}") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
            string profile = Directory.CreateTempSubdirectory("sequor-chromium-").FullName;
            var browser = new Browser(driver, http, profile);
            try
            {
                var ready = Stopwatch.StartNew();
                while (true)
                {
                    try
                    {
                        if ((await http.GetFromJsonAsync<JsonObject>("status"))?["value"]?["ready"]?.GetValue<bool>() == true) break;
                    }
                    catch (HttpRequestException) when (ready.Elapsed < TimeSpan.FromSeconds(20))
                    {
                    }
                    await Task.Delay(100);
                }
                string[] args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1100,1000", $"--user-data-dir={profile}"];
                var created = await browser.Send(HttpMethod.Post, "session", new JsonObject
                {
                    ["capabilities"] = new JsonObject
                    {
                        ["alwaysMatch"] = new JsonObject
                        {
                            ["browserName"] = "chrome",
                            ["goog:chromeOptions"] = new JsonObject
                            {
                                ["binary"] = Chromium,
                                ["args"] = new JsonArray(args.Select(a => (JsonNode)a).ToArray()),
                                ["prefs"] = new JsonObject { ["download.default_directory"] = browser.Downloads, ["download.prompt_for_download"] = false },
                            },
                        },
                    },
                });
                browser.session = created!["sessionId"]!.GetValue<string>();
                return browser;
            }
            catch
            {
                await browser.DisposeAsync();
                throw;
            }
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        private async Task<JsonNode?> Send(HttpMethod method, string path, JsonObject? body = null)
        {
            // a string body carries its Content-Length: chromedriver closes the connection on a chunked one
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
            using var response = await http.SendAsync(request);
            var answer = await response.Content.ReadFromJsonAsync<JsonObject>();
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"WebDriver {method} {path}: {answer?["value"]?["message"]}");
            return answer!["value"];
        }

        public Task Navigate(string url) => Send(HttpMethod.Post, $"session/{session}/url", new JsonObject { ["url"] = url });

        private async Task<string> Element(string css) =>
            (await Send(HttpMethod.Post, $"session/{session}/element", new JsonObject { ["using"] = "css selector", ["value"] = css }))![ElementKey]!.GetValue<string>();

        /// <summary>Keys into an element as a person types them (for a file input: the file's path, as choosing it would).</summary>
        public async Task Type(string css, string text) =>
            await Send(HttpMethod.Post, $"session/{session}/element/{await Element(css)}/value", new JsonObject { ["text"] = text });

        public async Task Click(string css) => await Send(HttpMethod.Post, $"session/{session}/element/{await Element(css)}/click", new JsonObject());

        /// <summary>Where the browser saves downloads (inside its own temporary profile).</summary>
        public string Downloads => Path.Combine(profile, "downloads");

        public async Task<string> Text(string css) => (await Send(HttpMethod.Get, $"session/{session}/element/{await Element(css)}/text"))!.GetValue<string>();

        public Task<JsonNode?> Script(string script) =>
            Send(HttpMethod.Post, $"session/{session}/execute/sync", new JsonObject { ["script"] = script, ["args"] = new JsonArray() });

        public async Task WaitFor(string condition, string what)
        {
            var waited = Stopwatch.StartNew();
            while (!((await Script(condition))?.GetValue<bool>() ?? false))
            {
                if (waited.Elapsed > TimeSpan.FromSeconds(20))
                    throw new TimeoutException($"waited 20 s for {what}; the page says: {(await Script("return document.body.innerText"))?.GetValue<string>()}");
                await Task.Delay(50);
            }
        }

        public async Task<byte[]> Screenshot() => Convert.FromBase64String((await Send(HttpMethod.Get, $"session/{session}/screenshot"))!.GetValue<string>());

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (session.Length > 0) await Send(HttpMethod.Delete, $"session/{session}");
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException)
            {
                // the driver is stopped below either way
            }
            if (!driver.HasExited) driver.Kill(entireProcessTree: true);
            await driver.WaitForExitAsync();
            driver.Dispose();
            http.Dispose();
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { }
        }
    }
}
