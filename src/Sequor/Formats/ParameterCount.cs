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
            long features = shape.Length > 0 ? shape[^1] : 0;
            switch (layer)
            {
                case Embedding e:
                    total += (long)e.InputDim * e.OutputDim;
                    shape = [.. shape, e.OutputDim];
                    break;
                case Dense d:
                    total += features * d.Units + (d.UseBias ? d.Units : 0);
                    shape[^1] = d.Units;
                    break;
                case Recurrent r:
                    total += Recurrent(r, features);
                    shape = r.ReturnSequences && shape.Length > 0 ? [shape[0], r.Units] : [r.Units];
                    break;
                case Bidirectional b:
                    total += 2 * Recurrent(b.Layer, features);
                    long width = b.MergeMode == MergeMode.Concat ? 2L * b.Layer.Units : b.Layer.Units;
                    shape = b.Layer.ReturnSequences && shape.Length > 0 ? [shape[0], width] : [width];
                    break;
            }
            if (total < 0 || total > 1L << 40) return long.MaxValue;
        }
        return total;
    }

    private static long Recurrent(Recurrent r, long features)
    {
        long h = r.Units;
        int gates = r switch { LSTM => 4, GRU => 3, _ => 1 };
        long biases = !r.UseBias ? 0 : r is GRU { ResetAfter: true } ? 2 * gates * h : gates * h;
        return gates * h * (features + h) + biases;
    }
}
