using System.CommandLine;
using Sequor.Cli.Commands;

namespace Sequor.Cli;

/// <summary>The <c>sequor</c> command line: parse, then run one command inside the error boundary.</summary>
internal static class SequorCli
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
            options.Error.WriteLine($"sequor: {SequorException.OneLine(string.Join("; ", result.Errors.Select(e => e.Message)))} (see {string.Join(" ", path)} --help)");
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
}
