namespace Sequor;

/// <summary>
/// The most one tensor may take: an eighth of the memory this process may use (the machine's, or its container's
/// limit, as the GC sees it). Sizes come from files, flags and configs (an Embedding of <c>--num-words 1e8</c>, a
/// <c>batch_shape</c> of 2,000,000 steps, ten million rows to predict); a model also needs gradients and optimizer
/// slots of each weight's size, so one buffer past this bound means the whole would not fit, and a one-line error
/// before allocating beats an OutOfMemoryException after.
/// </summary>
internal static class AllocationLimit
{
    internal static readonly long AvailableBytes = Math.Max(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, 1L << 30);

    internal static readonly long MaxTensorBytes = AvailableBytes / 8;

    internal static void Check(long elements, ReadOnlySpan<int> shape)
    {
        long bytes = elements * System.Runtime.CompilerServices.Unsafe.SizeOf<Real>();
        if (bytes > MaxTensorBytes)
            throw new SequorException($"Tensor: shape {Tensor.Format(shape)} needs {Gigabytes(bytes)}; one tensor may take at most {Gigabytes(MaxTensorBytes)} (an eighth of the {Gigabytes(AvailableBytes)} this process may use)");
    }

    private static string Gigabytes(long bytes) => (bytes / 1e9).ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + " GB";
}
