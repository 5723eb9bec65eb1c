using System.Text.Json.Nodes;
using Sequor.Layers;

namespace Sequor.Formats;

/// <summary>
/// Initializers as Keras serializes them, each with the arguments it carries.
/// </summary>
internal static class KerasInitializers
{
    internal static Initializer Uniform(double min, double max) =>
        min == -0.05 && max == 0.05 ? Initializer.RandomUniform : Initializer.Uniform(min, max);

    /// <summary>The Keras class name and arguments of <paramref name="initializer"/>.</summary>
    internal static (string ClassName, JsonObject Config) Describe(Initializer initializer) => initializer.Name switch
    {
        "zeros" => ("Zeros", new JsonObject()),
        "ones" => ("Ones", new JsonObject()),
        "glorot_uniform" => ("GlorotUniform", new JsonObject { ["seed"] = null }),
        // "Orthogonal" is an exported name in every Keras 2 and 3 release (3.0–3.6 also call the class OrthogonalInitializer).
        "orthogonal" => ("Orthogonal", new JsonObject { ["gain"] = JsonFloat.Of(1.0), ["seed"] = null }),
        "random_uniform" => ("RandomUniform", new JsonObject { ["minval"] = JsonFloat.Of(initializer.Minval), ["maxval"] = JsonFloat.Of(initializer.Maxval), ["seed"] = null }),
        var other => throw new SequorException($"initializer '{other}' has no Keras equivalent that Sequor can write"),
    };
}
