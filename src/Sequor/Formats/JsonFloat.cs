using System.Globalization;
using System.Text.Json.Nodes;

namespace Sequor.Formats;

/// <summary>
/// JSON numbers that Python reads back as floats. System.Text.Json writes the double 0 as <c>0</c>, which
/// Python's json turns into an int, and Keras then refuses it where it checks for a float (SGD's
/// <c>momentum</c> must be "a float between [0, 1]"). Python writes floats with a decimal point or exponent
/// (<c>0.0</c>, <c>1e-07</c>), so Sequor does too.
/// </summary>
internal static class JsonFloat
{
    /// <summary>The shortest decimal that reads back to <paramref name="value"/>, always as a float literal.</summary>
    internal static JsonNode Of(double value)
    {
        if (!double.IsFinite(value)) throw new SequorException($"the setting {value.ToString(CultureInfo.InvariantCulture)} cannot be written as a JSON number");
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        if (text.IndexOfAny(['.', 'E', 'e']) < 0) text += ".0";
        // A node parsed from text keeps that text when written, so 0.0 stays 0.0.
        return JsonNode.Parse(text)!;
    }

    /// <summary>A float32 setting (a layer's dropout rate, an optimizer's rho) as the shortest decimal that reads back to the same float32, as Keras writes its Python floats.</summary>
    internal static JsonNode Of(float value) =>
        Of(double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));

    /// <summary>A float32 value widened to double (<c>0.009999999776482582</c>), as Keras writes a value it keeps in a float32 variable (the learning rate).</summary>
    internal static JsonNode Widened(float value) => Of((double)value);
}
