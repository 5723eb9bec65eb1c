using System.Text.Json;

namespace Sequor.Cli.Serve;

/// <summary>
/// Which words pushed a prediction which way, by occlusion: the model scores the text as it is and once with each
/// token removed (the rest pre-padded and cut as always); a token's attribution is the score with it minus the score
/// without it. The score is the output for the second class of a one-unit sigmoid model (positive pushes towards
/// it), else the output of the predicted class. Every score is the engine's own prediction, so an attribution is
/// exactly what removing that word does to this model, with no gradient approximation.
/// </summary>
internal sealed class Occlusion
{
    /// <summary>One token of the input: where it is in the text (characters; -1 for ids), its id, and whether the model reads it.</summary>
    private readonly record struct Token(string Text, int Start, int End, int Id, bool Kept);

    private readonly Token[] tokens;

    private Occlusion(Token[] tokens, float[] rows, int count)
    {
        this.tokens = tokens;
        Rows = rows;
        Count = count;
    }

    /// <summary>The model's input rows: the instance itself, then the instance without each token it reads.</summary>
    public float[] Rows { get; }

    public int Count { get; }

    /// <summary>The rows for one instance (a string for a text model, a list of ids for an ids model), checked as predict checks it.</summary>
    public static Occlusion Prepare(ServedModel model, JsonElement instance, int index)
    {
        Token[] tokens;
        int[] ids;
        int first, kept;
        if (model.Kind == InputKind.Text)
        {
            string text = model.Text(instance, index);
            tokens = Tokenize(model, text);
            ids = tokens.Select(t => t.Id).ToArray();
            (first, kept) = model.KeptTokens(ids.Length);
        }
        else if (model.Kind == InputKind.Ids)
        {
            ids = model.Ids(instance, index);
            (first, kept) = (0, ids.Length);
            tokens = ids.Select(id => new Token(id.ToString(System.Globalization.CultureInfo.InvariantCulture), -1, -1, id, true)).ToArray();
        }
        else throw RequestException.BadRequest($"model '{model.Name}' takes numbers, not tokens: :explain needs a text or token-id model");
        for (int i = 0; i < tokens.Length; i++) tokens[i] = tokens[i] with { Kept = i >= first && i < first + kept };

        int width = model.RowLength, count = 1 + kept;
        var rows = new float[count * width];
        var without = new int[Math.Max(0, ids.Length - 1)];
        Row(model, ids, rows.AsSpan(0, width));
        for (int k = 0; k < kept; k++)
        {
            int removed = first + k;
            ids.AsSpan(0, removed).CopyTo(without);
            ids.AsSpan(removed + 1).CopyTo(without.AsSpan(removed));
            Row(model, without, rows.AsSpan((1 + k) * width, width));
        }
        return new Occlusion(tokens, rows, count);
    }

    private static void Row(ServedModel model, ReadOnlySpan<int> ids, Span<float> row)
    {
        if (model.Kind == InputKind.Text) model.TextRow(ids, row);
        else ServedModel.PadIds(ids, row);
    }

    /// <summary>
    /// The text's tokens with their places in it. Keras's standardization turns <c>&lt;br /&gt;</c> into a space, deletes
    /// punctuation and splits on whitespace, so each whitespace-separated piece (breaks blanked first) is at most one
    /// token: standardizing the pieces one by one gives the same tokens as the vectorizer, and each keeps its span.
    /// </summary>
    private static Token[] Tokenize(ServedModel model, string text)
    {
        var vectorizer = model.Model.Vectorizer!;
        string blanked = vectorizer.StripHtmlBreaks ? text.Replace("<br />", "      ", StringComparison.OrdinalIgnoreCase) : text;
        var tokens = new List<Token>();
        int i = 0;
        while (i < blanked.Length)
        {
            if (IsSpace(blanked[i])) { i++; continue; }
            int start = i;
            while (i < blanked.Length && !IsSpace(blanked[i])) i++;
            foreach (var token in vectorizer.Tokens(blanked[start..i]))
                tokens.Add(new Token(token, start, i, model.TokenId(token), true));
        }
        return tokens.ToArray();
    }

    // the whitespace the vectorizer splits on (TensorFlow's whitespace split, ASCII only)
    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\v' or '\f';

    /// <summary>Writes the prediction and each token's attribution, given the outputs of <see cref="Rows"/>.</summary>
    public void Write(Utf8JsonWriter json, ServedModel model, ReadOnlySpan<float> outputs)
    {
        int width = model.OutputWidth;
        var prediction = outputs[..width];
        int target = 0;
        if (width > 1) for (int i = 1; i < width; i++) if (prediction[i] > prediction[target]) target = i;
        json.WriteStartObject();
        json.WriteStartArray("prediction");
        foreach (var v in prediction) json.WriteNumberValue(v);
        json.WriteEndArray();
        if (model.Label(prediction) is { } label) json.WriteString("label", label);
        // what a positive attribution pushes towards
        string towards = model.ClassNames is { } names ? names[width == 1 ? 1 : target] : $"output {target}";
        json.WriteString("towards", towards);
        json.WriteStartArray("tokens");
        int k = 0;
        foreach (var token in tokens)
        {
            json.WriteStartObject();
            json.WriteString("token", token.Text);
            json.WriteNumber("id", token.Id);
            if (token.Start >= 0)
            {
                json.WriteNumber("start", token.Start);
                json.WriteNumber("end", token.End);
            }
            if (token.Kept) json.WriteNumber("attribution", prediction[target] - outputs[(1 + k++) * width + target]);
            else json.WriteNull("attribution"); // cut off: beyond the model's sequence length, it changes nothing
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
