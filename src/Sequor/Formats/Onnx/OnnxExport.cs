using Sequor.Layers;

namespace Sequor.Formats.Onnx;

/// <summary>
/// A built <see cref="Sequential"/> as an ONNX model of standard operators (opset <see cref="OnnxGraph.Opset"/>),
/// for ONNX Runtime and every other ONNX consumer. Layer by layer:
/// <code>
/// Embedding            Gather(embeddings, ids)             (mask_zero: see OnnxMasking)
/// Dense                MatMul(x, kernel) + bias, then the activation's operator
/// SimpleRNN/LSTM/GRU   RNN / LSTM / GRU (see OnnxRecurrent)
/// Bidirectional        one bidirectional RNN / LSTM / GRU, then Concat / Add / Mul / (Add)·0.5
/// Dropout              nothing (it is the identity at inference)
/// </code>
/// Input <c>input</c>: token ids [batch, T] as int64 when the model starts with an Embedding (ONNX's Gather
/// takes integer indices, and ONNX Runtime refuses an id outside the vocabulary instead of reading past the
/// table); otherwise the model's own float input [batch, T, F] (one-hot vectors for the chapter's SimpleRNN).
/// Output <c>output</c>: float [batch, …] as <see cref="Sequential.Predict(Tensor, int)"/>. The batch axis is symbolic
/// (<c>batch</c>); T is the model's sequence length, or symbolic (<c>time</c>) for a model of open length
/// (<see cref="Sequential.HasOpenLength"/>), whose graph then takes T from its input at run time. A text model's class names and vectorizer go into the
/// model's metadata (<c>class_names</c>, <c>vectorizer</c>: JSON, as in the .keras file's <c>sequor.json</c>).
/// </summary>
internal static class OnnxExport
{
    /// <summary>ONNX files are one protobuf message, which cannot exceed 2 GB.</summary>
    private const long MaxBytes = int.MaxValue;

    public static void Save(Sequential model, string path)
    {
        var graph = Build(model);
        AtomicFile.Write(path, stream => graph.WriteModel(stream, ProducerVersion));
    }

    public static void Write(Sequential model, Stream stream) => Build(model).WriteModel(stream, ProducerVersion);

    private static string ProducerVersion => typeof(Sequential).Assembly.GetName().Version?.ToString(3) ?? "0";

    internal static OnnxGraph Build(Sequential model)
    {
        if (!model.IsBuilt) throw new SequorException($"model '{model.Name}' is not built: call Build(inputShape) before SaveOnnx");
        long bytes = 4L * model.CountParams();
        if (bytes > MaxBytes)
            throw new SequorException($"model '{model.Name}' has {bytes:N0} bytes of weights; an ONNX file holds at most 2 GB");
        var layers = model.Layers;
        // refuse before building anything, naming the first layer that has no mapping
        foreach (var layer in layers) CheckExportable(layer, layer == layers[0]);

        var graph = new OnnxGraph(model.Name);
        bool ids = layers[0] is Embedding;
        // the input's first axis after the batch is time ([T] or [T, F]); the output keeps it while it has two
        // axes ([T, H], after return_sequences), a recurrent layer without return_sequences drops it ([H])
        bool open = model.HasOpenLength;
        OnnxDim[] Dims(IReadOnlyList<int> shape, bool hasTime) =>
            [OnnxDim.Batch, .. shape.Select((d, i) => open && hasTime && i == 0 ? OnnxDim.Time : (OnnxDim)d)];
        string x = graph.Input("input", ids ? OnnxType.Int64 : OnnxType.Float, Dims(model.InputShape, hasTime: true));
        int? steps = open ? null : model.InputShape[0];
        OnnxMasking? mask = null;
        foreach (var layer in layers)
        {
            switch (layer)
            {
                case Embedding embedding:
                    var table = graph.Floats($"{embedding.Name}/embeddings", [embedding.InputDim, embedding.OutputDim], embedding.Table.Value.Span);
                    if (embedding.MaskZero) mask = new OnnxMasking(graph, x, steps);
                    x = graph.Node("Gather", embedding.Name, [table, x], OnnxAttribute.Int("axis", 0));
                    break;
                case Dropout:
                    break;
                case Dense dense:
                    x = Dense(graph, dense, x);
                    break;
                case Recurrent recurrent:
                    x = OnnxRecurrent.Layer(graph, recurrent, x, mask, open);
                    if (!recurrent.ReturnSequences) mask = null;  // Keras drops the mask with the time axis
                    break;
                case Bidirectional bidirectional:
                    x = OnnxRecurrent.Bidirectional(graph, bidirectional, x, mask, open);
                    if (!bidirectional.Layer.ReturnSequences) mask = null;
                    break;
            }
        }
        graph.Output("output", x, OnnxType.Float, Dims(model.OutputShape, hasTime: model.OutputShape.Count >= 2));
        // what a text model needs beyond its graph, as the .keras file carries it: labels, and the vocabulary that
        // turns raw text into the ids the graph takes (ONNX Runtime shows these as custom metadata)
        if (model.ClassNames is { } names)
            graph.Metadata.Add(new("class_names", new System.Text.Json.Nodes.JsonArray(names.Select(n => (System.Text.Json.Nodes.JsonNode?)n).ToArray()).ToJsonString()));
        if (model.Vectorizer is { } vectorizer) graph.Metadata.Add(new("vectorizer", vectorizer.ToJson().ToJsonString()));
        return graph;
    }

