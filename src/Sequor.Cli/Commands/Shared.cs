using System.CommandLine;

namespace Sequor.Cli.Commands;

/// <summary>Options several commands share, and the error boundary every command runs inside.</summary>
internal static class Shared
{
    public static Option<string> Data() => new("--data")
    {
        Description = "imdb (Keras's dataset, cached), an imdb.npz-style file, an aclImdb folder, or a CSV/TSV file of text and label columns",
        DefaultValueFactory = _ => "imdb",
    };

    /// <param name="defaultText">What --help shows as the default: commands without a preset use 500.</param>
    public static Option<int?> NumWords(string defaultText = "300 for the SimpleRNN presets, 500 otherwise") =>
        new("--num-words") { Description = $"Vocabulary size: ids at or above it become the out-of-vocabulary id [default: {defaultText}]" };

    public static Option<int> Maxlen() => new("--maxlen") { Description = "Sequence length after pad_sequences (pre-padding, pre-truncating)", DefaultValueFactory = _ => 100 };

    public static Option<int> Seed() => new("--seed") { Description = "Seed of initial weights, dropout and shuffling", DefaultValueFactory = _ => 42 };

    public static Option<int?> Threads() => new("--threads") { Description = "Worker threads, 1 to the processor count; results do not depend on it [default: all cores]" };

    public static (Option<string> Text, Option<string> Label) Columns() =>
        (new Option<string>("--text-column") { Description = "CSV/TSV column holding the text", DefaultValueFactory = _ => "text" },
         new Option<string>("--label-column") { Description = "CSV/TSV column holding the label", DefaultValueFactory = _ => "label" });

    /// <summary>
    /// Runs a command body: a user error (SequorException, a file that cannot be read) becomes one line on
    /// standard error and exit code 1 — no stack trace.
    /// </summary>
    public static Func<ParseResult, int> Run(CliOptions options, Func<ParseResult, int> body) => result =>
    {
        try
        {
            return body(result);
        }
        catch (SequorException e)
        {
            options.Error.WriteLine($"sequor: {SequorException.OneLine(e.Message)}");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            options.Error.WriteLine($"sequor: {SequorException.OneLine(e.Message)}");
            return 1;
        }
    };

    public static int Positive(int value, string name) => value > 0 ? value : throw new SequorException($"{name} must be positive, got {value}");

    public static int NonNegative(int value, string name) => value >= 0 ? value : throw new SequorException($"{name} must not be negative, got {value}");

    public static float PositiveFloat(float value, string name) => value > 0 && float.IsFinite(value) ? value : throw new SequorException($"{name} must be a positive number, got {value}");

    /// <summary><c>curves.png</c> → <c>curves-accuracy.png</c>.</summary>
    public static string Beside(string path, string suffix) =>
        Path.Combine(Path.GetDirectoryName(path) ?? "", Path.GetFileNameWithoutExtension(path) + suffix + Path.GetExtension(path));
}
