using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Sequor.Layers;

namespace Sequor.Formats;

/// <summary>
/// Initializers as Keras serializes them. <see cref="Initializer"/> keeps only a name, so the range of a
/// non-default RandomUniform read from a file is remembered here to write it back unchanged.
/// </summary>
internal static class KerasInitializers
{
    private static readonly ConditionalWeakTable<Initializer, Tuple<double, double>> UniformRanges = new();

    internal static Initializer Uniform(double min, double max)
    {
        if (min == -0.05 && max == 0.05) return Initializer.RandomUniform;
        var initializer = Initializer.Uniform(min, max);
        UniformRanges.AddOrUpdate(initializer, Tuple.Create(min, max));
        return initializer;
    }

    /// <summary>The Keras class name and arguments of <paramref name="initializer"/>.</summary>
    internal static (string ClassName, JsonObject Config) Describe(Initializer initializer) => initializer.Name switch
    {
        "zeros" => ("Zeros", new JsonObject()),
        "ones" => ("Ones", new JsonObject()),
        "glorot_uniform" => ("GlorotUniform", new JsonObject { ["seed"] = null }),
        // "Orthogonal" is an exported name in every Keras 2 and 3 release (3.0–3.6 also call the class OrthogonalInitializer).
        "orthogonal" => ("Orthogonal", new JsonObject { ["gain"] = JsonFloat.Of(1.0), ["seed"] = null }),
        "random_uniform" => UniformRanges.TryGetValue(initializer, out var range)
            ? ("RandomUniform", new JsonObject { ["minval"] = JsonFloat.Of(range.Item1), ["maxval"] = JsonFloat.Of(range.Item2), ["seed"] = null })
            : ("RandomUniform", new JsonObject { ["minval"] = JsonFloat.Of(-0.05), ["maxval"] = JsonFloat.Of(0.05), ["seed"] = null }),
        var other => throw new SequorException($"initializer '{other}' has no Keras equivalent that Sequor can write"),
    };
}
