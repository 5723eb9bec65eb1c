using System.Text;

namespace Sequor.Data;

/// <summary>
/// RFC 4180 records: fields split by a delimiter, optionally in double quotes (which may then hold
/// delimiters, CR/LF and doubled quotes); records end at LF or CRLF; a leading BOM is skipped.
/// </summary>
internal static class CsvParser
{
    public static List<string[]> Parse(string text, char sep, string source)
    {
        var rows = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int i = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        int line = 1;
        bool any = false;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '"' && field.Length == 0)
            {
                int startLine = line;
                i++;
                while (true)
                {
                    if (i >= text.Length)
                        throw new SequorException($"csv file '{source}': quoted field starting on line {startLine} is never closed");
                    char q = text[i++];
                    if (q == '"')
                    {
                        if (i < text.Length && text[i] == '"') { field.Append('"'); i++; continue; }
                        break;
                    }
                    if (q == '\n') line++;
                    field.Append(q);
                }
                if (i < text.Length && text[i] != sep && text[i] != '\n' && text[i] != '\r')
                    throw new SequorException($"csv file '{source}': line {line}: text after a closing quote (a quote inside a field must be doubled)");
                any = true;
                continue;
            }
            if (c == sep) { fields.Add(field.ToString()); field.Clear(); any = true; i++; continue; }
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') { i++; continue; }
            if (c == '\n')
            {
                EndRecord();
                line++;
                i++;
                continue;
            }
            field.Append(c);
            any = true;
            i++;
        }
        EndRecord();
        return rows;

        void EndRecord()
        {
            if (!any && field.Length == 0 && fields.Count == 0) return; // blank line
            fields.Add(field.ToString());
            rows.Add(fields.ToArray());
            fields.Clear();
            field.Clear();
            any = false;
        }
    }
}
