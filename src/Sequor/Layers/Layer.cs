using System.Text.RegularExpressions;

namespace Sequor.Layers;

/// <summary>
/// A Keras layer: a named transformation with weights, built once for an input shape, then run forward
/// and backward on batches. Shapes here exclude the batch axis (Keras's <c>None</c>).
/// </summary>
/// <remarks>
/// Engine contract: <see cref="Forward"/> keeps what <see cref="Backward"/> needs in buffers the layer
/// owns and reuses (sized for the largest batch seen), and <see cref="Backward"/> overwrites every
/// weight's gradient with this batch's ∂loss/∂weight. A layer instance serves one shard of a batch at a
/// time; <see cref="Replicate"/> gives another shard its own buffers and gradients over the same values.
/// </remarks>
public abstract class Layer
{
    private readonly List<Weight> weights = [];
    private int[]? inputShape;
    private int[]? outputShape;

    protected Layer(string? name) => Name = name ?? "";

    /// <summary>The layer's name; Sequential names unnamed layers as Keras does (<c>lstm_1</c>).</summary>
    public string Name { get; set; }

    /// <summary>Keras's class name (<c>LSTM</c>, <c>Embedding</c>, …), as in <c>summary()</c> and configs.</summary>
    public abstract string ClassName { get; }

    public bool IsBuilt => outputShape is not null;

    /// <summary>
    /// Keras's default layer name: the class name in snake case (SimpleRNN → simple_rnn, LSTM → lstm), by Keras's
    /// own rule, <c>to_snake_case</c> in
    /// <see href="https://github.com/keras-team/keras/blob/master/keras/src/utils/naming.py">keras/src/utils/naming.py</see>,
    /// so a new layer type needs no entry here.
    /// </summary>
    internal string DefaultName => SnakeCase(ClassName);

    internal static string SnakeCase(string className)
    {
        string name = Regex.Replace(className, @"\W+", "");
        name = Regex.Replace(name, "(.)([A-Z][a-z]+)", "$1_$2");
        return Regex.Replace(name, "([a-z])([A-Z])", "$1_$2").ToLowerInvariant();
    }

    /// <summary>The input shape without the batch axis (set by building).</summary>
    public IReadOnlyList<int> InputShape => inputShape ?? throw NotBuilt();

    /// <summary>The output shape without the batch axis (set by building).</summary>
    public IReadOnlyList<int> OutputShape => outputShape ?? throw NotBuilt();

    /// <summary>The weights in Keras's order (the order of <c>get_weights()</c> and of .h5 files).</summary>
    public IReadOnlyList<Weight> Weights => weights;

    /// <summary>Number of scalar weights, as Keras's <c>count_params()</c>.</summary>
    public int CountParams()
    {
        int n = 0;
        foreach (var w in weights) n += w.Value.Length;
        return n;
    }

    /// <summary>Copies of the weight values, as Keras's <c>get_weights()</c>.</summary>
    public Tensor[] GetWeights() => weights.Select(w => w.Value.Clone()).ToArray();

    /// <summary>Replaces the weight values, as Keras's <c>set_weights()</c>; shapes must match.</summary>
    public void SetWeights(params Tensor[] values)
    {
        if (!IsBuilt) throw NotBuilt();
        if (values.Length != weights.Count)
            throw new SequorException($"layer '{Name}' ({ClassName}) has {weights.Count} weights, {values.Length} values were given");
        for (int i = 0; i < values.Length; i++)
        {
            var target = weights[i].Value;
            if (!values[i].Shape.SequenceEqual(target.Shape))
                throw new SequorException($"layer '{Name}' ({ClassName}) weight '{weights[i].Name}' has shape {Tensor.Format(target.Shape)}, the value given has shape {Tensor.Format(values[i].Shape)}");
            values[i].Span.CopyTo(target.Span);
        }
    }

