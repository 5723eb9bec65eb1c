using System.Globalization;
using System.Text;
using Sequor.Layers;

namespace Sequor;

public sealed partial class Sequential
{
    /// <summary>
    /// Prints Keras 3's summary table: <c>Layer (type)</c>, <c>Output Shape</c>, <c>Param #</c>, then the
    /// total, trainable and non-trainable parameter counts with their size (float32, 1024-based units), and for a
    /// compiled model whose optimizer is built (it has stepped, or the model was loaded compiled) Keras's
    /// <c>Optimizer params</c>: the optimizer's variables — iteration, learning rate and its slots — which the total
    /// includes (keras/src/utils/summary_utils.py). A model of open length shows its time axis as <c>None</c>.
    /// The table is 76 characters wide, as Keras prints it when the output is not a terminal.
    /// </summary>
    public void Summary(TextWriter? writer = null) => (writer ?? Console.Out).Write(SummaryText());

    /// <summary>The text <see cref="Summary"/> prints.</summary>
    public string SummaryText()
    {
        // Keras 3 (rich) at 76 columns, the width it uses when the output is not a terminal: cells of
        // 31, 22 and 13 characters between bars, each with one space of padding.
        int[] cells = [31, 22, 13];
        var sb = new StringBuilder();
        sb.Append("Model: \"").Append(Name).Append("\"\n");
        sb.Append(Border('┏', '━', '┳', '┓', cells));
        sb.Append(Row('┃', cells, "Layer (type)", "Output Shape", "Param #"));
        sb.Append(Border('┡', '━', '╇', '┩', cells));
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            string shape = layer.IsBuilt ? FormatLayerShape(layer.OutputShape) : "?";
            string count = layer.IsBuilt ? Thousands(layer.CountParams()) : "0 (unbuilt)";
            sb.Append(Row('│', cells, $"{layer.Name} ({layer.ClassName})", shape, count));
            sb.Append(i < layers.Count - 1 ? Border('├', '─', '┼', '┤', cells) : Border('└', '─', '┴', '┘', cells));
        }
        long trainable = layers.SelectMany(l => l.Weights).Where(w => w.Trainable).Sum(w => (long)w.Value.Length);
        long weights = layers.Sum(l => (long)l.CountParams());
        // Keras 3.15's iteration is an int32 and the learning rate a float32: every optimizer variable takes 4 bytes
        long? optimizer = Optimizer is { Variables: not null } built ? 2 + built.State.Sum(s => (long)s.Length) : null;
        long total = weights + (optimizer ?? 0);
        sb.Append($" Total params: {Thousands(total)} ({Bytes(total * 4)})\n");
        sb.Append($" Trainable params: {Thousands(trainable)} ({Bytes(trainable * 4)})\n");
        sb.Append($" Non-trainable params: {Thousands(weights - trainable)} ({Bytes((weights - trainable) * 4)})\n");
        if (optimizer is long variables) sb.Append($" Optimizer params: {Thousands(variables)} ({Bytes(variables * 4)})\n");
        return sb.ToString();
    }

    private static string Border(char left, char fill, char middle, char right, int[] cells)
    {
        var sb = new StringBuilder().Append(left);
        for (int c = 0; c < cells.Length; c++)
        {
            sb.Append(fill, cells[c] + 2);
            sb.Append(c < cells.Length - 1 ? middle : right);
        }
        return sb.Append('\n').ToString();
    }

    // A row; text longer than its cell wraps onto further lines, as rich does. The last column is right-aligned.
    private static string Row(char bar, int[] cells, params string[] texts)
    {
        int lines = 1;
        for (int c = 0; c < cells.Length; c++) lines = Math.Max(lines, (texts[c].Length + cells[c] - 1) / cells[c]);
        var sb = new StringBuilder();
        for (int line = 0; line < lines; line++)
        {
            sb.Append(bar);
            for (int c = 0; c < cells.Length; c++)
            {
                int start = line * cells[c];
                string part = start < texts[c].Length ? texts[c].Substring(start, Math.Min(cells[c], texts[c].Length - start)) : "";
                sb.Append(' ').Append(c == cells.Length - 1 ? part.PadLeft(cells[c]) : part.PadRight(cells[c])).Append(' ').Append(bar);
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    private static string Thousands(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Bytes(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1) { value /= 1024; unit++; }
        return value.ToString("F2", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
