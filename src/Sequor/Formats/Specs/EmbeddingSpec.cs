using System.Text.Json;
using System.Text.Json.Nodes;
using Sequor.Layers;

namespace Sequor.Formats.Specs;

/// <summary>Keras's <c>Embedding</c>: <c>input_dim × output_dim</c> embeddings.</summary>
internal sealed class EmbeddingSpec : LayerSpec
{
    internal override string ClassName => "Embedding";

    internal override Type LayerType => typeof(Embedding);

    internal override Layer Read(KerasConfigReader reader, JsonObject config, string name, string where) =>
        new Embedding(KerasConfigReader.Int(config, "input_dim", where), KerasConfigReader.Int(config, "output_dim", where),
            KerasConfigReader.Bool(config, "mask_zero", where, false), name)
        {
            EmbeddingsInitializer = KerasConfigReader.ReadInitializer(config, "embeddings_initializer", where, Initializer.RandomUniform),
        };

    internal override JsonObject Write(KerasConfigWriter.Writer writer, Layer layer)
    {
        var e = (Embedding)layer;
        return KerasConfigWriter.Add(writer.Common(e.Name),
            ("input_dim", e.InputDim), ("output_dim", e.OutputDim),
            ("embeddings_initializer", writer.Initializer(e.EmbeddingsInitializer)),
            ("embeddings_regularizer", null), ("activity_regularizer", null), ("embeddings_constraint", null),
            ("mask_zero", e.MaskZero));
    }

    // Keras 2's Embedding carries the model's sequence length.
    internal override int?[]? DeclaredInputShape(JsonObject config) =>
        config["input_length"] is JsonValue length && length.GetValueKind() == JsonValueKind.Number
            ? [KerasConfigReader.Int(config, "input_length", "Embedding")]
            : null;

    internal override void WriteKeras2Input(JsonObject config, int? length) => config["input_length"] = length;

    internal override long ParameterCount(Layer layer, ref long[] shape)
    {
        var e = (Embedding)layer;
        shape = [.. shape, e.OutputDim];
        return (long)e.InputDim * e.OutputDim;
    }
}
