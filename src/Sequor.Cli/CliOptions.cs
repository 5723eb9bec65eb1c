namespace Sequor.Cli;

/// <summary>Where the CLI writes, and how it stops: shared by every command.</summary>
internal sealed class CliOptions(TextWriter output, TextWriter error, bool terminal, CancellationToken cancellation)
{
    public TextWriter Out => output;
    public TextWriter Error => error;

    /// <summary>True when standard output is a terminal: live progress bars instead of plain lines.</summary>
    public bool Terminal => terminal;

    /// <summary>Ctrl-C: training stops after the current batch.</summary>
    public CancellationToken Cancellation => cancellation;

    public string TextColumn { get; set; } = "text";
    public string LabelColumn { get; set; } = "label";

    /// <summary>A status line on standard error (kept off standard output, which carries results).</summary>
    public void Status(string message) => error.WriteLine(message);
}
