using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Sequor.Cli.Commands;

namespace Sequor.Cli;

/// <summary>The <c>sequor</c> command line: parse, then run one command inside the error boundary.</summary>
internal static partial class SequorCli
{
    public static int Run(string[] args, CliOptions options)
    {
        var root = new RootCommand("Sequor: recurrent networks for text, Keras-compatible, in pure C#")
        {
            TrainCommand.Create(options),
            EvaluateCommand.Create(options),
            PredictCommand.Create(options),
            SummaryCommand.Create(options),
            DataCommand.Create(options),
            ReproduceCommand.Create(options),
            ExportCommand.Create(options),
            ServeCommand.Create(options),
        };
        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            // one line for the user, not the whole help text, pointing at the help of the subcommand that was typed
            var path = new List<string> { "sequor" };
            Command current = root;
            foreach (var arg in args)
            {
                if (current.Subcommands.FirstOrDefault(c => c.Name == arg) is not { } sub) break;
                path.Add(arg);
                current = sub;
            }
            options.Error.WriteLine($"sequor: {SequorException.OneLine(string.Join("; ", result.Errors.Select(e => Readable(e.Message))))} (see {string.Join(" ", path)} --help)");
            return 2;
        }
        if (args.Any(a => a is "-h" or "--help" or "-?"))
        {
            // System.CommandLine names the program after the running executable (Sequor.Cli); the installed command is `sequor`
            var help = new StringWriter();
            int exit = result.Invoke(new InvocationConfiguration { Output = help, Error = options.Error });
            options.Out.Write(help.ToString().Replace(RootCommand.ExecutableName, "sequor", StringComparison.Ordinal));
            return exit;
        }
        return result.Invoke(new InvocationConfiguration { Output = options.Out, Error = options.Error });
    }

    /// <summary>
    /// The line the first Ctrl-C or SIGTERM prints. Training stops after the current batch; <c>serve</c> has no
    /// batches to speak of (it says itself that in-flight requests finish). On a terminal the training progress
    /// line is being redrawn in place without a newline: the message clears it first instead of running on from it.
    /// </summary>
    internal static string StopMessage(PosixSignal signal, string[] args, bool terminal)
    {
        bool serving = args.Length > 0 && args[0] == "serve";
        string message = (signal == PosixSignal.SIGTERM, serving) switch
        {
            (true, true) => "sequor: terminated",
            (false, true) => "sequor: stopping (Ctrl-C again to abort)",
            (true, false) => "sequor: terminated; stopping after the current batch",
            (false, false) => "sequor: stopping after the current batch (Ctrl-C again to abort)",
        };
        return terminal ? "\r\u001b[2K" + message : message;
    }

    /// <summary>
    /// System.CommandLine names the .NET type it could not parse (<c>as expected type 'System.Single'</c>); a user
    /// needs to hear what to type instead.
    /// </summary>
    internal static string Readable(string message) => ExpectedType().Replace(ListOfChoices(message), m =>
    {
        string type = m.Groups[1].Value;
        string kind = type.Contains("Int", StringComparison.Ordinal) ? "a whole number"
            : type.Contains("Single", StringComparison.Ordinal) || type.Contains("Double", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal) ? "a number"
            : type.Contains("Boolean", StringComparison.Ordinal) ? "true or false"
            : "a value of another kind";
        return ": expected " + kind;
    });

    /// <summary>
    /// System.CommandLine lists the allowed values one per line, each after a tab (<c>Must be one of:\n\t'onnx'</c>),
    /// which on one line leaves tabs in the message: the user reads them as a list, <c>'rmsprop', 'adam', 'sgd'</c>.
    /// </summary>
    private static string ListOfChoices(string message)
    {
        var choices = Choices().Match(message);
        if (!choices.Success) return message;
        var values = choices.Groups[2].Value.Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return message[..choices.Index] + choices.Groups[1].Value + " " + string.Join(", ", values);
    }

    [GeneratedRegex(@" as expected type '([^']+)'")]
    private static partial Regex ExpectedType();

    [GeneratedRegex(@"(Must be one of:)((?:\s*'[^']*')+)\s*$")]
    private static partial Regex Choices();
}
