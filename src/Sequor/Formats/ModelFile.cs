using PureHDF;

namespace Sequor.Formats;

/// <summary>
/// Saving and loading Keras model files, the format chosen by extension: <c>.keras</c> (Keras 3 archive),
/// <c>.weights.h5</c> (Keras 3 weights only), <c>.h5</c> (legacy Keras full model; weights only via
/// <see cref="SaveWeights"/>).
/// </summary>
/// <remarks>
/// This is the format boundary: whatever goes wrong inside (a damaged zip, an HDF5 structure PureHDF cannot
/// parse, bad JSON, a weight of the wrong shape) leaves here as one <see cref="SequorException"/> whose
/// one-line message starts with the file name.
/// </remarks>
public static class ModelFile
{
    /// <summary>Saves <paramref name="model"/> to <paramref name="path"/>, atomically (temporary file, then rename).</summary>
    /// <exception cref="SequorException">The model is not built, the extension is unknown, or writing failed.</exception>
    public static void Save(Sequential model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        switch (KindOf(path))
        {
            case Kind.Keras: WriteAtomically(path, s => KerasArchive.Write(model, s)); break;
            case Kind.WeightsH5: WriteAtomically(path, s => WeightsH5.Write(model, s)); break;
            case Kind.H5: WriteAtomically(path, s => LegacyH5.Write(model, s)); break;
        }
    }

    /// <summary>
    /// Throws the error <see cref="Save"/> would give when the format of <paramref name="path"/> cannot hold
    /// <paramref name="model"/>, so a checkpoint fails before training rather than after its first epoch.
    /// </summary>
    internal static void CheckCanSave(Sequential model, string path)
    {
        if (KindOf(path) == Kind.Keras && model.IsBuilt)
        {
            try
            {
                KerasArchive.CheckCanHold(model);
            }
            catch (SequorException e)
            {
                throw new SequorException($"{Label(path)}: {e.Message}", e);
            }
        }
    }

    /// <summary>Loads a model from a <c>.keras</c> or full-model <c>.h5</c> file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="inputShape">The input shape without batch axis, when the file leaves a dimension open (None).</param>
    /// <exception cref="SequorException">The file is missing, damaged, weights-only, or holds a model Sequor cannot run.</exception>
    public static Sequential Load(string path, int[]? inputShape = null) => Load(path, inputShape, Console.Error);

    /// <summary>
    /// Loads a model; what of its compile settings or optimizer state cannot be restored is written to
    /// <paramref name="warnings"/> as one line naming the file, and the model loads anyway.
    /// </summary>
    internal static Sequential Load(string path, int[]? inputShape, TextWriter warnings) => KindOf(path) switch
    {
        Kind.Keras => ReadFile(path, s => KerasArchive.Read(s, inputShape, Warn(path, warnings))),
        Kind.H5 => ReadFile(path, s => LegacyH5.Read(s, inputShape, Warn(path, warnings))),
        _ => throw new SequorException($"{Label(path)}: a .weights.h5 file holds weights only; build the model and call LoadWeights"),
    };

    /// <summary>Saves only the weights: Keras 3's layout for <c>.weights.h5</c>, Keras 2's weights-only layout for other <c>.h5</c>.</summary>
    public static void SaveWeights(Sequential model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        switch (KindOf(path))
        {
            case Kind.WeightsH5: WriteAtomically(path, s => WeightsH5.Write(model, s)); break;
            case Kind.H5: WriteAtomically(path, s => LegacyH5.WriteWeightsOnly(model, s)); break;
            default: throw new SequorException($"{Label(path)}: weights are saved as .weights.h5 or .h5, not .keras");
        }
    }

    /// <summary>
    /// Loads weights into a built model by position (as Keras does), from any Keras file: the layout is told
    /// apart by content, not by extension.
    /// </summary>
    public static void LoadWeights(Sequential model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.IsBuilt) throw new SequorException($"model '{model.Name}' is not built: call Build(inputShape) before LoadWeights");
        if (KindOf(path) == Kind.Keras)
        {
            ReadFile(path, s => { KerasArchive.LoadWeights(s, model); return model; });
            return;
        }
        ReadFile(path, s =>
        {
            using var file = H5Reading.Open(s);
            if (file.LinkExists("layers")) WeightsH5.Load(file, model, s.Length);
            else if (H5Reading.StringListAttribute(file, "layer_names") is not null) LegacyH5.LoadWeights(file, model, s.Length);
            else if (file.LinkExists("model_weights")) LegacyH5.LoadWeights(file.Group("model_weights"), model, s.Length);
            else throw new SequorException("no Keras weights found (no 'layers' group, 'layer_names' attribute or 'model_weights' group)");
            return model;
        });
    }

    private enum Kind { Keras, WeightsH5, H5 }

    private static Kind KindOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.EndsWith(".keras", StringComparison.OrdinalIgnoreCase)) return Kind.Keras;
        if (path.EndsWith(".weights.h5", StringComparison.OrdinalIgnoreCase)) return Kind.WeightsH5;
        if (path.EndsWith(".h5", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".hdf5", StringComparison.OrdinalIgnoreCase)) return Kind.H5;
        throw new SequorException($"{Label(path)}: unknown model file extension; expected .keras, .h5 or .weights.h5");
    }

    private static string Label(string path) => $"file '{path}'";

    private static Action<string> Warn(string path, TextWriter warnings) =>
        message => warnings.WriteLine($"{Label(path)}: {KerasConfigReader.OneLine(message)}");

    private static Sequential ReadFile(string path, Func<Stream, Sequential> read)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // .NET's message repeats the path, absolute ("Could not find file '/abs/path'."): say it as the CLI's other files do
            throw new SequorException($"{Label(path)}: no such file", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new SequorException($"{Label(path)}: cannot be opened ({KerasConfigReader.OneLine(e.Message)})", e);
        }
        using (stream) return Read(stream, path, read);
    }

    /// <summary>
    /// Runs a reader on an open stream and turns every failure into one SequorException naming the file.
    /// Internal so that tests can read mutated files from memory.
    /// </summary>
    internal static T Read<T>(Stream stream, string path, Func<Stream, T> read)
    {
        try
        {
            return read(stream);
        }
        catch (SequorException e)
        {
            throw new SequorException($"{Label(path)}: {KerasConfigReader.OneLine(e.Message)}", e);
        }
        catch (OutOfMemoryException e)
        {
            // PureHDF sizes its buffers from the file; a damaged length asks for more than an array can hold.
            throw new SequorException($"{Label(path)}: damaged, a stored length is impossibly large ({KerasConfigReader.OneLine(e.Message)})", e);
        }
        catch (Exception e)
        {
            throw new SequorException($"{Label(path)}: damaged or not a Keras file ({e.GetType().Name}: {KerasConfigReader.OneLine(e.Message)})", e);
        }
    }

    // A crash or a full disk must never leave a half-written model under the real name (AtomicFile);
    // errors from inside the writers get the file's label.
    private static void WriteAtomically(string path, Action<Stream> write)
    {
        try
        {
            AtomicFile.Write(path, write);
        }
        catch (SequorException e) when (!e.Message.StartsWith(Label(path), StringComparison.Ordinal))
        {
            throw new SequorException($"{Label(path)}: {KerasConfigReader.OneLine(e.Message)}", e);
        }
    }
}
