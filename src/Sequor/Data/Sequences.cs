namespace Sequor.Data;

/// <summary>Where <see cref="Sequences.Pad"/> puts the padding: Keras's <c>padding="pre"</c> or <c>"post"</c>.</summary>
public enum Padding { Pre, Post }

/// <summary>Which end <see cref="Sequences.Pad"/> cuts from a long sequence: Keras's <c>truncating="pre"</c> or <c>"post"</c>.</summary>
public enum Truncating { Pre, Post }

/// <summary>Keras's sequence utilities: <c>pad_sequences</c> and <c>to_categorical</c>.</summary>
public static class Sequences
{
    /// <summary>
    /// <c>keras.utils.pad_sequences</c> (int32): every row gets length <paramref name="maxlen"/> (default: the
    /// longest sequence). <see cref="Truncating.Pre"/> keeps the last <c>maxlen</c> items,
    /// <see cref="Truncating.Post"/> the first; <see cref="Padding.Pre"/> fills with <paramref name="value"/>
    /// in front, <see cref="Padding.Post"/> behind. Empty sequences become all <paramref name="value"/>.
    /// </summary>
    public static int[][] Pad(IReadOnlyList<int[]> sequences, int? maxlen = null, Padding padding = Padding.Pre,
        Truncating truncating = Truncating.Pre, int value = 0)
    {
        int length = Length(sequences, maxlen);
        var result = new int[sequences.Count][];
        for (int i = 0; i < sequences.Count; i++)
        {
            var row = new int[length];
            if (value != 0) Array.Fill(row, value);
            Place(sequences[i], row, padding, truncating);
            result[i] = row;
        }
        return result;
    }

    /// <summary><see cref="Pad"/> into a <c>[count, maxlen]</c> tensor of ids, ready for an Embedding layer.</summary>
    public static Tensor PadToTensor(IReadOnlyList<int[]> sequences, int? maxlen = null, Padding padding = Padding.Pre,
        Truncating truncating = Truncating.Pre, int value = 0)
    {
        int length = Length(sequences, maxlen);
        var t = new Tensor(sequences.Count, length);
        var row = new int[length];
        var span = t.Span;
        for (int i = 0; i < sequences.Count; i++)
        {
            Array.Fill(row, value);
            Place(sequences[i], row, padding, truncating);
            for (int j = 0; j < length; j++) span[i * length + j] = row[j];
        }
        return t;
    }

    private static int Length(IReadOnlyList<int[]> sequences, int? maxlen)
    {
        if (maxlen is < 0) throw new SequorException($"Sequences.Pad: maxlen {maxlen} should not be negative");
        int longest = 0;
        for (int i = 0; i < sequences.Count; i++)
            longest = Math.Max(longest, (sequences[i] ?? throw new SequorException($"Sequences.Pad: sequence {i} is null")).Length);
        return maxlen ?? longest;
    }

    private static void Place(int[] s, int[] row, Padding padding, Truncating truncating)
    {
        int n = Math.Min(s.Length, row.Length);
        var kept = truncating == Truncating.Pre ? s.AsSpan(s.Length - n, n) : s.AsSpan(0, n);
        kept.CopyTo(padding == Padding.Pre ? row.AsSpan(row.Length - n) : row.AsSpan(0, n));
    }

    /// <summary>
    /// <c>keras.utils.to_categorical</c>: a <c>[count, numClasses]</c> one-hot tensor (default
    /// <c>numClasses</c>: the largest label + 1). A negative label counts from the end as numpy indexing does.
    /// </summary>
    public static Tensor ToCategorical(IReadOnlyList<int> labels, int? numClasses = null)
    {
        int classes = numClasses ?? (labels.Count == 0 ? 0 : labels.Max() + 1);
        if (classes <= 0 && labels.Count > 0)
            throw new SequorException($"Sequences.ToCategorical: numClasses {classes} should be positive");
        var t = new Tensor(labels.Count, classes);
        for (int i = 0; i < labels.Count; i++)
        {
            int c = labels[i] < 0 ? labels[i] + classes : labels[i];
            if (c < 0 || c >= classes)
                throw new SequorException($"Sequences.ToCategorical: label {labels[i]} at row {i} is outside 0..{classes - 1}");
            t[i, c] = 1;
        }
        return t;
    }
}
