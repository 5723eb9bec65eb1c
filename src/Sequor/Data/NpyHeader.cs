using System.Globalization;
using System.Text;

namespace Sequor.Data;

/// <summary>
/// The header of a <c>.npy</c> file: magic, version (1.0, 2.0, 3.0), and the Python dict literal with
/// <c>descr</c>, <c>fortran_order</c> and <c>shape</c> (numpy/lib/format.py).
/// </summary>
internal sealed record NpyHeader(NpyDtype Dtype, bool FortranOrder, int[] Shape, int DataOffset)
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    // Real headers are a few hundred bytes; this only bounds the text a hostile file can make us parse.
    private const int MaxHeaderLength = 1 << 20;
    private const int MaxRank = 32;

    public static NpyHeader Parse(ReadOnlySpan<byte> file, string source)
    {
        if (file.Length < 10 || !file[..6].SequenceEqual(Magic))
            throw new SequorException($"npy file '{source}': not a numpy .npy file (expected the magic bytes \\x93NUMPY)");
        byte major = file[6], minor = file[7];
        if (major is < 1 or > 3 || minor != 0)
            throw new SequorException($"npy file '{source}': format version {major}.{minor} is not supported (expected 1.0, 2.0 or 3.0)");
        long headerLength;
        int start;
        if (major == 1) { headerLength = file[8] | (file[9] << 8); start = 10; }
        else
        {
            if (file.Length < 12) throw new SequorException($"npy file '{source}': truncated header");
            headerLength = (uint)(file[8] | (file[9] << 8) | (file[10] << 16) | (file[11] << 24));
            start = 12;
        }
        if (headerLength > file.Length - start || headerLength > MaxHeaderLength)
            throw new SequorException($"npy file '{source}': header claims {headerLength} bytes but only {file.Length - start} follow");
        var bytes = file.Slice(start, (int)headerLength);
        string text;
        try
        {
            text = major == 3
                ? new UTF8Encoding(false, true).GetString(bytes)
                : Encoding.Latin1.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new SequorException($"npy file '{source}': version 3 header is not valid UTF-8");
        }
        var dict = new LiteralParser(text, source).ParseDict();
        if (!dict.TryGetValue("descr", out var descrObj) || descrObj is not string descr)
            throw new SequorException($"npy file '{source}': header has no 'descr' string (structured dtypes are not supported): {Short(text)}");
        if (!NpyDtype.TryParse(descr, out var dtype))
            throw new SequorException($"npy file '{source}': dtype '{Printable.Of(descr)}' is not supported (expected bool, int8-64, uint8-64, float16/32/64 or object)");
        if (!dict.TryGetValue("fortran_order", out var fo) || fo is not bool fortran)
            throw new SequorException($"npy file '{source}': header has no boolean 'fortran_order': {Short(text)}");
        if (!dict.TryGetValue("shape", out var sh) || sh is not List<long> dims)
            throw new SequorException($"npy file '{source}': header has no 'shape' tuple: {Short(text)}");
        if (dims.Count > MaxRank)
            throw new SequorException($"npy file '{source}': shape has {dims.Count} dimensions (at most {MaxRank} supported)");
        var shape = new int[dims.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            if (dims[i] < 0 || dims[i] > int.MaxValue)
                throw new SequorException($"npy file '{source}': dimension {i} is {dims[i]} (expected 0..{int.MaxValue})");
            shape[i] = (int)dims[i];
        }
        return new NpyHeader(dtype, fortran, shape, start + (int)headerLength);
    }

    private static string Short(string s) => Printable.Of(s.Trim(), 80);

    /// <summary>
    /// The subset of Python literal syntax numpy writes in headers: a dict of string keys whose values
    /// are strings, True/False, ints (optionally with Python 2's L suffix) and tuples of ints.
    /// </summary>
    private sealed class LiteralParser(string text, string source)
    {
        private int pos;

        public Dictionary<string, object> ParseDict()
        {
            var result = new Dictionary<string, object>(StringComparer.Ordinal);
            Expect('{');
            while (true)
            {
                SkipSpace();
                if (Peek() == '}') { pos++; break; }
                string key = ParseString();
                Expect(':');
                result[key] = ParseValue();
                SkipSpace();
                if (Peek() == ',') { pos++; continue; }
                Expect('}');
                break;
            }
            return result;
        }

        private object ParseValue()
        {
            SkipSpace();
            char c = Peek();
            if (c is '\'' or '"') return ParseString();
            if (c == '(') return ParseTuple();
            if (c == '[') throw Fail("structured dtypes (a list descr) are not supported");
            if (Word("True")) return true;
            if (Word("False")) return false;
            if (c is '-' or (>= '0' and <= '9')) return ParseInt();
            throw Fail($"unexpected '{Printable.Of(c.ToString())}'");
        }

        private List<long> ParseTuple()
        {
            Expect('(');
            var items = new List<long>();
            while (true)
            {
                SkipSpace();
                if (Peek() == ')') { pos++; return items; }
                if (items.Count > MaxRank) throw Fail($"shape has more than {MaxRank} dimensions");
                items.Add(ParseInt());
                SkipSpace();
                if (Peek() == ',') { pos++; continue; }
                Expect(')');
                return items;
            }
        }

        private long ParseInt()
        {
            int start = pos;
            if (Peek() == '-') pos++;
            while (pos < text.Length && char.IsAsciiDigit(text[pos])) pos++;
            if (!long.TryParse(text.AsSpan(start, pos - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
                throw Fail($"'{Printable.Of(text[start..Math.Min(pos + 1, text.Length)])}' is not a valid integer");
            if (pos < text.Length && text[pos] is 'L' or 'l') pos++;
            return v;
        }

        private string ParseString()
        {
            SkipSpace();
            char q = Peek();
            if (q is not ('\'' or '"')) throw Fail("expected a quoted string");
            int end = text.IndexOf(q, pos + 1);
            if (end < 0) throw Fail("unterminated string");
            string s = text[(pos + 1)..end];
            pos = end + 1;
            return s;
        }

        private bool Word(string w)
        {
            if (string.CompareOrdinal(text, pos, w, 0, w.Length) != 0) return false;
            pos += w.Length;
            return true;
        }

        private void Expect(char c)
        {
            SkipSpace();
            if (Peek() != c) throw Fail($"expected '{c}'");
            pos++;
        }

        private char Peek() => pos < text.Length ? text[pos] : '\0';

        private void SkipSpace()
        {
            while (pos < text.Length && char.IsWhiteSpace(text[pos])) pos++;
        }

        private SequorException Fail(string what) =>
            new($"npy file '{source}': header is not a valid numpy header at character {pos}: {what}");
    }
}
