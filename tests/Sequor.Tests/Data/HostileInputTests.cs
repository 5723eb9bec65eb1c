using System.Buffers.Binary;
using System.Text;
using Sequor.Data;

namespace Sequor.Tests.Data;

/// <summary>
/// Corrupt and hostile files end in a <see cref="SequorException"/>: never another exception type, never
/// a hang, never an allocation out of proportion to the input.
/// </summary>
public class HostileInputTests
{
    private const int FuzzCases = 12_000;

    // Parsed objects (boxed ints, lists) cost a few dozen bytes per input byte; anything far beyond
    // that would mean a length or count from the file was trusted.
    private static long AllocationBudget(int inputLength) => 256L * inputLength + (4 << 20);

    private static readonly byte[] Csv = Encoding.UTF8.GetBytes(
        "id,text,label\r\n1,\"A \"\"quoted\"\" review,\nover two lines\",pos\n2,plain review,neg\n3,\"x\",pos\n");

    private enum Kind { Npy, Npz, Csv }

    private static List<(string Name, Kind Kind, byte[] Bytes)> Seeds()
    {
        var seeds = new List<(string, Kind, byte[])>();
        foreach (var f in Directory.GetFiles(SharedData.Fixture("Data", "npy")).Order(StringComparer.Ordinal))
        {
            if (f.EndsWith(".npy", StringComparison.Ordinal)) seeds.Add((Path.GetFileName(f), Kind.Npy, File.ReadAllBytes(f)));
            else if (f.EndsWith(".npz", StringComparison.Ordinal)) seeds.Add((Path.GetFileName(f), Kind.Npz, File.ReadAllBytes(f)));
        }
        seeds.Add(("synthetic_imdb.npz", Kind.Npz, File.ReadAllBytes(SharedData.Fixture("Data", "imdb", "synthetic_imdb.npz"))));
        seeds.Add(("reviews.csv", Kind.Csv, Csv));
        return seeds;
    }

    private static void Parse(Kind kind, byte[] bytes, string name)
    {
        switch (kind)
        {
            case Kind.Npy:
                var a = NpyReader.Read(bytes, name);
                if (a.IsObject) a.ToSequences(); else a.ToDoubleArray();
                break;
            case Kind.Npz:
                using (var s = new MemoryStream(bytes, writable: false))
                    foreach (var m in NpzArchive.Read(s, name).Values)
                        if (m.IsObject) m.ToSequences(); else m.ToDoubleArray();
                break;
            default:
                TextDataset.FromCsvBytes(bytes, name, "text", "label", ',');
                break;
        }
    }

