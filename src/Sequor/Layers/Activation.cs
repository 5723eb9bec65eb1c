namespace Sequor.Layers;

/// <summary>
/// An activation function as Keras names it. Every derivative is expressed through the output y, so
/// layers keep only their outputs for the backward pass.
/// <list type="bullet">
/// <item><c>linear</c>: y = x</item>
/// <item><c>relu</c>: y = max(x, 0)</item>
/// <item><c>sigmoid</c>: y = 1 / (1 + e^−x)</item>
/// <item><c>hard_sigmoid</c>: Keras 3 y = clip(x/6 + 1/2, 0, 1); Keras 2 y = clip(0.2·x + 1/2, 0, 1)</item>
/// <item><c>tanh</c>: y = tanh x</item>
/// <item><c>softmax</c>: y = e^x / Σ e^x along the last axis</item>
/// </list>
/// </summary>
public sealed class Activation
{
    private enum Kind { Linear, Relu, Sigmoid, HardSigmoid, Tanh, Softmax }

    private readonly Kind kind;
    private readonly Real hardSlope;

    private Activation(string name, Kind kind, Real hardSlope = 0)
    {
        Name = name;
        this.kind = kind;
        this.hardSlope = hardSlope;
    }

    public static readonly Activation Linear = new("linear", Kind.Linear);
    public static readonly Activation Relu = new("relu", Kind.Relu);
    public static readonly Activation Sigmoid = new("sigmoid", Kind.Sigmoid);
    public static readonly Activation Tanh = new("tanh", Kind.Tanh);
    public static readonly Activation Softmax = new("softmax", Kind.Softmax);

    /// <summary>Keras 3's <c>hard_sigmoid</c>: clip(x/6 + 0.5, 0, 1).</summary>
    public static readonly Activation HardSigmoid = new("hard_sigmoid", Kind.HardSigmoid, 1f / 6);

    /// <summary>Keras 2's (and standalone Keras's) <c>hard_sigmoid</c>: clip(0.2·x + 0.5, 0, 1).</summary>
    public static readonly Activation HardSigmoidKeras2 = new("hard_sigmoid", Kind.HardSigmoid, 0.2f);

    /// <summary>The Keras name, as in a model config.</summary>
    public string Name { get; }

    /// <summary>True for every activation but softmax, which couples the values of a row.</summary>
    public bool IsElementwise => kind != Kind.Softmax;

    internal bool IsKeras2HardSigmoid => kind == Kind.HardSigmoid && hardSlope != 1f / 6;

    /// <summary>
    /// The activation named as in a Keras config. <paramref name="keras2"/> selects Keras 2's
    /// hard_sigmoid formula (files saved by Keras 2 and older).
    /// </summary>
    public static Activation FromName(string? name, bool keras2 = false) => name switch
    {
        null or "linear" or "None" => Linear,
        "relu" => Relu,
        "sigmoid" => Sigmoid,
        "tanh" => Tanh,
        "softmax" => Softmax,
        "hard_sigmoid" => keras2 ? HardSigmoidKeras2 : HardSigmoid,
        _ => throw new SequorException($"unknown activation '{name}' (Sequor has linear, relu, sigmoid, hard_sigmoid, tanh, softmax)"),
    };

    /// <summary>y = f(x); <paramref name="width"/> is the last axis (used by softmax).</summary>
    internal void Forward(ReadOnlySpan<Real> x, Span<Real> y, int width)
    {
        switch (kind)
        {
            case Kind.Linear: x.CopyTo(y); break;
            case Kind.Relu: System.Numerics.Tensors.TensorPrimitives.Max(x, (Real)0, y); break;
            case Kind.Sigmoid: Kernels.Sigmoid(x, y); break;
            case Kind.Tanh: Kernels.Tanh(x, y); break;
            case Kind.Softmax: Kernels.Softmax(x, y, width); break;
            case Kind.HardSigmoid:
                for (int i = 0; i < x.Length; i++) y[i] = Real.Clamp(hardSlope * x[i] + 0.5f, 0, 1);
                break;
        }
    }

    /// <summary>dx = dy · f′(x), computed from y = f(x). dx may alias dy.</summary>
    internal void Backward(ReadOnlySpan<Real> y, ReadOnlySpan<Real> dy, Span<Real> dx, int width)
    {
        switch (kind)
        {
            case Kind.Linear: dy.CopyTo(dx); break;
            case Kind.Relu:
                for (int i = 0; i < y.Length; i++) dx[i] = y[i] > 0 ? dy[i] : 0;
                break;
            case Kind.Sigmoid: Kernels.SigmoidBackward(y, dy, dx); break;
            case Kind.Tanh: Kernels.TanhBackward(y, dy, dx); break;
            case Kind.HardSigmoid:
                for (int i = 0; i < y.Length; i++) dx[i] = y[i] > 0 && y[i] < 1 ? dy[i] * hardSlope : 0;
                break;
            case Kind.Softmax:
                for (int row = 0; row < y.Length; row += width)
                {
                    Real dot = 0;
                    for (int j = 0; j < width; j++) dot += dy[row + j] * y[row + j];
                    for (int j = 0; j < width; j++) dx[row + j] = y[row + j] * (dy[row + j] - dot);
                }
                break;
        }
    }

    /// <summary>Derivative from the output for a single element-wise value: f′ = g(y).</summary>
    internal Real Derivative(Real y) => kind switch
    {
        Kind.Linear => 1,
        Kind.Relu => y > 0 ? 1 : 0,
        Kind.Sigmoid => y * (1 - y),
        Kind.Tanh => 1 - y * y,
        Kind.HardSigmoid => y > 0 && y < 1 ? hardSlope : 0,
        _ => throw new InvalidOperationException("softmax has no element-wise derivative"),
    };

    public override string ToString() => Name;
}
