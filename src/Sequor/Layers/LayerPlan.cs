namespace Sequor.Layers;

/// <summary>How a layer's input tensor arrives, as the model's <see cref="ExecutionPlan"/> decided.</summary>
internal enum LayerInput
{
    /// <summary>The previous layer's output as its shape says ([B, T, F] for a recurrent layer; a recurrent first layer
    /// on one-hot input may also get the one-hot columns [B, T], see <see cref="Sequential.GatherInput"/>).</summary>
    Tensor,

    /// <summary>The token ids [B, T] that the Embedding before this layer checked: this layer looks them up in that
    /// Embedding's table itself (and may fold the table into its projection), and writes ∂embeddings.</summary>
    EmbeddingIds,

    /// <summary>The previous recurrent layer's states h [T, B, F], time-major as this layer's buffers: no transposition
    /// between the two layers; ∂input goes back time-major too.</summary>
    TimeMajorStates,
}

/// <summary>What one layer does differently inside a model (the default: a layer on its own).</summary>
/// <param name="InputIsData">The model's input: no ∂input is formed.</param>
/// <param name="Input">How the input arrives.</param>
/// <param name="Table">With <see cref="LayerInput.EmbeddingIds"/>: the Embedding (of the same replica) to look the ids up in.</param>
/// <param name="OutputIsIds">An Embedding whose next layer does the lookup: it checks the ids and passes them on.</param>
/// <param name="OutputIsTimeMajor">A recurrent layer whose next one takes its states time-major: it outputs them as they are.</param>
internal sealed record LayerPlan(bool InputIsData = false, LayerInput Input = LayerInput.Tensor, Embedding? Table = null,
    bool OutputIsIds = false, bool OutputIsTimeMajor = false)
{
    public static readonly LayerPlan Alone = new();
}
