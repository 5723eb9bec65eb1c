using Sequor.Data;
using Sequor.Training;

namespace Sequor;

/// <summary>
/// Fit, Evaluate and Predict on what <c>Imdb.LoadData</c> and <c>TextVectorizer.TransformEach</c> give: sequences of
/// token ids of any length and integer labels, as a Keras user passes lists and numpy arrays without building
/// tensors. Each sequence is padded and cut at the front to the model's length (<c>pad_sequences(maxlen)</c> with
/// Keras's defaults); a model not yet built takes the longest sequence's length, as <c>pad_sequences</c> without maxlen.
/// </summary>
public sealed partial class Sequential
{
    /// <summary><see cref="Fit(Tensor, Tensor, int, int, int, ValueTuple{Tensor, Tensor}?, double, bool, int, IEnumerable{ICallback}?, TextWriter?, CancellationToken)"/> on id sequences and integer labels.</summary>
    public History Fit(int[][] x, int[] y, int epochs = 1, int batchSize = 32, int verbose = 1,
        (int[][] X, int[] Y)? validationData = null, double validationSplit = 0, bool shuffle = true, int initialEpoch = 0,
        IEnumerable<ICallback>? callbacks = null, TextWriter? output = null, CancellationToken cancellationToken = default)
    {
        var input = SequenceTensor(x, "Fit");
        (Tensor, Tensor)? validation = validationData is { } v ? (SequenceTensor(v.X, "Fit (validation data)"), LabelTensor(v.Y)) : null;
        return Fit(input, LabelTensor(y), epochs, batchSize, verbose, validation, validationSplit, shuffle, initialEpoch, callbacks, output, cancellationToken);
    }

    /// <summary><see cref="Evaluate(Tensor, Tensor, int)"/> on id sequences and integer labels.</summary>
    public EvaluationResult Evaluate(int[][] x, int[] y, int batchSize = 32) =>
        Evaluate(SequenceTensor(x, "Evaluate"), LabelTensor(y), batchSize);

    /// <summary><see cref="Predict(Tensor, int)"/> on id sequences: one output row per sequence, in order.</summary>
    public Tensor Predict(int[][] x, int batchSize = 32) => Predict(SequenceTensor(x, "Predict"), batchSize);

    private Tensor SequenceTensor(int[][] sequences, string operation)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Length == 0) throw new SequorException($"{operation}: no sequences were given");
        for (int i = 0; i < sequences.Length; i++)
            if (sequences[i] is null) throw new SequorException($"{operation}: sequence {i} is null");
        int? maxlen = IsBuilt ? InputShape[0] : null;
        return Sequences.PadToTensor(sequences, maxlen);
    }

    private static Tensor LabelTensor(int[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var values = new Real[labels.Length];
        for (int i = 0; i < labels.Length; i++) values[i] = labels[i];
        return new Tensor(values, labels.Length);
    }
}
