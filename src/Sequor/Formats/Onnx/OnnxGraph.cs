using System.Buffers.Binary;

namespace Sequor.Formats.Onnx;

/// <summary>ONNX element types (<c>TensorProto.DataType</c>) that the export uses.</summary>
internal enum OnnxType
{
    Float = 1,
    Int32 = 6,
    Int64 = 7,
    Bool = 9,
}

/// <summary>An attribute of a node (<c>AttributeProto</c>): a long, float, string, or an array of one of them.</summary>
internal sealed record OnnxAttribute(string Name, object Value)
{
    public static OnnxAttribute Int(string name, long value) => new(name, value);
    public static OnnxAttribute Float(string name, float value) => new(name, value);
    public static OnnxAttribute Text(string name, string value) => new(name, value);
    public static OnnxAttribute Ints(string name, params long[] values) => new(name, values);
    public static OnnxAttribute Floats(string name, params float[] values) => new(name, values);
    public static OnnxAttribute Texts(string name, params string[] values) => new(name, values);
}

internal sealed record OnnxNode(string OpType, string Name, string[] Inputs, string[] Outputs, OnnxAttribute[] Attributes);

/// <summary>A constant tensor of the graph (<c>TensorProto</c> with raw little-endian data).</summary>
internal sealed record OnnxTensor(string Name, OnnxType Type, long[] Dims, byte[] RawData);

/// <summary>A dimension of a graph input or output: a size, or a symbol (any size, named).</summary>
internal readonly record struct OnnxDim(long Size, string? Symbol)
{
    /// <summary>The batch axis: any number of rows.</summary>
    public static readonly OnnxDim Batch = new(0, "batch");

    /// <summary>The time axis of a model of open length: any sequence length.</summary>
    public static readonly OnnxDim Time = new(0, "time");

    public static implicit operator OnnxDim(long size) => new(size, null);
}

/// <summary>A graph input or output: name, element type, and dimensions.</summary>
internal sealed record OnnxValue(string Name, OnnxType Type, OnnxDim[] Dims);

/// <summary>
/// An ONNX graph being built (nodes in topological order, constants as initializers) and its serialization as
/// a <c>ModelProto</c>. Field numbers: https://github.com/onnx/onnx/blob/main/onnx/onnx.proto.
/// </summary>
internal sealed class OnnxGraph
{
    /// <summary>The operator set the export targets: ONNX 1.12 (2022), run by every ONNX Runtime since 1.12.</summary>
    public const int Opset = 17;

    /// <summary>IR version 8 is the one that goes with opset 17.</summary>
    public const int IrVersion = 8;

    private readonly List<OnnxNode> nodes = [];
    private readonly List<OnnxTensor> initializers = [];
    private readonly HashSet<string> names = [];

    public OnnxGraph(string name) => Name = name;

    public string Name { get; }
    public List<OnnxValue> Inputs { get; } = [];
    public List<OnnxValue> Outputs { get; } = [];
    public List<KeyValuePair<string, string>> Metadata { get; } = [];
    public IReadOnlyList<OnnxNode> Nodes => nodes;
    public IReadOnlyList<OnnxTensor> Initializers => initializers;

