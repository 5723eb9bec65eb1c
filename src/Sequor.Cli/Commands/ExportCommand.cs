using System.CommandLine;

namespace Sequor.Cli.Commands;

/// <summary><c>sequor export model.keras --format onnx [--output m.onnx]</c>: the model for other runtimes.</summary>
internal static class ExportCommand
{
    public static Command Create(CliOptions options)
    {
        var modelPath = new Argument<string>("model") { Description = "A .keras or .h5 model file" };
        var format = new Option<string>("--format")
        {
            Description = "onnx: standard ONNX operators (opset 17) for ONNX Runtime and other ONNX consumers",
            DefaultValueFactory = _ => "onnx",
        };
        format.AcceptOnlyFromAmong("onnx");
        var output = new Option<string?>("--output") { Description = "The file to write [default: the model's path with the format's extension]" };
        var command = new Command("export", "Write a model file in another format for inference elsewhere (ONNX)") { modelPath, format, output };
        command.SetAction(Shared.Run(options, result =>
        {
            string path = result.GetValue(modelPath)!;
            if (!ModelSource.IsFile(path)) throw new SequorException($"'{path}' is not a .keras/.h5 model file");
            string target = result.GetValue(output) ?? Path.ChangeExtension(path, ".onnx");
            if (Path.GetFullPath(target) == Path.GetFullPath(path)) throw new SequorException($"--output '{target}' would overwrite the model it exports");
            using var model = Sequential.Load(path);
            ModelMetadata.Attach(model, path);
            model.SaveOnnx(target);
            // a model of open length takes any length: its time axis is the symbolic 'time'
            string Dims(IReadOnlyList<int> shape, bool hasTime) =>
                string.Join(", ", ["batch", .. shape.Select((d, i) => model.HasOpenLength && hasTime && i == 0 ? "time" : d.ToString())]);
            var input = model.Layers[0] is Sequor.Layers.Embedding ? $"int64 token ids [{Dims(model.InputShape, true)}]" : $"float [{Dims(model.InputShape, true)}]";
            options.Out.WriteLine($"wrote {target} (ONNX opset {Sequor.Formats.Onnx.OnnxGraph.Opset}): input 'input' {input}, output 'output' float [{Dims(model.OutputShape, model.OutputShape.Count >= 2)}]");
            return 0;
        }));
        return command;
    }
}
