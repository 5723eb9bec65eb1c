using System.Numerics.Tensors;
using Sequor.Layers;

namespace Sequor.Training;

/// <summary>
/// Keras 3's optimizer pipeline for one step: clip the batch gradients (clipnorm, clipvalue or
/// global_clipnorm — at most one, as Keras 3 requires), then each variable's update rule, then
/// <c>iterations += 1</c>. State (moments) is created on the first step, in model weight order.
/// </summary>
public abstract class Optimizer
{
    private IReadOnlyList<Weight>? variables;

    private protected Optimizer(Real learningRate, Real? clipnorm, Real? clipvalue, Real? globalClipnorm)
    {
        if (!(learningRate >= 0)) throw new SequorException($"{GetType().Name}: learningRate must be non-negative, got {learningRate}");
        int clips = (clipnorm.HasValue ? 1 : 0) + (clipvalue.HasValue ? 1 : 0) + (globalClipnorm.HasValue ? 1 : 0);
        if (clips > 1) throw new SequorException($"{GetType().Name}: set at most one of clipnorm, clipvalue and globalClipnorm (Keras 3 rejects combinations)");
        foreach (var (name, value) in new[] { ("clipnorm", clipnorm), ("clipvalue", clipvalue), ("globalClipnorm", globalClipnorm) })
            if (value is { } v && !(v > 0)) throw new SequorException($"{GetType().Name}: {name} must be positive, got {v}");
        LearningRate = learningRate;
        Clipnorm = clipnorm;
        Clipvalue = clipvalue;
        GlobalClipnorm = globalClipnorm;
    }

    /// <summary>The learning rate; may be changed between steps (ReduceLROnPlateau does).</summary>
    public Real LearningRate { get; set; }

    public Real? Clipnorm { get; }
    public Real? Clipvalue { get; }
    public Real? GlobalClipnorm { get; }

    /// <summary>Steps taken (Keras's <c>iterations</c>).</summary>
    public long Iterations { get; internal set; }

    /// <summary>Keras's config name (<c>rmsprop</c>, <c>adam</c>, <c>SGD</c>).</summary>
    public abstract string Name { get; }

    /// <summary>The variables this optimizer updates, known after its first step (or <see cref="Build"/>).</summary>
    internal IReadOnlyList<Weight>? Variables => variables;

    /// <summary>Creates the state for these trainable variables.</summary>
    internal void Build(IReadOnlyList<Weight> trainable)
    {
        if (variables is not null) return;
        variables = trainable;
        BuildState(trainable.Select(w => w.Value.Length).ToArray());
    }

    private protected abstract void BuildState(int[] sizes);

    /// <summary>One step: clip, update every variable from its gradient, count the step.</summary>
    internal void Apply(IReadOnlyList<Weight> trainable)
    {
        Build(trainable);
        Clip(trainable);
        for (int i = 0; i < trainable.Count; i++)
            Update(i, trainable[i].Value.Span, trainable[i].Gradient.Span, 0);
        Iterations++;
    }

    /// <summary>Whether a step may be applied in parts (no clipping, which needs every gradient first).</summary>
    internal bool AppliesInParts => Clipnorm is null && Clipvalue is null && GlobalClipnorm is null;

    /// <summary>
    /// Part <paramref name="part"/> of <paramref name="parts"/> of one step: the same element-wise rule on that
    /// share of every variable (<see cref="PartOf"/>), so parts run on different threads give <see cref="Apply"/>'s
    /// bits. <see cref="Build"/> first; <see cref="EndStep"/> once all parts are done.
    /// </summary>
    internal void ApplyPart(IReadOnlyList<Weight> trainable, int part, int parts)
    {
        for (int i = 0; i < trainable.Count; i++)
        {
            var (start, length) = PartOf(trainable[i].Value.Length, part, parts);
            Update(i, trainable[i].Value.Span.Slice(start, length), trainable[i].Gradient.Span.Slice(start, length), start);
        }
    }

    internal void EndStep() => Iterations++;

    /// <summary>The elements [Start, Start + Length) of a tensor of <paramref name="count"/> that part p of n covers.</summary>
    internal static (int Start, int Length) PartOf(int count, int part, int parts)
    {
        int start = (int)((long)count * part / parts), end = (int)((long)count * (part + 1) / parts);
        return (start, end - start);
    }

    /// <summary>
    /// The update rule (gradient already clipped) for elements [offset, offset + length) of variable
    /// <paramref name="index"/>; its optimizer state is read at the same offset.
    /// </summary>
    private protected abstract void Update(int index, Span<Real> variable, ReadOnlySpan<Real> gradient, int offset);

    /// <summary>The state tensors in Keras 3's <c>optimizer.variables</c> order after iteration and learning rate.</summary>
    internal abstract IReadOnlyList<Real[]> State { get; }

    /// <summary>
    /// Sets the step count and the state (in <see cref="State"/>'s order and sizes) of a built optimizer, as a
    /// saved file held them, so that training resumes where it stopped.
    /// </summary>
    internal void RestoreState(long iterations, IReadOnlyList<Real[]> state)
    {
        if (variables is null) throw new InvalidOperationException("RestoreState needs a built optimizer");
        if (iterations < 0) throw new SequorException($"{GetType().Name}: the step count must be non-negative, got {iterations}");
        var own = State;
        if (state.Count != own.Count) throw new SequorException($"{GetType().Name} has {own.Count} state tensors, {state.Count} were given");
        for (int i = 0; i < own.Count; i++)
            if (state[i].Length != own[i].Length)
                throw new SequorException($"{GetType().Name} state tensor {i} has {own[i].Length} values, {state[i].Length} were given");
        for (int i = 0; i < own.Count; i++) state[i].CopyTo(own[i], 0);
        Iterations = iterations;
    }

    private void Clip(IReadOnlyList<Weight> trainable)
    {
        if (Clipvalue is { } c)
            foreach (var w in trainable) TensorPrimitives.Clamp(w.Gradient.Span, -c, c, w.Gradient.Span);
        if (Clipnorm is { } n)
            foreach (var w in trainable) Scale(w.Gradient.Span, n, Norm(w.Gradient.Span));
        if (GlobalClipnorm is { } g)
        {
            double sum = 0;
            foreach (var w in trainable) { double norm = Norm(w.Gradient.Span); sum += norm * norm; }
            double global = Math.Sqrt(sum);
            foreach (var w in trainable) Scale(w.Gradient.Span, g, global);
        }
    }

    private static double Norm(ReadOnlySpan<Real> g)
    {
        double sum = 0;
        foreach (var v in g) sum += (double)v * v;
        return Math.Sqrt(sum);
    }

    // g ← g · c / max(‖g‖, c): unchanged when the norm is within c.
    private static void Scale(Span<Real> g, double c, double norm)
    {
        if (double.IsNaN(norm)) { g.Fill(Real.NaN); return; }
        if (norm <= c) return;
        TensorPrimitives.Multiply(g, (Real)(c / norm), g);
    }

    /// <summary>An optimizer by Keras's name with its defaults (and the given learning rate).</summary>
    public static Optimizer FromName(string name, Real? learningRate = null) => name.ToLowerInvariant() switch
    {
        "rmsprop" => new RMSprop(learningRate ?? 0.001f),
        "adam" => new Adam(learningRate ?? 0.001f),
        "sgd" => new SGD(learningRate ?? 0.01f),
        _ => throw new SequorException($"unknown optimizer '{name}' (Sequor has rmsprop, adam, sgd)"),
    };
}
