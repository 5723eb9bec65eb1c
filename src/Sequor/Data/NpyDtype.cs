namespace Sequor.Data;

/// <summary>
/// A numpy array-protocol type string (<c>descr</c>) reduced to what Sequor reads: the kind
/// (<c>b</c> bool, <c>i</c> int, <c>u</c> uint, <c>f</c> float, <c>O</c> object), the item size and
/// whether the bytes are big-endian.
/// </summary>
internal readonly record struct NpyDtype(char Kind, int ItemSize, bool BigEndian)
{
    public bool IsObject => Kind == 'O';

    /// <summary>The descr numpy writes for this type, e.g. <c>&lt;i8</c>, <c>|b1</c>, <c>|O</c>.</summary>
    public string Descr => Kind == 'O' ? "|O" : $"{(ItemSize == 1 ? '|' : BigEndian ? '>' : '<')}{Kind}{ItemSize}";

    /// <summary>Parses a descr such as <c>&lt;f4</c>, <c>&gt;i8</c>, <c>|u1</c>, <c>=f8</c>, <c>|O</c>, <c>O8</c>.</summary>
    public static bool TryParse(string descr, out NpyDtype dtype)
    {
        dtype = default;
        if (descr.Length < 1 || descr.Length > 8) return false;
        int i = 0;
        bool big = false;
        switch (descr[0])
        {
            case '<': i = 1; break;
            case '|': i = 1; break;
            case '=': i = 1; big = !BitConverter.IsLittleEndian; break;
            case '>': i = 1; big = true; break;
        }
        if (i >= descr.Length) return false;
        char kind = descr[i++];
        if (kind == 'O')
        {
            // numpy writes "|O"; older files may carry the pointer size ("O8", "O4").
            if (i == descr.Length || descr[i..] is "4" or "8") { dtype = new NpyDtype('O', 8, false); return true; }
            return false;
        }
        if (kind == '?') kind = 'b';
        if (kind is not ('b' or 'i' or 'u' or 'f')) return false;
        if (!int.TryParse(descr.AsSpan(i), System.Globalization.NumberStyles.None, null, out int size)) return false;
        bool ok = kind switch
        {
            'b' => size == 1,
            'i' or 'u' => size is 1 or 2 or 4 or 8,
            _ => size is 2 or 4 or 8,
        };
        if (!ok) return false;
        dtype = new NpyDtype(kind, size, big && size > 1);
        return true;
    }

    public static NpyDtype Of<T>() where T : unmanaged => typeof(T) switch
    {
        var t when t == typeof(bool) => new('b', 1, false),
        var t when t == typeof(sbyte) => new('i', 1, false),
        var t when t == typeof(short) => new('i', 2, false),
        var t when t == typeof(int) => new('i', 4, false),
        var t when t == typeof(long) => new('i', 8, false),
        var t when t == typeof(byte) => new('u', 1, false),
        var t when t == typeof(ushort) => new('u', 2, false),
        var t when t == typeof(uint) => new('u', 4, false),
        var t when t == typeof(ulong) => new('u', 8, false),
        var t when t == typeof(Half) => new('f', 2, false),
        var t when t == typeof(float) => new('f', 4, false),
        var t when t == typeof(double) => new('f', 8, false),
        _ => throw new SequorException($"npy: element type {typeof(T).Name} has no numpy dtype (expected bool, an integer type, Half, float or double)"),
    };
}
