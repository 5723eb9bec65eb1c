namespace Sequor.Layers;

/// <summary>
/// Keras <c>Dropout(rate)</c>: inverted dropout, active only in training.
/// <code>
/// y = x ⊙ m,   m = 0 with probability rate, else 1/(1 − rate), a new m every batch     ∂x = ∂y ⊙ m
/// </code>
/// Shapes: any → the same. No weights.
/// </summary>
public sealed class Dropout : Layer
{
    private readonly Tensor output = new(0);
    private readonly Tensor keep = new(0);
    private readonly Tensor inputGradient = new(0);
    private bool dropped;

    public Dropout(Real rate, string? name = null) : base(name)
    {
        if (!(rate >= 0 && rate <= 1)) throw new SequorException($"Dropout: rate must be in [0, 1], got {rate}");
        Rate = rate;
    }

    public Real Rate { get; }

    public override string ClassName => "Dropout";

    private protected override int[] BuildCore(int[] inputShape, RandomGenerator random) => inputShape.ToArray();

    internal override Tensor Forward(Tensor input, Tensor? mask, bool training)
    {
        dropped = training && Rate > 0;
        if (!dropped) return input;
        output.Reshape(input.Shape);
        keep.Reshape(input.Shape);
        if (Rate >= 1) keep.Span.Clear();
        else SampleDropoutMask(keep.Span, Rate, Random);
        System.Numerics.Tensors.TensorPrimitives.Multiply(input.Span, keep.Span, output.Span);
        return output;
    }

    internal override Tensor? Backward(Tensor outputGradient)
    {
        if (!dropped) return outputGradient;
        inputGradient.Reshape(outputGradient.Shape);
        System.Numerics.Tensors.TensorPrimitives.Multiply(outputGradient.Span, keep.Span, inputGradient.Span);
        return inputGradient;
    }

    internal override Layer CloneConfiguration() => new Dropout(Rate, Name);
}