    /// <summary>
    /// Creates the weights for inputs of <paramref name="shape"/> (no batch axis), checking that the layer
    /// can take it; returns the output shape.
    /// </summary>
    internal int[] Build(int[] shape, RandomGenerator random)
    {
        if (IsBuilt && !shape.AsSpan().SequenceEqual(inputShape)) 
            throw new SequorException($"layer '{Name}' ({ClassName}) was built for input {FormatShape(inputShape!)}, it cannot take {FormatShape(shape)}");
        if (IsBuilt) return outputShape!;
        weights.Clear();
        var output = BuildCore(shape, random);
        inputShape = shape.ToArray();
        outputShape = output;
        return output;
    }

    /// <summary>Checks the input shape, creates the weights (AddWeight), returns the output shape.</summary>
    private protected abstract int[] BuildCore(int[] inputShape, RandomGenerator random);

    private protected Weight AddWeight(string name, int[] shape, Initializer initializer, RandomGenerator random)
    {
        var value = new Tensor(shape);
        initializer.Fill(value, random);
        var weight = new Weight(name, value);
        weights.Add(weight);
        return weight;
    }

    private protected void AddWeight(Weight weight) => weights.Add(weight);

    /// <summary>Runs the layer on a batch; the result is a buffer the layer reuses on its next call.</summary>
    internal abstract Tensor Forward(Tensor input, Tensor? mask, bool training);

    /// <summary>
    /// Given ∂loss/∂output of the last <see cref="Forward"/>, sets every weight gradient and returns
    /// ∂loss/∂input (null where the input is not differentiable, e.g. token ids).
    /// </summary>
    internal abstract Tensor? Backward(Tensor outputGradient);

    /// <summary>
    /// This layer's part of its model's <see cref="ExecutionPlan"/>, given once per replica when the model is built:
    /// how its input arrives, whether its output goes on in another form, whether ∂input is needed at all (not for
    /// the model's input, which is data). <see cref="LayerPlan.Alone"/> for a layer run on its own.
    /// </summary>
    internal LayerPlan Plan { get; set; } = LayerPlan.Alone;

    /// <summary>The mask that goes with this layer's output (Keras's <c>compute_mask</c>).</summary>
    internal virtual Tensor? OutputMask(Tensor input, Tensor? inputMask) => inputMask;

    /// <summary>The generator for this layer's dropout masks; the model reseeds it every step.</summary>
    internal RandomGenerator Random { get; } = new(0);

    /// <summary>A new, unbuilt layer with the same configuration and name.</summary>
    internal abstract Layer CloneConfiguration();

    /// <summary>
    /// The same layer for another shard of the batch: its own buffers and gradients, the same weight values.
    /// <paramref name="shape"/> builds it for another sequence length (a model of open length).
    /// </summary>
    internal Layer Replicate(int[]? shape = null)
    {
        var replica = CloneConfiguration();
        replica.Name = Name;
        replica.Build(shape ?? inputShape ?? throw NotBuilt(), new RandomGenerator(0));
        for (int i = 0; i < weights.Count; i++) replica.weights[i].Value = weights[i].Value;
        return replica;
    }

    /// <summary>Keras's shape notation with the batch axis: <c>(None, 100, 16)</c>.</summary>
    internal static string FormatShape(IReadOnlyList<int> shape)
    {
        var full = new int[shape.Count + 1];
        full[0] = -1;
        for (int i = 0; i < shape.Count; i++) full[i + 1] = shape[i];
        return Tensor.Format(full);
    }

    private protected SequorException ShapeError(int[] shape, string expected) =>
        new($"layer '{Name}' ({ClassName}) expects input of shape {expected}, got {FormatShape(shape)}");

    private SequorException NotBuilt() => new($"layer '{Name}' ({ClassName}) is not built yet: add it to a model and call Build");

    /// <summary>Draws an inverted-dropout mask: each value is 0 with probability rate, else 1/(1 − rate).</summary>
    internal static void SampleDropoutMask(Span<Real> mask, Real rate, RandomGenerator random)
    {
        Real scale = 1 / (1 - rate);
        for (int i = 0; i < mask.Length; i++) mask[i] = random.NextDouble() < rate ? 0 : scale;
    }

    public override string ToString() => $"{Name} ({ClassName})";
}
