namespace Sequor.Layers;

/// <summary>
/// A named variable of a layer, with Keras's name (<c>kernel</c>, <c>recurrent_kernel</c>, <c>bias</c>,
/// <c>embeddings</c>) and shape. Its gradient buffer belongs to one shard of the batch.
/// </summary>
public sealed class Weight
{
    internal Weight(string name, Tensor value, bool trainable = true)
    {
        Name = name;
        Value = value;
        Gradient = new Tensor(value.Shape.ToArray());
        Trainable = trainable;
    }

    /// <summary>Keras's variable name inside the layer.</summary>
    public string Name { get; }

    /// <summary>The values. Shard replicas of a layer share this tensor.</summary>
    public Tensor Value { get; internal set; }

    /// <summary>∂loss/∂value for the current batch (or shard).</summary>
    internal Tensor Gradient { get; }

    public bool Trainable { get; }
}
