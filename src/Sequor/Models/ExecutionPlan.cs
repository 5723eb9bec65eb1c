using Sequor.Layers;

namespace Sequor;

/// <summary>
/// The model-wide decisions about how data passes between adjacent layers, made once when a <see cref="Sequential"/>
/// is built and handed to each replica's layers (<see cref="Layer.Plan"/>): which recurrent layer looks up its
/// Embedding's ids itself (the Embedding then writes no [B, T, E] output, and the lookup may fold into the projection),
/// and which pairs of recurrent layers pass the sequence time-major. Results are bit-identical to running each layer
/// on its own; only copies and transpositions are saved.
/// </summary>
internal sealed class ExecutionPlan
{
    private readonly bool[] lookupByNext;      // layer l is an Embedding whose ids layer l + 1 looks up
    private readonly bool[] handsOverToNext;   // layer l is a recurrent layer whose states layer l + 1 takes time-major

    public ExecutionPlan(IReadOnlyList<Layer> layers)
    {
        lookupByNext = new bool[layers.Count];
        handsOverToNext = new bool[layers.Count];
        for (int l = 0; l + 1 < layers.Count; l++)
        {
            lookupByNext[l] = layers[l] is Embedding && layers[l + 1] is Recurrent;
            handsOverToNext[l] = layers[l] is Recurrent first && layers[l + 1] is Recurrent second && first.CanHandOverTo(second);
        }
    }

    /// <summary>Hands each layer of <paramref name="stack"/> (a replica of the model's layers, in order) its part.</summary>
    public void Apply(Layer[] stack)
    {
        for (int l = 0; l < stack.Length; l++)
        {
            bool fromEmbedding = l > 0 && lookupByNext[l - 1], fromRecurrent = l > 0 && handsOverToNext[l - 1];
            stack[l].Plan = new LayerPlan(
                InputIsData: l == 0,
                Input: fromEmbedding ? LayerInput.EmbeddingIds : fromRecurrent ? LayerInput.TimeMajorStates : LayerInput.Tensor,
                Table: fromEmbedding ? (Embedding)stack[l - 1] : null,
                OutputIsIds: lookupByNext[l],
                OutputIsTimeMajor: handsOverToNext[l]);
        }
    }

    /// <summary>One line per layer that deviates from running alone (for tests and diagnostics).</summary>
    public IEnumerable<string> Describe(IReadOnlyList<Layer> layers)
    {
        for (int l = 0; l < layers.Count; l++)
        {
            if (lookupByNext[l]) yield return $"{layers[l + 1].Name} looks up the ids of {layers[l].Name}";
            if (handsOverToNext[l]) yield return $"{layers[l].Name} hands its states to {layers[l + 1].Name} time-major";
        }
    }
}