    /// <summary>Runs one input; returns whether it was rejected. Fails on any other exception type.</summary>
    private static bool Rejects(Kind kind, byte[] bytes, string description)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool rejected = false;
        try { Parse(kind, bytes, "fuzz"); }
        catch (SequorException e)
        {
            rejected = true;
            Assert.False(e.Message.Contains('\n'), $"{description}: multi-line message: {e.Message}");
        }
        catch (Exception e)
        {
            Assert.Fail($"{description}: {e.GetType().Name} instead of SequorException: {e.Message}\n{e.StackTrace}");
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated <= AllocationBudget(bytes.Length), $"{description}: allocated {allocated} bytes for a {bytes.Length}-byte input");
        return rejected;
    }

    [Fact]
    public void MutatedFixturesEndInSequorExceptionOrParse()
    {
        var seeds = Seeds();
        var rng = new Random(20240607);
        int rejected = 0;
        for (int n = 0; n < FuzzCases; n++)
        {
            var (name, kind, original) = seeds[n % seeds.Count];
            var bytes = (byte[])original.Clone();
            string mutation;
            // Half of the mutations hit the first 300 bytes: header, zip local header, pickle prologue.
            int Pos(int len) => len == 0 ? 0 : rng.Next(2) == 0 ? rng.Next(Math.Min(300, len)) : rng.Next(len);
            switch (rng.Next(5))
            {
                case 0:
                    int cut = Pos(bytes.Length);
                    bytes = bytes[..cut];
                    mutation = $"truncated to {cut}";
                    break;
                case 1:
                    int flips = 1 + rng.Next(8);
                    for (int k = 0; k < flips; k++) { int p = Pos(bytes.Length); bytes[p] ^= (byte)(1 << rng.Next(8)); }
                    mutation = $"{flips} bit flips";
                    break;
                case 2:
                    int at = Pos(bytes.Length);
                    int len = Math.Min(1 + rng.Next(8), bytes.Length - at);
                    for (int k = 0; k < len; k++) bytes[at + k] = rng.Next(3) switch { 0 => 0xFF, 1 => 0, _ => (byte)rng.Next(256) };
                    mutation = $"{len} bytes overwritten at {at}";
                    break;
                case 3:
                    int from = Pos(bytes.Length), size = Math.Min(rng.Next(64), bytes.Length - from), to = Pos(bytes.Length);
                    bytes = [.. bytes[..to], .. bytes.AsSpan(from, size), .. bytes[to..]];
                    mutation = $"{size} bytes from {from} inserted at {to}";
                    break;
                default:
                    int del = Pos(bytes.Length), count = Math.Min(1 + rng.Next(16), bytes.Length - del);
                    bytes = [.. bytes[..del], .. bytes[(del + count)..]];
                    mutation = $"{count} bytes deleted at {del}";
                    break;
            }
            if (Rejects(kind, bytes, $"case {n} ({name}, {mutation})")) rejected++;
        }
        // The mutations must actually reach the error paths.
        Assert.True(rejected > FuzzCases / 4, $"only {rejected} of {FuzzCases} mutated inputs were rejected");
    }

    private static byte[] Npy(string header, byte[] body)
    {
        var text = Encoding.Latin1.GetBytes(header.PadRight(117) + "\n");
        var bytes = new byte[10 + text.Length + body.Length];
        bytes[0] = 0x93;
        "NUMPY"u8.CopyTo(bytes.AsSpan(1));
        bytes[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)text.Length);
        text.CopyTo(bytes, 10);
        body.CopyTo(bytes, 10 + text.Length);
        return bytes;
    }

    private static byte[] ObjectNpy(byte[] pickle, int count = 1) =>
        Npy($"{{'descr': '|O', 'fortran_order': False, 'shape': ({count},), }}", pickle);

    private static string Message(byte[] npy)
    {
        Assert.True(Rejects(Kind.Npy, npy, "hand-made case"));
        return Assert.Throws<SequorException>(() => NpyReader.Read(npy, "hostile.npy")).Message;
    }

    [Fact]
    public void HeaderClaimingTwoToTheFortyElementsIsRejectedBeforeAllocating()
    {
        Assert.Contains("1099511627776", Message(Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1099511627776,), }", new byte[64])));
        Assert.Contains("needs more data", Message(Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1048576, 1048576), }", new byte[64])));
        Assert.Contains("needs more data", Message(Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1048576, 1048576), }", new byte[64])));
        Assert.Contains("needs more data", Message(ObjectNpy([0x80, 3, (byte)']', (byte)'.'], 1 << 30)));
    }

    [Fact]
    public void DeepNestingIsRejected()
    {
        var pickle = new List<byte> { 0x80, 2 };
        pickle.AddRange(Enumerable.Repeat((byte)'(', 100_000));
        pickle.Add((byte)'.');
        Assert.Contains("nesting deeper", Message(ObjectNpy([.. pickle])));
    }

    [Fact]
    public void UnknownOpcodeIsRejected()
    {
        Assert.Contains("opcode 0x69", Message(ObjectNpy([0x80, 2, (byte)'i', (byte)'o', (byte)'s', (byte)'\n', (byte)'.'])));
        Assert.Contains("opcode 0xff", Message(ObjectNpy([0x80, 3, 0xFF, (byte)'.'])));
    }

    [Fact]
    public void GlobalNamingOsSystemIsRejected()
    {
        var global = Bytes(0x80, 2, "cos\nsystem\nX", 2, 0, 0, 0, "ls", 0x85, "R.");
        Assert.Contains("global 'os.system' is not allowed", Message(ObjectNpy(global)));
        // The same call through STACK_GLOBAL (protocol 4).
        var stack = Bytes(0x80, 4, 0x8c, 2, "os", 0x8c, 6, "system", 0x93, ".");
        Assert.Contains("global 'os.system' is not allowed", Message(ObjectNpy(stack)));
        Assert.Contains("'builtins.eval'", Message(ObjectNpy(Bytes(0x80, 3, "cbuiltins\neval\n."))));
    }

    private static byte[] Bytes(params object[] parts) =>
        parts.SelectMany(p => p is string s ? Encoding.ASCII.GetBytes(s) : [(byte)(int)p]).ToArray();

    [Fact]
    public void LengthsBeyondTheDataAreRejected()
    {
        byte[] Long(byte op, int lengthBytes, ulong length)
        {
            var b = new byte[3 + lengthBytes + 2];
            b[0] = 0x80; b[1] = 4; b[2] = op;
            for (int i = 0; i < lengthBytes; i++) b[3 + i] = (byte)(length >> (8 * i));
            return b;
        }
        Assert.Contains("runs past the end", Message(ObjectNpy(Long(0x8D, 8, 1UL << 62))));  // BINUNICODE8
        Assert.Contains("runs past the end", Message(ObjectNpy(Long(0x8E, 8, ulong.MaxValue)))); // BINBYTES8
        Assert.Contains("runs past the end", Message(ObjectNpy(Long((byte)'X', 4, uint.MaxValue)))); // BINUNICODE
        Assert.Contains("only", Message(ObjectNpy(Long(0x8B, 4, int.MaxValue)))); // LONG4
        Assert.Contains("memo entry 7", Message(ObjectNpy([0x80, 2, (byte)'h', 7, (byte)'.'])));
        Assert.Contains("no STOP", Message(ObjectNpy([0x80, 2, (byte)']'])));
    }

    [Fact]
    public void NpzMemberClaimingHugeSizeIsRejected()
    {
        var ms = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(ms, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        using (var s = zip.CreateEntry("x.npy", System.IO.Compression.CompressionLevel.Optimal).Open())
            NpyWriter.Write(s, NpyArray.FromArray(new long[1000]));
        var bytes = ms.ToArray();
        // Patch the uncompressed size in the central directory and the local header to ~4 GB.
        for (int i = 0; i + 4 <= bytes.Length; i++)
        {
            if (bytes[i] == 'P' && bytes[i + 1] == 'K' && bytes[i + 2] == 1 && bytes[i + 3] == 2)
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + 24), 0xFFFFFFF0);
            if (bytes[i] == 'P' && bytes[i + 1] == 'K' && bytes[i + 2] == 3 && bytes[i + 3] == 4)
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + 22), 0xFFFFFFF0);
        }
        Assert.True(Rejects(Kind.Npz, bytes, "npz bomb"));
        var e = Assert.Throws<SequorException>(() => NpzArchive.Read(new MemoryStream(bytes), "bomb.npz"));
        Assert.Contains("bomb.npz", e.Message);
    }

    [Fact]
    public void HostileCsvIsRejected()
    {
        Assert.True(Rejects(Kind.Csv, Encoding.UTF8.GetBytes("text,label\n\"" + new string('x', 100_000)), "unterminated quote"));
        Assert.True(Rejects(Kind.Csv, [0xFF, 0xFE, 0x00], "not UTF-8"));
        Assert.True(Rejects(Kind.Csv, Encoding.UTF8.GetBytes("text,label\n\"a\"b,1\n"), "text after quote"));
        Assert.True(Rejects(Kind.Csv, Encoding.UTF8.GetBytes("text,label\na,1,extra\n"), "extra field"));
    }

    /// <summary>
    /// A pickle memo bomb: one 1,000-id list, then a million one-byte... references to it (BINGET), as in the
    /// 2 MB file that took Sequor to 2.1 GB. Refused with the limit in the message, within the allocation budget.
    /// </summary>
    [Fact]
    public void PickleMemoBombIsRefusedWithinBoundedMemory()
    {
        const int references = 1_000_000;
        var pickle = new List<byte> { 0x80, 3 };
        pickle.AddRange(Encoding.ASCII.GetBytes("cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n"));
        pickle.AddRange([(byte)'K', 0, 0x85, (byte)'C', 1, (byte)'b', 0x87, (byte)'R', (byte)'(']);
        pickle.AddRange([(byte)'K', 1, (byte)'J', .. BitConverter.GetBytes(references), 0x85]);
        pickle.AddRange(Encoding.ASCII.GetBytes("cnumpy\ndtype\n"));
        pickle.AddRange([(byte)'X', 2, 0, 0, 0, (byte)'O', (byte)'8', 0x89, 0x88, 0x87, (byte)'R']);
        pickle.AddRange([(byte)'(', (byte)'K', 3, (byte)'X', 1, 0, 0, 0, (byte)'|', (byte)'N', (byte)'N', (byte)'N',
            (byte)'J', 0xFF, 0xFF, 0xFF, 0xFF, (byte)'J', 0xFF, 0xFF, 0xFF, 0xFF, (byte)'K', 63, (byte)'t', (byte)'b', 0x89]);
        pickle.Add((byte)']');                                   // the outer list
        pickle.Add((byte)']');                                   // the shared review
        pickle.AddRange([(byte)'q', 0, (byte)'(']);              // memo 0 = the review; its ids
        for (int i = 0; i < 1000; i++) pickle.AddRange([(byte)'K', (byte)(i % 250)]);
        pickle.Add((byte)'e');
        pickle.Add((byte)'a');                                   // outer.append(review)
        for (int batch = 0; batch < (references - 1) / 1000 + 1; batch++)
        {
            int n = Math.Min(1000, references - 1 - batch * 1000);
            if (n <= 0) break;
            pickle.Add((byte)'(');
            for (int k = 0; k < n; k++) pickle.AddRange([(byte)'h', 0]);
            pickle.Add((byte)'e');
        }
        pickle.AddRange([(byte)'t', (byte)'b', (byte)'.']);
        var npy = Npy($"{{'descr': '|O', 'fortran_order': False, 'shape': ({references},), }}", [.. pickle]);
        Assert.InRange(npy.Length, 1_000_000, 3_000_000);
        var message = Message(npy);
        Assert.Contains("reference more than", message);
        Assert.Contains("memo", message);
    }

    /// <summary>Sharing within the bound is numpy's own behaviour and reads: two references to one list.</summary>
    [Fact]
    public void ASharedListWithinTheBoundIsRead()
    {
        var array = NpyArray.FromSequences([[1, 2, 3], [1, 2, 3]]);
        var bytes = new MemoryStream();
        NpyWriter.Write(bytes, array);
        Assert.Equal([[1, 2, 3], [1, 2, 3]], NpyReader.Read(bytes.ToArray()).ToSequences());
    }
}
