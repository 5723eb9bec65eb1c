using System.Numerics.Tensors;

namespace Sequor.Layers;

/// <summary>How <see cref="Bidirectional"/> joins its two directions (Keras <c>merge_mode</c>).</summary>
public enum MergeMode
{
    /// <summary>[forward, backward] on the last axis (2H features).</summary>
    Concat,
    Sum,
    Mul,
    /// <summary>(forward + backward) / 2.</summary>
    Ave,
}

/// <summary>
/// Keras <c>Bidirectional(layer, merge_mode="concat")</c>: a forward copy and a go_backwards copy of a
/// recurrent layer on the same input and mask, merged.
/// <code>
/// y_f = forward(x)     y_b = backward(x), reversed in time when returnSequences (so index t is time t)
/// concat: [y_f, y_b]   sum: y_f + y_b   mul: y_f ⊙ y_b   ave: (y_f + y_b)/2
/// ∂x = ∂x_f + ∂x_b
/// </code>
/// Shapes: [B, T, F] → [B, H'] or [B, T, H'], H' = 2H for concat else H. Weights: the forward layer's
/// (<c>forward_&lt;name&gt;</c>), then the backward layer's (<c>backward_&lt;name&gt;</c>), each fresh.
/// With returnSequences, masked steps output zeros in both directions, as in Keras.
/// </summary>
public sealed class Bidirectional : Layer
{
    private readonly Tensor output = new(0, 0);
    private readonly Tensor forwardGradient = new(0, 0);
    private readonly Tensor backwardGradient = new(0, 0);
    private readonly Tensor inputGradient = new(0, 0, 0);
    private Tensor? forwardOutput, backwardOutput;

    public Bidirectional(Recurrent layer, MergeMode mergeMode = MergeMode.Concat, string? name = null) : base(name)
    {
        Layer = layer;
        MergeMode = mergeMode;
        ForwardLayer = layer.CloneWith(layer.GoBackwards);
        BackwardLayer = layer.CloneWith(!layer.GoBackwards);
        ForwardLayer.ZeroOutputForMask = BackwardLayer.ZeroOutputForMask = layer.ReturnSequences;
    }

    /// <summary>The layer as the user gave it (its configuration is what both directions copy).</summary>
    public Recurrent Layer { get; }

    public MergeMode MergeMode { get; }

    public Recurrent ForwardLayer { get; }

    public Recurrent BackwardLayer { get; }

    public override string ClassName => "Bidirectional";

    private int Units => ForwardLayer.Units;

    private protected override int[] BuildCore(int[] inputShape, RandomGenerator random)
    {
        if (string.IsNullOrEmpty(Layer.Name)) Layer.Name = Layer.DefaultName;
        ForwardLayer.Name = "forward_" + Layer.Name;
        BackwardLayer.Name = "backward_" + Layer.Name;
        var shape = ForwardLayer.Build(inputShape, random);
        BackwardLayer.Build(inputShape, random);
        foreach (var w in ForwardLayer.Weights) AddWeight(w);
        foreach (var w in BackwardLayer.Weights) AddWeight(w);
        var result = shape.ToArray();
        if (MergeMode == MergeMode.Concat) result[^1] *= 2;
        return result;
    }

    internal override Tensor Forward(Tensor input, Tensor? mask, bool training)
    {
        ForwardLayer.Random.Reseed(Random.NextUInt64());
        BackwardLayer.Random.Reseed(Random.NextUInt64());
        var yf = forwardOutput = ForwardLayer.Forward(input, mask, training);
        var yb = backwardOutput = BackwardLayer.Forward(input, mask, training);
        int batch = input.Dim(0), steps = Layer.ReturnSequences ? input.Dim(1) : 1, h = Units;
        int width = MergeMode == MergeMode.Concat ? 2 * h : h;
        if (Layer.ReturnSequences) output.Reshape(batch, steps, width);
        else output.Reshape(batch, width);
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < steps; t++)
            {
                var f = yf.Span.Slice((b * steps + t) * h, h);
                var r = yb.Span.Slice((b * steps + (steps - 1 - t)) * h, h);
                var o = output.Span.Slice((b * steps + t) * width, width);
                switch (MergeMode)
                {
                    case MergeMode.Concat: f.CopyTo(o); r.CopyTo(o[h..]); break;
                    case MergeMode.Sum: TensorPrimitives.Add(f, r, o); break;
                    case MergeMode.Mul: TensorPrimitives.Multiply(f, r, o); break;
                    case MergeMode.Ave: TensorPrimitives.Add(f, r, o); TensorPrimitives.Multiply(o, (Real)0.5f, o); break;
                }
            }
        return output;
    }

    internal override Tensor? Backward(Tensor outputGradient)
    {
        var yf = forwardOutput!;
        var yb = backwardOutput!;
        int batch = yf.Dim(0), steps = Layer.ReturnSequences ? yf.Dim(1) : 1, h = Units;
        int width = MergeMode == MergeMode.Concat ? 2 * h : h;
        forwardGradient.Reshape(yf.Shape);
        backwardGradient.Reshape(yb.Shape);
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < steps; t++)
            {
                var d = outputGradient.Span.Slice((b * steps + t) * width, width);
                int reversed = (b * steps + (steps - 1 - t)) * h;
                var df = forwardGradient.Span.Slice((b * steps + t) * h, h);
                var dr = backwardGradient.Span.Slice(reversed, h);
                switch (MergeMode)
                {
                    case MergeMode.Concat: d[..h].CopyTo(df); d[h..].CopyTo(dr); break;
                    case MergeMode.Sum: d.CopyTo(df); d.CopyTo(dr); break;
                    case MergeMode.Mul:
                        TensorPrimitives.Multiply(d, yb.Span.Slice(reversed, h), df);
                        TensorPrimitives.Multiply(d, yf.Span.Slice((b * steps + t) * h, h), dr);
                        break;
                    case MergeMode.Ave: TensorPrimitives.Multiply(d, (Real)0.5f, df); TensorPrimitives.Multiply(d, (Real)0.5f, dr); break;
                }
            }
        var dxf = ForwardLayer.Backward(forwardGradient)!;
        var dxb = BackwardLayer.Backward(backwardGradient)!;
        inputGradient.Reshape(dxf.Shape);
        TensorPrimitives.Add(dxf.Span, dxb.Span, inputGradient.Span);
        return inputGradient;
    }

    internal override Tensor? OutputMask(Tensor input, Tensor? inputMask) => Layer.ReturnSequences ? inputMask : null;

    internal override Layer CloneConfiguration() => new Bidirectional(Layer.CloneWith(Layer.GoBackwards), MergeMode, Name);
}
