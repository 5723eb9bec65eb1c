namespace Sequor.Tests.Formats;

/// <summary>
/// Finds the project's shared data (<c>/work/shared</c> beside the repository or worktree) by walking up from
/// the test binaries. The real Keras files there are not ours to commit, so tests that need them skip when
/// the folder is absent.
/// </summary>
internal static class SharedFiles
{
    private static readonly Lazy<string?> Root = new(Find);

    /// <summary>The <c>shared</c> directory, or null when it cannot be found.</summary>
    public static string? SharedRoot => Root.Value;

    /// <summary>The <c>shared/data/keras-models</c> directory, or null when absent.</summary>
    public static string? KerasModels =>
        SharedRoot is { } root && Directory.Exists(Path.Combine(root, "data", "keras-models")) ? Path.Combine(root, "data", "keras-models") : null;

    public const string SkipMessage = "../shared/data/keras-models is absent (real Keras files are not committed); test skipped";

    private static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "shared", "data"))) return Path.Combine(dir.FullName, "shared");
            if (dir.Name == "shared" && Directory.Exists(Path.Combine(dir.FullName, "data"))) return dir.FullName;
        }
        return null;
    }
}
