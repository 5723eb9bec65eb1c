namespace Sequor.Tests;

/// <summary>
/// Locates the project's read-only shared folder (<c>shared/data</c>, next to the repository) and the
/// test fixtures copied next to the test assembly.
/// </summary>
internal static class SharedData
{
    /// <summary>The <c>shared</c> folder, or null when it is absent (tests that need it skip).</summary>
    public static string? Root { get; } = Find();

    public static string? File(params string[] parts) =>
        Root is null ? null : Path.Combine([Root, .. parts]);

    /// <summary>A fixture file under <c>Fixtures/</c> in the test output folder.</summary>
    public static string Fixture(params string[] parts) =>
        Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);

    private static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "shared", "data"))) return Path.Combine(dir.FullName, "shared");
            // A worktree or checkout next to shared/: <root>/<repo> and <root>/shared.
            if (dir.Parent is { } parent && Directory.Exists(Path.Combine(parent.FullName, "shared", "data"))
                && System.IO.File.Exists(Path.Combine(dir.FullName, "Sequor.slnx")))
                return Path.Combine(parent.FullName, "shared");
        }
        return null;
    }
}
