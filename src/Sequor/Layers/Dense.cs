namespace Sequor.Layers;

/// <summary>
/// Keras <c>Dense(units, activation)</c> on the last axis.
/// <code>
/// y = f(x·W + b)        ∂z = f′ ⊙ ∂y      ∂W = xᵀ·∂z     ∂b = Σ_rows ∂z     ∂x = ∂z·Wᵀ
/// </code>
/// Shapes: [B, …, F] → [B, …, U]; all leading axes are rows. Weights <c>kernel</c> [F, U]
/// (glorot_uniform), <c>bias</c> [U] (zeros).
/// </summary>
public sealed class Dense : Layer
{
    private Weight kernel = null!;
    private Weight? bias;
    private int inputWidth;
    private readonly Tensor output = new(0, 0);
    private readonly Tensor logits = new(0, 0);
    private readonly Tensor preActivationGradient = new(0, 0);
    private readonly Tensor inputGradient = new(0, 0);
    private Tensor? input;

    public Dense(int units, Activation? activation = null, bool useBias = true, string? name = null) : base(name)
    {
        if (units <= 0) throw new SequorException($"Dense: units must be positive, got {units}");
        Units = units;
        Activation = activation ?? Activation.Linear;
        UseBias = useBias;
    }

    public int Units { get; }
    public Activation Activation { get; }
    public bool UseBias { get; }
    public Initializer KernelInitializer { get; init; } = Initializer.GlorotUniform;
    public Initializer BiasInitializer { get; init; } = Initializer.Zeros;

    /// <summary>
    /// Set when the loss works on this layer's pre-activation (sigmoid + binary cross-entropy, softmax +
    /// categorical): <see cref="Logits"/> keeps z, and Backward receives ∂loss/∂z instead of ∂loss/∂y.
    /// </summary>
    internal bool FuseLossGradient { get; set; }

    /// <summary>z = x·W + b of the last Forward, kept when <see cref="FuseLossGradient"/> is set.</summary>
    internal Tensor Logits => logits;

    public override string ClassName => "Dense";

    private protected override int[] BuildCore(int[] inputShape, RandomGenerator random)
    {
        if (inputShape.Length < 1) throw ShapeError(inputShape, "(None, …, features)");
        inputWidth = inputShape[^1];
        kernel = AddWeight("kernel", [inputWidth, Units], KernelInitializer, random);
        if (UseBias) bias = AddWeight("bias", [Units], BiasInitializer, random);
        var output = inputShape.ToArray();
        output[^1] = Units;
        return output;
    }

    internal override Tensor Forward(Tensor input, Tensor? mask, bool training)
    {
        int rows = input.Length / inputWidth;
        Span<int> shape = stackalloc int[input.Rank];
        input.Shape.CopyTo(shape);
        shape[^1] = Units;
        output.Reshape(shape);
        var y = output.Span;
        Gemm.Multiply(false, false, rows, Units, inputWidth, input.Span, inputWidth, kernel.Value.Span, Units, y, Units, false);
        if (bias is not null)
            for (int r = 0; r < rows; r++)
                System.Numerics.Tensors.TensorPrimitives.Add(y.Slice(r * Units, Units), bias.Value.Span, y.Slice(r * Units, Units));
        if (FuseLossGradient)
        {
            logits.Reshape(shape);
            y.CopyTo(logits.Span);
        }
        Activation.Forward(y, y, Units);
        this.input = input;
        return output;
    }

    internal override Tensor? Backward(Tensor outputGradient)
    {
        var x = input!;
        int rows = x.Length / inputWidth;
        var dz = preActivationGradient.Reshape(rows, Units).Span;
        if (FuseLossGradient) outputGradient.Span.CopyTo(dz);
        else Activation.Backward(output.Span, outputGradient.Span, dz, Units);
        Gemm.Multiply(true, false, inputWidth, Units, rows, x.Span, inputWidth, dz, Units, kernel.Gradient.Span, Units, false);
        if (bias is not null)
        {
            var db = bias.Gradient.Span;
            db.Clear();
            for (int r = 0; r < rows; r++)
                System.Numerics.Tensors.TensorPrimitives.Add(db, dz.Slice(r * Units, Units), db);
        }
        inputGradient.Reshape(x.Shape);
        Gemm.Multiply(false, true, rows, inputWidth, Units, dz, Units, kernel.Value.Span, Units, inputGradient.Span, inputWidth, false);
        return inputGradient;
    }

    internal override Layer CloneConfiguration() =>
        new Dense(Units, Activation, UseBias, Name)
        {
            KernelInitializer = KernelInitializer, BiasInitializer = BiasInitializer, FuseLossGradient = FuseLossGradient,
        };
}
