using Sequor.Formats.Specs;
using Sequor.Layers;

namespace Sequor.Formats;

/// <summary>
/// The number of weights a model will have for an input shape, computed from the layer configurations
/// alone (Keras's formulas) so that a file's claims can be checked before any weight is allocated.
/// </summary>
internal static class ParameterCount
{
    internal static long Of(Sequential model, int[] inputShape)
    {
        long total = 0;
        long[] shape = inputShape.Select(d => (long)d).ToArray();
        foreach (var layer in model.Layers)
        {
            if (LayerSpecs.Find(layer) is { } spec) total += spec.ParameterCount(layer, ref shape);
            if (total < 0 || total > 1L << 40) return long.MaxValue;
        }
        return total;
    }
}
