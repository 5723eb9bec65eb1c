namespace Sequor;

/// <summary>
/// A user error: a file, a shape, an argument or a value that Sequor cannot accept. The message is one
/// line that names the thing (file, layer, argument) and what was expected.
/// </summary>
public class SequorException : Exception
{
    public SequorException(string message) : base(message) { }

    public SequorException(string message, Exception inner) : base(message, inner) { }

    /// <summary>
    /// Folds text (often another library's exception message) onto one trimmed line for a SequorException
    /// message, cut to <paramref name="max"/> characters when it is longer.
    /// </summary>
    internal static string OneLine(string message, int max = int.MaxValue)
    {
        var line = message.ReplaceLineEndings(" ").Trim();
        return line.Length > max ? line[..(max - 3)] + "..." : line;
    }
}
