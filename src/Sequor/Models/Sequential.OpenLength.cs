using Sequor.Layers;

namespace Sequor;

public sealed partial class Sequential
{
    /// <summary>
    /// True when the model takes sequences of any length, as a Keras model on <c>Input(shape=(None,))</c> does (such a
    /// file loads this way). Its weights do not depend on the length: <see cref="Predict(Tensor, int)"/>,
    /// <c>Fit</c> and <c>Evaluate</c> take the length of their input, <see cref="InputShape"/> and
    /// <see cref="OutputShape"/> show the length last run, <see cref="Summary"/> shows <c>None</c>, and files keep
    /// the length open.
    /// </summary>
    public bool HasOpenLength { get; private set; }

    /// <summary>
    /// The length texts are padded and cut to (<c>pad_sequences</c> maxlen) for a model of open length trained on
    /// text: the length it was trained with, kept in its file. A model of fixed length uses its own length.
    /// </summary>
    public int? Maxlen
    {
        get => HasOpenLength ? maxlen : inputShape?[0];
        set
        {
            if (value is < 1) throw new SequorException($"model '{Name}': Maxlen must be positive, got {value}");
            maxlen = value;
        }
    }

    private int? maxlen;

    /// <summary>Marks a built model as taking any sequence length (the loaders call it for a file whose time axis is None).</summary>
    internal void OpenLength()
    {
        if (!IsBuilt) throw NotBuilt();
        HasOpenLength = true;
    }

    /// <summary>
    /// For a model of open length, rebuilds the shard replicas for the sequence length of <paramref name="x"/>
    /// ([n, T] ids or [n, T, D] vectors) when it differs from the last one; the model's own layers (the weights)
    /// stay as they are, and the replicas share their values as always.
    /// </summary>
    private void AdoptLength(Tensor x)
    {
        if (!HasOpenLength || x.Rank < 2 || x.Dim(1) < 1 || x.Dim(1) == inputShape![0]) return;
        var shape = inputShape.ToArray();
        shape[0] = x.Dim(1);
        replicas.Clear();
        shardInputs.Clear();
        shardOutputGradients.Clear();
        inputShape = shape;
        EnsureReplicas(1);
        outputShape = replicas[0][^1].OutputShape.ToArray();
    }

    /// <summary>One replica of the layers, each built for the model's current input shape.</summary>
    private Layer[] ReplicateLayers()
    {
        if (!HasOpenLength) return layers.Select(l => l.Replicate()).ToArray();
        var stack = new Layer[layers.Count];
        var shape = inputShape!;
        for (int i = 0; i < stack.Length; i++)
        {
            stack[i] = layers[i].Replicate(shape);
            shape = stack[i].OutputShape.ToArray();
        }
        return stack;
    }

    /// <summary>Keras's shape text with the time axis as <c>None</c> for a model of open length (ranks of two and more have one).</summary>
    internal string FormatLayerShape(IReadOnlyList<int> shape)
    {
        string text = Layer.FormatShape(shape);
        if (!HasOpenLength || shape.Count < 2) return text;
        int second = text.IndexOf(", ", StringComparison.Ordinal) + 2;
        return text[..second] + "None" + text[text.IndexOf(',', second)..];
    }
}
