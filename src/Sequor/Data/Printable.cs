using System.Text;

namespace Sequor.Data;

/// <summary>Text from a file made safe for a one-line error message: control characters become '?', long text is cut.</summary>
internal static class Printable
{
    public static string Of(string s, int max = 60)
    {
        var sb = new StringBuilder(Math.Min(s.Length, max) + 1);
        foreach (char c in s.Length > max ? s[..max] : s) sb.Append(char.IsControl(c) ? '?' : c);
        if (s.Length > max) sb.Append('…');
        return sb.ToString();
    }
}
