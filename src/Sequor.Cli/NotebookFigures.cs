using System.Text.Json.Nodes;

namespace Sequor.Cli;

/// <summary>
/// The chapter notebooks' published results (rickiepark/hg-mldl 9-2 and 9-3, the TensorFlow 2.3 runs that
/// saved the .h5 checkpoints), copied from their printed output into notebook-figures.json, which ships with the
/// CLI; the report sets each Sequor run beside them.
/// </summary>
internal sealed class NotebookFigures
{
    private readonly JsonObject json;

    private NotebookFigures(JsonObject json) => this.json = json;

    public static NotebookFigures Load()
    {
        using var stream = typeof(NotebookFigures).Assembly.GetManifestResourceStream("Sequor.Cli.notebook-figures.json")
            ?? throw new InvalidOperationException("notebook-figures.json is not embedded in the CLI");
        return new NotebookFigures(JsonNode.Parse(stream)!.AsObject());
    }

    public JsonObject? Model(string preset) => json[preset] as JsonObject;

    public (double Loss, double Accuracy) TestTwoLayer => (json["test_2layer"]!["loss"]!.GetValue<double>(), json["test_2layer"]!["accuracy"]!.GetValue<double>());

    public (double Mean, double Median) Lengths => (json["length_stats"]!["mean"]!.GetValue<double>(), json["length_stats"]!["median"]!.GetValue<double>());

    public string Source => string.Join(", ", json["source"]!["files"]!.AsArray().Select(f => $"{json["source"]!["repo"]}/{f!["path"]} @ {f["commit"]!.GetValue<string>()[..12]}"));
}
