namespace Sequor.Cli;

/// <summary>
/// Where the CLI writes, how it stops and how it downloads: set once at start and shared, read-only, by every
/// command. What a command's options say travels as values (<see cref="TextColumns"/>, settings records), never here.
/// </summary>
internal sealed class CliOptions(TextWriter output, TextWriter error, bool terminal, CancellationToken cancellation)
{
    public TextWriter Out => output;
    public TextWriter Error => error;

    /// <summary>True when standard output is a terminal: progress lines are redrawn in place instead of printed once per epoch.</summary>
    public bool Terminal => terminal;

    /// <summary>Ctrl-C: training stops after the current batch.</summary>
    public CancellationToken Cancellation => cancellation;

    /// <summary>Sends the dataset downloads (null: the network); tests put a failing or fake server here.</summary>
    public HttpMessageHandler? DownloadHandler { get; init; }

    /// <summary>A status line on standard error (kept off standard output, which carries results).</summary>
    public void Status(string message) => error.WriteLine(message);
}

/// <summary>The columns of a CSV/TSV file that hold the text and the label (<c>--text-column</c>, <c>--label-column</c>).</summary>
internal sealed record TextColumns(string Text = "text", string Label = "label")
{
    public static readonly TextColumns Default = new();
}
