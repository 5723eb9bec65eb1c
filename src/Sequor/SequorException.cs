namespace Sequor;

/// <summary>
/// A user error: a file, a shape, an argument or a value that Sequor cannot accept. The message is one
/// line that names the thing (file, layer, argument) and what was expected.
/// </summary>
public class SequorException : Exception
{
    public SequorException(string message) : base(message) { }

    public SequorException(string message, Exception inner) : base(message, inner) { }
}
