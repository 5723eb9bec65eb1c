using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Sequor.Data;

/// <summary>
/// A data-only reader for the Python pickles numpy writes for object arrays (protocols 2–5): the
/// stream is interpreted, never executed. Only the opcodes numpy/Python emit for arrays of int lists
/// are known, and the only globals are numpy's array/dtype reconstructors and <c>_codecs.encode</c>
/// (protocol 2 bytes), each emulated by a pure function; anything else is a <see cref="SequorException"/>.
/// Every length is checked against the bytes actually present before anything is allocated.
/// </summary>
internal sealed class Unpickler
{
    // numpy's object arrays nest MARKs about five deep; this only stops hostile streams.
    private const int MaxMarkDepth = 64;
    private const int MaxGlobalNameLength = 256;

    private readonly byte[] data;
    private readonly int end;
    private readonly string source;
    private int pos;
    private readonly List<object> stack = [];
    private readonly Stack<int> marks = new();
    private readonly Dictionary<long, object> memo = [];

    private Unpickler(byte[] data, int start, string source)
    {
        this.data = data;
        pos = start;
        end = data.Length;
        this.source = source;
    }

    /// <summary>Reads one pickle from <paramref name="data"/> at <paramref name="start"/> and returns its value.</summary>
    public static object Load(byte[] data, int start, string source) => new Unpickler(data, start, source).Run();

    internal enum PyGlobal { Reconstruct, NdArray, Dtype, FromBuffer, CodecsEncode, Bytes }

    internal sealed class PyMark { public static readonly PyMark Instance = new(); }

    internal sealed class PyNone { public static readonly PyNone Instance = new(); }

    internal sealed record PyTuple(object[] Items);

    internal sealed class PyDtype(string typeStr)
    {
        public string TypeStr { get; } = typeStr;
        public char ByteOrder { get; set; } = '=';
    }

    /// <summary>
    /// A Python list. Lists of ints that fit Int32 (a review's word ids) keep them unboxed in an array sized to
    /// what was appended (numpy appends a list's items in batches of up to 1,000); anything else is boxed.
    /// </summary>
    internal sealed class PyList
    {
        private int[] ints = [];
        private int count;
        private List<object>? objects;

        public int Count => objects?.Count ?? count;

        /// <summary>The items as Int32 values (exactly Count long), or null when the list holds anything else.</summary>
        public int[]? Ints
        {
            get
            {
                if (objects is not null) return null;
                if (ints.Length != count) Array.Resize(ref ints, count);
                return ints;
            }
        }

        /// <summary>The items as objects (ints boxed as long).</summary>
        public List<object> Objects => objects ??= Box();

        public void AddRange(List<object> items)
        {
            if (objects is null && items.TrueForAll(o => o is long v && v >= int.MinValue && v <= int.MaxValue))
            {
                if (ints.Length < count + items.Count) Array.Resize(ref ints, count + items.Count);
                foreach (var o in items) ints[count++] = (int)(long)o;
                return;
            }
            Objects.AddRange(items);
        }

        private List<object> Box()
        {
            var boxed = new List<object>(Math.Max(count, 4));
            for (int i = 0; i < count; i++) boxed.Add((long)ints[i]);
            ints = [];
            count = 0;
            return boxed;
        }
    }

    internal sealed class PyNdArray
    {
        public int[] Shape = [];
        public PyDtype? Dtype;
        public bool Fortran;
        public object? Data;
    }

