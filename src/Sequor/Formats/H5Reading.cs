using System.Globalization;
using PureHDF;
using PureHDF.VOL.Native;

namespace Sequor.Formats;

/// <summary>
/// Reading the pieces of an HDF5 file that Keras writes (string attributes, float weight datasets) with the
/// checks a damaged or hostile file needs: sizes are compared with what the model expects and with the
/// file's length before anything is read, so a corrupt header cannot trigger a huge allocation.
/// </summary>
internal static class H5Reading
{
    // Keras splits attribute lists above 64 KB into chunks; far more than any real name list.
    private const ulong MaxAttributeElements = 1 << 20;
    private const int MaxChunks = 10_000;

    /// <summary>
    /// Opens the HDF5 file in <paramref name="stream"/> (left open: the caller owns it) after
    /// <see cref="H5Guard"/> has checked it, which needs the bytes in memory: a file stream is read into memory
    /// first (Keras models are small next to memory; weights are read whole anyway).
    /// </summary>
    internal static NativeFile Open(Stream stream)
    {
        if (stream.Length < 8) throw new SequorException("the file is too short to be HDF5");
        if (stream is MemoryStream memory && memory.TryGetBuffer(out var buffer))
        {
            H5Guard.Check(buffer);
            return H5File.Open(stream, leaveOpen: true);
        }
        if (stream.Length > Array.MaxLength) throw new SequorException($"the file has {stream.Length} bytes, more than Sequor reads at once");
        var copy = new MemoryStream((int)stream.Length);
        stream.Position = 0;
        stream.CopyTo(copy);
        copy.Position = 0;
        H5Guard.Check(copy.GetBuffer().AsSpan(0, (int)copy.Length));
        return H5File.Open(copy, leaveOpen: false);
    }

    /// <summary>
    /// A string attribute, or null when absent. h5py writes str as variable-length UTF-8 and bytes as
    /// variable-length ASCII; h5py 2 and numpy arrays give fixed-length strings. All read the same here.
    /// </summary>
    internal static string? StringAttribute(IH5Object owner, string name)
    {
        if (!owner.AttributeExists(name)) return null;
        var attribute = owner.Attribute(name);
        CheckStringType(attribute, name);
        CheckElements(attribute, name);
        if (attribute.Space.Type == H5DataspaceType.Scalar) return Clean(attribute.Read<string>());
        var values = attribute.Read<string[]>();
        if (values.Length != 1) throw new SequorException($"attribute '{name}' holds {values.Length} strings, expected one");
        return Clean(values[0]);
    }

    /// <summary>
    /// A list-of-names attribute (<c>layer_names</c>, <c>weight_names</c>), or null when absent. An empty list
    /// is stored by h5py as a float64 array of length 0; a long list as chunks <c>name0</c>, <c>name1</c>, ….
    /// </summary>
    internal static string[]? StringListAttribute(IH5Object owner, string name)
    {
        if (owner.AttributeExists(name)) return ReadList(owner.Attribute(name), name);
        if (!owner.AttributeExists(name + "0")) return null;
        var all = new List<string>();
        for (int chunk = 0; chunk < MaxChunks && owner.AttributeExists(name + chunk.ToString(CultureInfo.InvariantCulture)); chunk++)
            all.AddRange(ReadList(owner.Attribute(name + chunk.ToString(CultureInfo.InvariantCulture)), name));
        return [.. all];
    }

    private static string[] ReadList(IH5Attribute attribute, string name)
    {
        CheckElements(attribute, name);
        if (attribute.Type.Class is not (H5DataTypeClass.String or H5DataTypeClass.VariableLength))
        {
            if (ElementCount(attribute.Space) == 0) return [];
            throw new SequorException($"attribute '{name}' is {attribute.Type.Class}, expected a list of strings");
        }
        if (attribute.Space.Type == H5DataspaceType.Scalar) return [Clean(attribute.Read<string>())];
        if (attribute.Space.Rank != 1) throw new SequorException($"attribute '{name}' has rank {attribute.Space.Rank}, expected a list of strings");
        return attribute.Read<string[]>().Select(Clean).ToArray();
    }

    private static void CheckStringType(IH5Attribute attribute, string name)
    {
        if (attribute.Type.Class is not (H5DataTypeClass.String or H5DataTypeClass.VariableLength))
            throw new SequorException($"attribute '{name}' is {attribute.Type.Class}, expected a string");
    }

    private static void CheckElements(IH5Attribute attribute, string name)
    {
        if (attribute.Space.Type == H5DataspaceType.Null) throw new SequorException($"attribute '{name}' is empty (null dataspace)");
        if (ElementCount(attribute.Space) > MaxAttributeElements || attribute.Type.Size > 1 << 24)
            throw new SequorException($"attribute '{name}' claims an implausible size ({Format(attribute.Space.Dimensions)} × {attribute.Type.Size} bytes)");
    }

    // Fixed-length strings keep their NUL padding; a null entry of a variable-length array reads as null.
    private static string Clean(string? value) => (value ?? "").TrimEnd('\0');

    private static ulong ElementCount(IH5Dataspace space)
    {
        if (space.Type == H5DataspaceType.Scalar) return 1;
        if (space.Type == H5DataspaceType.Null) return 0;
        ulong n = 1;
        foreach (var d in space.Dimensions)
        {
            if (d != 0 && n > ulong.MaxValue / d) return ulong.MaxValue;
            n *= d;
        }
        return n;
    }

    /// <summary>
    /// Reads a weight of <paramref name="expected"/> shape. The stored shape, type and size are checked before
    /// reading; float64 values are narrowed to float32 (Sequor's precision).
    /// </summary>
    internal static Tensor ReadWeight(IH5Dataset dataset, IReadOnlyList<int> expected, long fileLength, string what)
    {
        var space = dataset.Space;
        ulong[] dims = space.Type == H5DataspaceType.Scalar ? [] : space.Dimensions;
        if (space.Type == H5DataspaceType.Null || dims.Length != expected.Count || dims.Where((d, i) => d != (ulong)expected[i]).Any())
            throw new SequorException($"{what} has shape {Format(dims)}, the model expects {Format(expected.Select(d => (ulong)d).ToArray())}");
        var type = dataset.Type;
        if (type.Class != H5DataTypeClass.FloatingPoint || type.Size is not (4 or 8))
            throw new SequorException($"{what} holds {type.Class} values of {type.Size} bytes, expected float32 or float64");
        long count = expected.Aggregate(1L, (a, d) => a * d);
        // Uncompressed weights (all Keras writes) cannot be larger than the file that holds them.
        if (dataset.Layout.Class != H5DataLayoutClass.Chunked && count * type.Size > fileLength)
            throw new SequorException($"{what} claims {count * type.Size} bytes of data, more than the whole file ({fileLength} bytes)");
        var shape = expected.ToArray();
        if (type.Size == 4)
        {
            var values = dataset.Read<float[]>();
            if (values.Length != count) throw new SequorException($"{what} gave {values.Length} values, expected {count}");
            return new Tensor(values, shape);
        }
        var wide = dataset.Read<double[]>();
        if (wide.Length != count) throw new SequorException($"{what} gave {wide.Length} values, expected {count}");
        return new Tensor(wide.Select(v => (Real)v).ToArray(), shape);
    }

    internal static string Format(ulong[] dims) => "(" + string.Join(", ", dims) + (dims.Length == 1 ? ",)" : ")");
}
