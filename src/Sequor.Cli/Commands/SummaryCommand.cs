using System.CommandLine;

namespace Sequor.Cli.Commands;

/// <summary><c>sequor summary</c>: Keras's summary table of a model file or a preset.</summary>
internal static class SummaryCommand
{
    public static Command Create(CliOptions options)
    {
        var target = new Argument<string>("model") { Description = $"A .keras/.h5 model file or a preset ({string.Join(", ", Presets.Names)})" };
        var numWords = Shared.NumWords();
        var maxlen = Shared.Maxlen();
        var command = new Command("summary", "Print the Keras summary table (layers, output shapes, parameter counts)") { target, numWords, maxlen };
        command.SetAction(Shared.Run(options, result =>
        {
            string name = result.GetValue(target)!;
            using var model = Presets.Exists(name)
                ? Presets.Create(name, result.GetValue(numWords) ?? Presets.ChapterNumWords(name), Shared.Positive(result.GetValue(maxlen), "--maxlen"), 2, seed: 0)
                : ModelSource.IsFile(name) ? Sequential.Load(name)
                : throw new SequorException($"'{name}' is neither a preset ({string.Join(", ", Presets.Names)}) nor a .keras/.h5 file");
            model.Summary(options.Out);
            return 0;
        }));
        return command;
    }
}
