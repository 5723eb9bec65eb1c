using System.Security.Cryptography;

namespace Sequor.Data;

/// <summary>
/// Finds a dataset file the way a C# user expects after using Keras: an explicit path; else Sequor's
/// cache (<c>$SEQUOR_HOME/datasets</c>, default <c>~/.sequor/datasets</c>); else Keras's cache
/// (<c>$KERAS_HOME/datasets</c>, default <c>~/.keras/datasets</c>), so a Keras download is reused;
/// else a download from Keras's URL, checked against Keras's hash and written atomically into
/// Sequor's cache.
/// </summary>
internal static class DatasetFile
{
    internal sealed record Options(string? SequorHome = null, string? KerasHome = null, HttpMessageHandler? Handler = null);

    public static string SequorDatasets(Options o) =>
        Path.Combine(o.SequorHome ?? Env("SEQUOR_HOME") ?? Path.Combine(Home(), ".sequor"), "datasets");

    public static string KerasDatasets(Options o) =>
        Path.Combine(o.KerasHome ?? Env("KERAS_HOME") ?? Path.Combine(Home(), ".keras"), "datasets");

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static string Home() => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    /// <summary>
    /// The local path of <paramref name="fileName"/>, downloading it when no copy exists. <paramref name="hash"/> is
    /// SHA-256 (64 hex digits) or MD5 (32 hex digits), as Keras's <c>get_file</c> picks by length.
    /// </summary>
    public static string Resolve(string what, string fileName, string? explicitPath, string url, string hash,
        IProgress<(long Done, long Total)>? progress, Options? options = null)
    {
        options ??= new Options();
        if (explicitPath is not null)
        {
            if (File.Exists(explicitPath)) return explicitPath;
            throw new SequorException($"{what}: file '{explicitPath}' does not exist (expected a local copy of Keras's {fileName})");
        }
        string sequor = Path.Combine(SequorDatasets(options), fileName);
        if (File.Exists(sequor)) return sequor;
        string keras = Path.Combine(KerasDatasets(options), fileName);
        if (File.Exists(keras)) return keras;
        try
        {
            Download(url, sequor, hash, progress, options.Handler);
            return sequor;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or UnauthorizedAccessException or SequorException)
        {
            throw new SequorException(
                $"{what}: {fileName} is not in {Path.GetDirectoryName(sequor)} or {Path.GetDirectoryName(keras)} and the download from {url} failed ({SequorException.OneLine(e.Message)}); " +
                $"pass a local file (path: \"/path/to/{fileName}\") or copy it to {sequor}", e);
        }
    }

    private static void Download(string url, string destination, string hash, IProgress<(long, long)>? progress, HttpMessageHandler? handler)
    {
        using var client = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        client.Timeout = TimeSpan.FromMinutes(10);
        using var response = client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult();
        response.EnsureSuccessStatusCode();
        long total = response.Content.Headers.ContentLength ?? -1;
        using var body = response.Content.ReadAsStream();
        using var hasher = IncrementalHash.CreateHash(hash.Length == 32 ? HashAlgorithmName.MD5 : HashAlgorithmName.SHA256);
        AtomicFile.Write(destination, file =>
        {
            var buffer = new byte[1 << 16];
            long done = 0;
            int n;
            progress?.Report((0, total));
            while ((n = body.Read(buffer)) > 0)
            {
                file.Write(buffer, 0, n);
                hasher.AppendData(buffer, 0, n);
                done += n;
                progress?.Report((done, total));
            }
            string actual = Convert.ToHexStringLower(hasher.GetHashAndReset());
            // Throwing inside the writer discards the temporary file: a bad download never lands in the cache.
            if (!actual.Equals(hash, StringComparison.OrdinalIgnoreCase))
                throw new SequorException($"downloaded file has hash {actual}, expected {hash}");
        });
    }

}
