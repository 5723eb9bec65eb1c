namespace Sequor.Layers;

/// <summary>
/// Keras's weight initializers, by their config names. Fans for a 2-D shape (a, b): fan_in = a,
/// fan_out = b; 1-D (n,): both n. The random values cannot equal TensorFlow's or JAX's (their generators
/// differ); the distributions are the same.
/// <list type="bullet">
/// <item><c>glorot_uniform</c>: U(−L, L), L = √(6 / (fan_in + fan_out)), over the whole fused matrix</item>
/// <item><c>orthogonal</c>: Q of the QR of a normal matrix, signs fixed by diag(R); rows orthonormal when rows &lt; cols</item>
/// <item><c>random_uniform</c>: U(minval, maxval), Keras default (−0.05, 0.05)</item>
/// <item><c>zeros</c>, <c>ones</c></item>
/// </list>
/// </summary>
public sealed class Initializer
{
    private readonly Action<Span<Real>, int[], RandomGenerator> fill;

    private Initializer(string name, Action<Span<Real>, int[], RandomGenerator> fill)
    {
        Name = name;
        this.fill = fill;
    }

    public string Name { get; }

    /// <summary><c>random_uniform</c>'s range, which a Keras file records as <c>minval</c>/<c>maxval</c>; 0 for the others.</summary>
    public double Minval { get; private init; }

    public double Maxval { get; private init; }

    public static readonly Initializer Zeros = new("zeros", (v, _, _) => v.Clear());
    public static readonly Initializer Ones = new("ones", (v, _, _) => v.Fill(1));
    public static readonly Initializer GlorotUniform = new("glorot_uniform", FillGlorotUniform);
    public static readonly Initializer Orthogonal = new("orthogonal", FillOrthogonal);

    /// <summary>Keras's <c>uniform</c> default: U(−0.05, 0.05).</summary>
    public static readonly Initializer RandomUniform = Uniform(-0.05, 0.05);

    public static Initializer Uniform(double minval, double maxval) => new("random_uniform", (v, _, rng) =>
    {
        for (int i = 0; i < v.Length; i++) v[i] = (Real)(minval + (maxval - minval) * rng.NextDouble());
    }) { Minval = minval, Maxval = maxval };

    public static Initializer FromName(string name) => name switch
    {
        "zeros" or "Zeros" => Zeros,
        "ones" or "Ones" => Ones,
        "glorot_uniform" or "GlorotUniform" => GlorotUniform,
        "orthogonal" or "Orthogonal" => Orthogonal,
        "uniform" or "random_uniform" or "RandomUniform" => RandomUniform,
        _ => throw new SequorException($"unknown initializer '{name}' (Sequor has zeros, ones, glorot_uniform, orthogonal, random_uniform)"),
    };

    internal void Fill(Tensor tensor, RandomGenerator rng) => fill(tensor.Span, tensor.Shape.ToArray(), rng);

    private static (int FanIn, int FanOut) Fans(int[] shape) => shape.Length switch
    {
        1 => (shape[0], shape[0]),
        2 => (shape[0], shape[1]),
        _ => (shape[^2] * Receptive(shape), shape[^1] * Receptive(shape)),
    };

    private static int Receptive(int[] shape)
    {
        int r = 1;
        for (int i = 0; i < shape.Length - 2; i++) r *= shape[i];
        return r;
    }

    private static void FillGlorotUniform(Span<Real> v, int[] shape, RandomGenerator rng)
    {
        var (fanIn, fanOut) = Fans(shape);
        double limit = Math.Sqrt(6.0 / Math.Max(1.0, fanIn + fanOut));
        for (int i = 0; i < v.Length; i++) v[i] = (Real)((2 * rng.NextDouble() - 1) * limit);
    }

    // Modified Gram–Schmidt QR of a (max × min) normal matrix; column j of Q times sign(R[j, j]).
    private static void FillOrthogonal(Span<Real> v, int[] shape, RandomGenerator rng)
    {
        int cols = shape[^1];
        int rows = v.Length / Math.Max(1, cols);
        int tall = Math.Max(rows, cols), narrow = Math.Min(rows, cols);
        var q = new double[tall, narrow];
        for (int i = 0; i < tall; i++)
            for (int j = 0; j < narrow; j++) q[i, j] = rng.NextGaussian();
        for (int j = 0; j < narrow; j++)
        {
            for (int p = 0; p < j; p++)
            {
                double dot = 0;
                for (int i = 0; i < tall; i++) dot += q[i, p] * q[i, j];
                for (int i = 0; i < tall; i++) q[i, j] -= dot * q[i, p];
            }
            double norm = 0;
            for (int i = 0; i < tall; i++) norm += q[i, j] * q[i, j];
            norm = Math.Sqrt(norm);
            // R[j, j] = norm > 0, so the sign fix is the identity; a zero column cannot occur in practice.
            for (int i = 0; i < tall; i++) q[i, j] /= norm;
        }
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                v[r * cols + c] = (Real)(rows < cols ? q[c, r] : q[r, c]);
    }
}
