using System.Globalization;

namespace Sequor.Training;

/// <summary>
/// Keras's <c>CSVLogger</c>: one row per epoch — <c>epoch</c> (0-based), then the log keys sorted
/// alphabetically as seen at the first epoch (with <c>val_</c> columns added when the first epoch had none,
/// filled with <c>NA</c>); <c>\r\n</c> line ends; flushed every epoch. With <c>append</c> the header is written
/// only to an empty file.
/// </summary>
public sealed class CSVLogger(string filename, string separator = ",", bool append = false) : ICallback
{
    private string[]? keys;
    private StreamWriter? writer;
    private bool headerWritten;

    public string Filename => filename;

    void ICallback.OnTrainBegin(Sequential model)
    {
        bool hasContent = append && File.Exists(filename) && new FileInfo(filename).Length > 0;
        try
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(filename));
            if (directory is not null) Directory.CreateDirectory(directory);
            writer = new StreamWriter(filename, append) { NewLine = "\r\n" };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SequorException($"CSVLogger: cannot write '{filename}': {e.Message}");
        }
        keys = null;
        headerWritten = hasContent;
    }

    void ICallback.OnEpochEnd(Sequential model, int epoch, IDictionary<string, double> logs)
    {
        if (writer is null) return;
        if (keys is null)
        {
            var sorted = logs.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
            if (!sorted.Any(k => k.StartsWith("val_", StringComparison.Ordinal)))
                sorted.AddRange(sorted.Select(k => "val_" + k).ToList());
            keys = [.. sorted];
            if (!headerWritten) writer.WriteLine(string.Join(separator, keys.Prepend("epoch")));
            headerWritten = true;
        }
        var cells = keys.Select(k => logs.TryGetValue(k, out double v) ? v.ToString("R", CultureInfo.InvariantCulture) : "NA");
        writer.WriteLine(string.Join(separator, cells.Prepend(epoch.ToString(CultureInfo.InvariantCulture))));
        writer.Flush();
    }

    void ICallback.OnTrainEnd(Sequential model)
    {
        writer?.Dispose();
        writer = null;
    }
}