    private object Run()
    {
        while (true)
        {
            int opAt = pos;
            byte op = U8();
            switch (op)
            {
                case 0x80: // PROTO
                    byte proto = U8();
                    if (proto > 5) throw Fail(opAt, $"pickle protocol {proto} is not supported (expected 2 to 5)");
                    break;
                case 0x95: Take(8); break; // FRAME: framing is only a buffering hint
                case (byte)'c': // GLOBAL
                    Push(Global(opAt, Line(MaxGlobalNameLength), Line(MaxGlobalNameLength)));
                    break;
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop(opAt) as string ?? throw Fail(opAt, "STACK_GLOBAL needs a string name");
                    var module = Pop(opAt) as string ?? throw Fail(opAt, "STACK_GLOBAL needs a string module");
                    Push(Global(opAt, module, name));
                    break;
                }
                case (byte)'(': // MARK
                    if (marks.Count >= MaxMarkDepth) throw Fail(opAt, $"nesting deeper than {MaxMarkDepth} levels");
                    marks.Push(stack.Count);
                    break;
                case (byte)'.': // STOP
                    if (stack.Count != 1 || marks.Count != 0) throw Fail(opAt, "STOP with an unbalanced stack");
                    return stack[0];
                case (byte)'N': Push(PyNone.Instance); break;
                case 0x88: Push(true); break;
                case 0x89: Push(false); break;
                case (byte)'K': Push((long)U8()); break;
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                case 0x8A: Push(LittleEndianInt(opAt, U8())); break; // LONG1
                case 0x8B: // LONG4
                {
                    int n = BinaryPrimitives.ReadInt32LittleEndian(Take(4));
                    if (n < 0) throw Fail(opAt, "LONG4 with a negative length");
                    Push(LittleEndianInt(opAt, n));
                    break;
                }
                case (byte)'I': // INT (text); Python 2 spells booleans I01 / I00
                {
                    string s = Line(32);
                    if (s == "01") Push(true);
                    else if (s == "00") Push(false);
                    else Push(ParseDecimal(opAt, s));
                    break;
                }
                case (byte)'L': Push(ParseDecimal(opAt, Line(32).TrimEnd('L'))); break; // LONG (text)
                case (byte)'X': Push(Utf8(opAt, Length(opAt, BinaryPrimitives.ReadUInt32LittleEndian(Take(4))))); break;
                case 0x8C: Push(Utf8(opAt, U8())); break;
                case 0x8D: Push(Utf8(opAt, Length(opAt, BinaryPrimitives.ReadUInt64LittleEndian(Take(8))))); break;
                case (byte)'C': Push(Take(U8()).ToArray()); break;
                case (byte)'B': Push(Take(Length(opAt, BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))).ToArray()); break;
                case 0x8E: // BINBYTES8
                case 0x96: // BYTEARRAY8
                    Push(Take(Length(opAt, BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))).ToArray());
                    break;
                case (byte)'U': Push(Take(U8()).ToArray()); break; // SHORT_BINSTRING: a Python 2 str, i.e. bytes
                case (byte)'T':
                {
                    int n = BinaryPrimitives.ReadInt32LittleEndian(Take(4));
                    if (n < 0) throw Fail(opAt, "BINSTRING with a negative length");
                    Push(Take(n).ToArray());
                    break;
                }
                case (byte)')': Push(new PyTuple([])); break;
                case 0x85: { var a = Pop(opAt); Push(new PyTuple([a])); break; }
                case 0x86: { var b = Pop(opAt); var a = Pop(opAt); Push(new PyTuple([a, b])); break; }
                case 0x87: { var c = Pop(opAt); var b = Pop(opAt); var a = Pop(opAt); Push(new PyTuple([a, b, c])); break; }
                case (byte)'t': Push(new PyTuple(PopMark(opAt).ToArray())); break;
                case (byte)']': Push(new PyList()); break;
                case (byte)'l': // LIST
                {
                    var list = new PyList();
                    list.AddRange(PopMark(opAt));
                    Push(list);
                    break;
                }
                case (byte)'a': // APPEND
                {
                    var item = Pop(opAt);
                    ListOnTop(opAt).AddRange([item]);
                    break;
                }
                case (byte)'e': // APPENDS
                {
                    var items = PopMark(opAt);
                    ListOnTop(opAt).AddRange(items);
                    break;
                }
                case (byte)'q': memo[U8()] = Top(opAt); break;
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Top(opAt); break;
                case 0x94: memo[memo.Count] = Top(opAt); break;
                case (byte)'h': Push(Memo(opAt, U8())); break;
                case (byte)'j': Push(Memo(opAt, BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
                case (byte)'0': Pop(opAt); break; // POP
                case (byte)'R': // REDUCE
                {
                    var args = Pop(opAt) as PyTuple ?? throw Fail(opAt, "REDUCE needs an argument tuple");
                    var callable = Pop(opAt);
                    Push(Reduce(opAt, callable, args.Items));
                    break;
                }
                case (byte)'b': // BUILD
                {
                    var state = Pop(opAt);
                    Build(opAt, Top(opAt), state);
                    break;
                }
                default:
                    throw Fail(opAt, $"opcode 0x{op:x2} is not one numpy writes for object arrays of int lists");
            }
        }
    }

    private object Global(int at, string module, string name) => (module, name) switch
    {
        ("numpy.core.multiarray" or "numpy._core.multiarray", "_reconstruct") => PyGlobal.Reconstruct,
        ("numpy", "ndarray") => PyGlobal.NdArray,
        ("numpy", "dtype") => PyGlobal.Dtype,
        ("numpy.core.numeric" or "numpy._core.numeric", "_frombuffer") => PyGlobal.FromBuffer,
        ("_codecs", "encode") => PyGlobal.CodecsEncode,
        ("__builtin__" or "builtins", "bytes") => PyGlobal.Bytes,
        _ => throw Fail(at, $"global '{Printable(module)}.{Printable(name)}' is not allowed (only numpy array reconstruction is)"),
    };

    private object Reduce(int at, object callable, object[] args)
    {
        switch (callable)
        {
            case PyGlobal.Reconstruct:
                // _reconstruct(ndarray, shape, b'b') makes an empty array that BUILD then fills.
                if (args.Length != 3 || args[0] is not PyGlobal.NdArray)
                    throw Fail(at, "numpy _reconstruct expects (ndarray, shape, typecode)");
                return new PyNdArray();
            case PyGlobal.Dtype:
                if (args.Length < 1 || args[0] is not string typeStr || typeStr.Length > 16)
                    throw Fail(at, "numpy dtype expects a type string");
                return new PyDtype(typeStr);
            case PyGlobal.CodecsEncode:
            {
                // Python 3 writes bytes in protocol 2 as _codecs.encode(text, 'latin1').
                if (args.Length != 2 || args[0] is not string text || args[1] is not ("latin1" or "latin-1" or "iso-8859-1"))
                    throw Fail(at, "_codecs.encode is only supported as encode(text, 'latin1')");
                var bytes = new byte[text.Length];
                for (int i = 0; i < text.Length; i++)
                {
                    if (text[i] > 0xFF) throw Fail(at, "_codecs.encode: a character is outside latin-1");
                    bytes[i] = (byte)text[i];
                }
                return bytes;
            }
            case PyGlobal.Bytes:
                // Protocol 2 writes an empty bytes object as bytes().
                if (args.Length != 0) throw Fail(at, "bytes(...) is only supported without arguments");
                return Array.Empty<byte>();
            case PyGlobal.FromBuffer:
            {
                // Protocol 5: _frombuffer(buffer, dtype, shape, order).
                if (args.Length != 4 || args[0] is not byte[] buffer || args[1] is not PyDtype dtype || args[2] is not PyTuple shape
                    || args[3] is not ("C" or "F"))
                    throw Fail(at, "numpy _frombuffer expects (buffer, dtype, shape, order)");
                return new PyNdArray { Data = buffer, Dtype = dtype, Shape = Shape(at, shape), Fortran = (string)args[3] == "F" };
            }
            default:
                throw Fail(at, "REDUCE of something that is not an allowed numpy global");
        }
    }

    private void Build(int at, object target, object state)
    {
        var items = (state as PyTuple)?.Items ?? throw Fail(at, "BUILD needs a state tuple");
        switch (target)
        {
            case PyDtype dtype:
                // (version, byteorder, subarray, names, fields, elsize, alignment, flags): only the byte order matters.
                if (items.Length < 2 || items[1] is not string order || order.Length != 1)
                    throw Fail(at, "dtype state has no byte order");
                dtype.ByteOrder = order[0];
                break;
            case PyNdArray array:
                // (version, shape, dtype, is_fortran, data)
                if (items.Length != 5 || items[1] is not PyTuple shape || items[2] is not PyDtype dt || items[3] is not bool fortran)
                    throw Fail(at, "ndarray state is not (version, shape, dtype, fortran, data)");
                array.Shape = Shape(at, shape);
                array.Dtype = dt;
                array.Fortran = fortran;
                array.Data = items[4] switch
                {
                    PyList or byte[] => items[4],
                    string s => Encoding.Latin1.GetBytes(s), // Python 2 str data
                    _ => throw Fail(at, "ndarray data is neither a list nor bytes"),
                };
                break;
            default:
                throw Fail(at, "BUILD on something that is not a numpy array or dtype");
        }
    }

    private int[] Shape(int at, PyTuple t)
    {
        var s = new int[t.Items.Length];
        for (int i = 0; i < s.Length; i++)
        {
            if (t.Items[i] is not long d || d < 0 || d > int.MaxValue) throw Fail(at, "array shape holds a value that is not a dimension");
            s[i] = (int)d;
        }
        return s;
    }

    private object LittleEndianInt(int at, int n)
    {
        var b = Take(n);
        if (n == 0) return 0L;
        if (n > 8)
        {
            // Wider encodings are legal when the value still fits after sign extension; anything else is too big for us.
            byte fill = (b[n - 1] & 0x80) != 0 ? (byte)0xFF : (byte)0;
            for (int i = 8; i < n; i++)
                if (b[i] != fill) throw Fail(at, "integer wider than 64 bits");
            if (((b[7] & 0x80) != 0) != (fill == 0xFF)) throw Fail(at, "integer wider than 64 bits");
            b = b[..8];
            n = 8;
        }
        long v = 0;
        for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
        if (n < 8 && (b[n - 1] & 0x80) != 0) v |= -1L << (8 * n); // sign-extend two's complement
        return v;
    }

    private long ParseDecimal(int at, string s) =>
        long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? v : throw Fail(at, $"'{Printable(s)}' is not an integer");

    private string Utf8(int at, int n)
    {
        try { return new UTF8Encoding(false, true).GetString(Take(n)); }
        catch (DecoderFallbackException) { throw Fail(at, "string is not valid UTF-8"); }
    }

    private int Length(int at, ulong n)
    {
        if (n > (ulong)(end - pos)) throw Fail(at, $"length {n} runs past the end of the data ({end - pos} bytes left)");
        return (int)n;
    }

    private string Line(int max)
    {
        int limit = Math.Min(end, pos + max + 1);
        for (int i = pos; i < limit; i++)
        {
            if (data[i] != (byte)'\n') continue;
            string s = Encoding.Latin1.GetString(data, pos, i - pos);
            pos = i + 1;
            return s;
        }
        throw Fail(pos, "unterminated text line");
    }

    private byte U8()
    {
        if (pos >= end) throw Fail(pos, "unexpected end of data (no STOP)");
        return data[pos++];
    }

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n < 0 || n > end - pos) throw Fail(pos, $"needs {n} bytes but only {end - pos} are left");
        var span = data.AsSpan(pos, n);
        pos += n;
        return span;
    }

    private void Push(object o) => stack.Add(o);

    private object Top(int at) => stack.Count > (marks.Count > 0 ? marks.Peek() : 0) ? stack[^1] : throw Fail(at, "stack is empty");

    private object Pop(int at)
    {
        int floor = marks.Count > 0 ? marks.Peek() : 0;
        if (stack.Count <= floor) throw Fail(at, "stack is empty");
        var o = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        return o;
    }

    private List<object> PopMark(int at)
    {
        if (marks.Count == 0) throw Fail(at, "no MARK to pop to");
        int m = marks.Pop();
        var items = stack.GetRange(m, stack.Count - m);
        stack.RemoveRange(m, stack.Count - m);
        return items;
    }

    private PyList ListOnTop(int at) => Top(at) as PyList ?? throw Fail(at, "APPEND to something that is not a list");

    private object Memo(int at, long key) => memo.TryGetValue(key, out var v) ? v : throw Fail(at, $"memo entry {key} was never stored");

    private static string Printable(string s) => Data.Printable.Of(s);

    private SequorException Fail(int at, string what) => new($"pickle in '{source}' at byte {at}: {what}");
}