    /// <summary>Adds a node with one output, named <paramref name="name"/> (made unique); returns the output.</summary>
    public string Node(string opType, string name, string[] inputs, params OnnxAttribute[] attributes) =>
        Node(opType, name, inputs, 1, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputs"/> outputs named after the node; returns them.</summary>
    public string[] Node(string opType, string name, string[] inputs, int outputs, params OnnxAttribute[] attributes) =>
        Node(opType, name, inputs, Enumerable.Repeat(true, outputs).ToArray(), attributes);

    /// <summary>
    /// Adds a node whose optional outputs are produced where <paramref name="produce"/> says so (ONNX names an
    /// output it does not want ""); returns the output names.
    /// </summary>
    public string[] Node(string opType, string name, string[] inputs, bool[] produce, params OnnxAttribute[] attributes)
    {
        string node = Unique(name);
        var outputNames = new string[produce.Length];
        for (int i = 0; i < produce.Length; i++)
            outputNames[i] = !produce[i] ? "" : produce.Length == 1 ? node : Unique($"{node}:{i}");
        nodes.Add(new OnnxNode(opType, node, inputs, outputNames, attributes));
        return outputNames;
    }

    /// <summary>Declares a graph input; its name is reserved so no node takes it.</summary>
    public string Input(string name, OnnxType type, OnnxDim[] dims)
    {
        string unique = Unique(name);
        Inputs.Add(new OnnxValue(unique, type, dims));
        return unique;
    }

    /// <summary>Declares a graph output computed by <paramref name="value"/> (an Identity gives it its name).</summary>
    public void Output(string name, string value, OnnxType type, OnnxDim[] dims)
    {
        string output = Node("Identity", name, [value]);
        Outputs.Add(new OnnxValue(output, type, dims));
    }

    public string Floats(string name, long[] dims, ReadOnlySpan<float> values)
    {
        var raw = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), values[i]);
        return Constant(name, OnnxType.Float, dims, raw);
    }

    public string Int64s(string name, long[] dims, ReadOnlySpan<long> values)
    {
        var raw = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * 8), values[i]);
        return Constant(name, OnnxType.Int64, dims, raw);
    }

    /// <summary>A 1-D int64 constant (axes, shapes, indices).</summary>
    public string Int64s(string name, params long[] values) => Int64s(name, [values.Length], values);

    /// <summary>A scalar int64 constant.</summary>
    public string Int64(string name, long value) => Int64s(name, [], [value]);

    public string Float(string name, float value) => Floats(name, [], [value]);

    private string Constant(string name, OnnxType type, long[] dims, byte[] raw)
    {
        string unique = Unique(name);
        initializers.Add(new OnnxTensor(unique, type, dims, raw));
        return unique;
    }

    private string Unique(string name)
    {
        if (names.Add(name)) return name;
        for (int i = 1; ; i++)
            if (names.Add($"{name}_{i}")) return $"{name}_{i}";
    }

    /// <summary>Writes the graph as an ONNX model file (<c>ModelProto</c>).</summary>
    public void WriteModel(Stream stream, string producerVersion)
    {
        var model = new ProtoWriter();
        model.Int(1, IrVersion);
        model.String(2, "Sequor");
        model.String(3, producerVersion);
        model.Message(7, WriteGraph);
        model.Message(8, opset => opset.Int(2, Opset));  // domain "" (the default ONNX operators)
        foreach (var (key, value) in Metadata)
            model.Message(14, entry => { entry.String(1, key); entry.String(2, value); });
        model.CopyTo(stream);
    }

    private void WriteGraph(ProtoWriter graph)
    {
        foreach (var node in nodes) graph.Message(1, w => WriteNode(w, node));
        graph.String(2, Name);
        foreach (var tensor in initializers) graph.Message(5, w => WriteTensor(w, tensor));
        foreach (var input in Inputs) graph.Message(11, w => WriteValue(w, input));
        foreach (var output in Outputs) graph.Message(12, w => WriteValue(w, output));
    }

    private static void WriteNode(ProtoWriter w, OnnxNode node)
    {
        foreach (var input in node.Inputs) w.String(1, input);
        foreach (var output in node.Outputs) w.String(2, output);
        w.String(3, node.Name);
        w.String(4, node.OpType);
        foreach (var attribute in node.Attributes) w.Message(5, a => WriteAttribute(a, attribute));
    }

    // AttributeProto.type: FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7, STRINGS 8
    private static void WriteAttribute(ProtoWriter w, OnnxAttribute a)
    {
        w.String(1, a.Name);
        switch (a.Value)
        {
            case float f: w.Float(2, f); w.Int(20, 1); break;
            case long i: w.Int(3, i); w.Int(20, 2); break;
            case string s: w.String(4, s); w.Int(20, 3); break;
            case float[] fs: w.PackedFloats(7, fs); w.Int(20, 6); break;
            case long[] ints: w.PackedInts(8, ints); w.Int(20, 7); break;
            case string[] texts: foreach (var t in texts) w.String(9, t); w.Int(20, 8); break;
            default: throw new InvalidOperationException($"ONNX attribute '{a.Name}' has a value of type {a.Value.GetType().Name}");
        }
    }

    private static void WriteTensor(ProtoWriter w, OnnxTensor tensor)
    {
        w.PackedInts(1, tensor.Dims);
        w.Int(2, (int)tensor.Type);
        w.String(8, tensor.Name);
        w.Bytes(9, tensor.RawData);
    }

    private static void WriteValue(ProtoWriter w, OnnxValue value)
    {
        w.String(1, value.Name);
        w.Message(2, type => type.Message(1, tensor =>
        {
            tensor.Int(1, (int)value.Type);
            tensor.Message(2, shape =>
            {
                foreach (var dim in value.Dims)
                    shape.Message(1, d => { if (dim.Symbol is { } symbol) d.String(2, symbol); else d.Int(1, dim.Size); });
            });
        }));
    }
}