    private static void CheckExportable(Layer layer, bool first)
    {
        switch (layer)
        {
            case Embedding when !first:
                throw Refuse(layer, "an Embedding takes token ids, so only a model's first layer can be one");
            case Embedding or Dropout:
                return;
            case Dense dense:
                ActivationOperator(dense.Activation, layer);
                return;
            case SimpleRNN or LSTM or GRU:
                CheckCell((Recurrent)layer, layer);
                return;
            case Bidirectional { ForwardLayer: SimpleRNN or LSTM or GRU } bidirectional:
                CheckCell(bidirectional.ForwardLayer, layer);
                return;
            default:
                throw Refuse(layer, "Sequor has no ONNX mapping for this layer");
        }
    }

    private static void CheckCell(Recurrent cell, Layer layer)
    {
        foreach (var activation in new[] { cell.Activation, cell.RecurrentActivation })
            if (activation.Name is not ("tanh" or "sigmoid" or "relu" or "linear" or "hard_sigmoid"))
                throw Refuse(layer, $"activation '{activation.Name}' has no ONNX recurrent activation");
    }

    private static SequorException Refuse(Layer layer, string why) =>
        new($"layer '{layer.Name}' ({layer.ClassName}) cannot be exported to ONNX: {why}");

    private static string Dense(OnnxGraph graph, Dense dense, string x)
    {
        string name = dense.Name;
        var kernel = dense.Weights.First(w => w.Name == "kernel").Value;
        var y = graph.Node("MatMul", $"{name}/MatMul", [x, graph.Floats($"{name}/kernel", [kernel.Dim(0), kernel.Dim(1)], kernel.Span)]);
        if (dense.Weights.FirstOrDefault(w => w.Name == "bias") is { } bias)
            y = graph.Node("Add", $"{name}/BiasAdd", [y, graph.Floats($"{name}/bias", [bias.Value.Length], bias.Value.Span)]);
        var (op, attributes) = ActivationOperator(dense.Activation, dense);
        return op is null ? y : graph.Node(op, $"{name}/{op}", [y], attributes);
    }

    /// <summary>The ONNX operator of a Dense layer's activation (null for linear).</summary>
    private static (string? Op, OnnxAttribute[] Attributes) ActivationOperator(Activation activation, Layer layer) => activation.Name switch
    {
        "linear" => (null, []),
        "relu" => ("Relu", []),
        "sigmoid" => ("Sigmoid", []),
        "tanh" => ("Tanh", []),
        "softmax" => ("Softmax", [OnnxAttribute.Int("axis", -1)]),
        "hard_sigmoid" => ("HardSigmoid", [OnnxAttribute.Float("alpha", HardSigmoidSlope(activation)), OnnxAttribute.Float("beta", 0.5f)]),
        _ => throw Refuse(layer, $"activation '{activation.Name}' has no ONNX operator"),
    };

    /// <summary>hard_sigmoid's slope: 1/6 in Keras 3, 0.2 in Keras 2 (files saved by Keras 2 keep theirs).</summary>
    internal static float HardSigmoidSlope(Activation activation) => activation.IsKeras2HardSigmoid ? 0.2f : 1f / 6;
}
