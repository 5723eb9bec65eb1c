using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sequor.Tests.Formats;

/// <summary>
/// Real Keras 3 (<c>../shared/tools/keras/keras-python</c>, Keras 3.15.1 on numpy) opening files through the
/// repository's <c>tools/keras_open.py</c>: one Python process for a whole list of files.
/// </summary>
internal static class RealKeras
{
    private static string KerasPython => Path.Combine(SharedData.Root ?? "/nonexistent", "tools", "keras", "keras-python");

    private static readonly Lazy<string?> Missing = new(() =>
    {
        if (!File.Exists(KerasPython)) return "../shared/tools/keras/keras-python is absent";
        var (exit, _, error) = Run("/usr/bin/python3", "-c", "import numpy, h5py");
        return exit == 0 ? null : $"Debian's python3-numpy or python3-h5py is missing ({error.Trim().Split('\n')[^1]})";
    });

    /// <summary>Skips the calling test, with one line, when real Keras cannot run here.</summary>
    internal static void Require() =>
        Skip.If(Missing.Value is not null, $"real Keras is not here, files are not opened in Keras: {Missing.Value}");

    /// <summary>The repository's root (the folder with Sequor.slnx).</summary>
    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Sequor.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Sequor.slnx not found above the test assembly");
    }

    /// <summary>Opens every manifest entry in Keras (see tools/keras_open.py) and returns one result per entry.</summary>
    internal static JsonElement[] Open(JsonArray manifest, string workDirectory)
    {
        string manifestPath = Path.Combine(workDirectory, "manifest.json");
        string resultsPath = Path.Combine(workDirectory, "results.json");
        File.WriteAllText(manifestPath, manifest.ToJsonString());
        var (exit, output, error) = Run(KerasPython, Path.Combine(RepositoryRoot(), "tools", "keras_open.py"), manifestPath, resultsPath);
        Assert.True(exit == 0, $"keras_open.py failed (exit {exit}): {output}\n{error}");
        using var results = JsonDocument.Parse(File.ReadAllText(resultsPath));
        return results.RootElement.GetProperty("results").EnumerateArray().Select(r => r.Clone()).ToArray();
    }

    internal static (int Exit, string Output, string Error) Run(string file, params string[] args) => Run(file, torch: false, args);

    /// <summary>Runs <paramref name="file"/>; <paramref name="torch"/>: Keras on torch (KERAS_TORCH=1, Keras 3.6.0 here).</summary>
    internal static (int Exit, string Output, string Error) Run(string file, bool torch, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (torch) start.Environment["KERAS_TORCH"] = "1";
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }
}
