using Sequor.Data;

namespace Sequor;

public sealed partial class Sequential
{
    /// <summary>
    /// The vectorizer that turns raw text into this model's ids, when the model was trained on text. A <c>.keras</c>
    /// file carries it (with <see cref="ClassNames"/>) in the same archive as the weights, so the file alone
    /// predicts on text.
    /// </summary>
    public TextVectorizer? Vectorizer { get; set; }

    /// <summary>What the output classes stand for (index = class id; for one sigmoid output, [negative, positive]), when known.</summary>
    public string[]? ClassNames { get; set; }

    /// <summary>
    /// The model's outputs for raw texts, one row each: every text is vectorized on its own with <see cref="Vectorizer"/>
    /// and padded and cut at the front to the model's sequence length (<c>pad_sequences(maxlen)</c>), so a text's
    /// score never depends on the other texts. An empty text is all padding and gets the model's output for that.
    /// </summary>
    /// <exception cref="SequorException">The model has no vectorizer or no fixed sequence length.</exception>
    public Tensor Predict(IReadOnlyList<string> texts, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var vectorizer = Vectorizer ?? throw new SequorException($"model '{Name}': Predict on texts needs a Vectorizer (the model was not trained on text, or its file carries none)");
        return Predict(Vectorize(vectorizer, texts), batchSize);
    }

    /// <summary>The texts as this model's input tensor (see <see cref="Predict(IReadOnlyList{string}, int)"/>).</summary>
    public Tensor Vectorize(IReadOnlyList<string> texts) =>
        Vectorize(Vectorizer ?? throw new SequorException($"model '{Name}': has no Vectorizer to turn texts into ids"), texts);

    private Tensor Vectorize(TextVectorizer vectorizer, IReadOnlyList<string> texts)
    {
        if (!IsBuilt) throw new SequorException($"model '{Name}' is not built: call Build(inputShape) before predicting on texts");
        int maxlen = Maxlen ?? throw new SequorException($"model '{Name}' takes any sequence length and does not say the length its texts were padded to (set Maxlen)");
        if (vectorizer.OutputSequenceLength is int n)
        {
            // Keras's TextVectorization pads at the end; such rows go in as they are, never padded again at the front
            if (n != maxlen) throw new SequorException($"model '{Name}': its vectorizer's output_sequence_length {n} differs from the model's sequence length {maxlen}");
            return Sequences.PadToTensor(vectorizer.Transform(texts), maxlen);
        }
        return Sequences.PadToTensor(vectorizer.TransformEach(texts), maxlen);
    }
}
