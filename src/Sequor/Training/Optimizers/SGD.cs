namespace Sequor.Training;

/// <summary>
/// Keras's SGD:
/// <code>
/// momentum = 0: w ← w − lr·g
/// momentum &gt; 0: m ← momentum·m − lr·g;  nesterov: w ← w + momentum·m − lr·g   else w ← w + m
/// </code>
/// </summary>
public sealed class SGD : Optimizer
{
    private Real[][] momentums = [];

    public SGD(Real learningRate = 0.01f, Real momentum = 0, bool nesterov = false,
        Real? clipnorm = null, Real? clipvalue = null, Real? globalClipnorm = null)
        : base(learningRate, clipnorm, clipvalue, globalClipnorm)
    {
        if (!(momentum >= 0 && momentum <= 1)) throw new SequorException($"SGD: momentum must be in [0, 1], got {momentum}");
        Momentum = momentum;
        Nesterov = nesterov;
    }

    public Real Momentum { get; }
    public bool Nesterov { get; }

    public override string Name => "SGD";

    private protected override void BuildState(int[] sizes) =>
        momentums = Momentum != 0 ? sizes.Select(n => new Real[n]).ToArray() : [];

    internal override IReadOnlyList<Real[]> State => momentums;

    private protected override void Update(int index, Span<Real> w, ReadOnlySpan<Real> g, int offset)
    {
        Real lr = LearningRate;
        if (Momentum == 0)
        {
            for (int i = 0; i < w.Length; i++) w[i] -= lr * g[i];
            return;
        }
        var m = momentums[index].AsSpan(offset, w.Length);
        for (int i = 0; i < w.Length; i++)
        {
            m[i] = Momentum * m[i] - lr * g[i];
            w[i] += Nesterov ? Momentum * m[i] - lr * g[i] : m[i];
        }
    }
}
