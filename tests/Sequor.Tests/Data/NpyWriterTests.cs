using System.Globalization;
using System.Text.Json.Nodes;
using Sequor.Data;

namespace Sequor.Tests.Data;

/// <summary>
/// What Sequor writes, numpy reads back equal: the files in Fixtures/Data/sequor-written were written
/// by this very code and checked once with numpy (<c>gen_npy.py --verify</c>); the test proves Sequor
/// still writes those exact bytes. To regenerate: set SEQUOR_WRITE_FIXTURES to that source folder,
/// run this test, then run the script with --verify.
/// </summary>
public class NpyWriterTests
{
    private static readonly string FixtureDir = SharedData.Fixture("Data", "sequor-written");

    private static IEnumerable<(string Name, NpyArray Array)> Arrays()
    {
        yield return ("bool.npy", NpyArray.FromArray(new[] { true, false, true, true, false, false }, 2, 3));
        yield return ("int8.npy", NpyArray.FromArray(new sbyte[] { -128, 127, 0, -1, 1, 42 }, 2, 3));
        yield return ("int16.npy", NpyArray.FromArray(new short[] { short.MinValue, short.MaxValue, 0, -1, 1, 42 }, 2, 3));
        yield return ("int32.npy", NpyArray.FromArray(new[] { int.MinValue, int.MaxValue, 0, -1, 1, 42 }, 2, 3));
        yield return ("int64.npy", NpyArray.FromArray(new[] { long.MinValue, long.MaxValue, 0, -1, 1, 42 }, 3, 2));
        yield return ("uint8.npy", NpyArray.FromArray(new byte[] { 0, 255, 1, 2, 200, 42 }, 6));
        yield return ("uint16.npy", NpyArray.FromArray(new ushort[] { 0, 65535, 1, 2, 200, 42 }, 2, 3));
        yield return ("uint32.npy", NpyArray.FromArray(new uint[] { 0, uint.MaxValue, 1, 2, 200, 42 }, 2, 3));
        yield return ("uint64.npy", NpyArray.FromArray(new ulong[] { 0, long.MaxValue, 1, 2, 200, 42 }, 2, 3));
        yield return ("float16.npy", NpyArray.FromArray(new[] { (Half)0.5, (Half)(-1.25), Half.PositiveInfinity, (Half)3.140625, Half.NaN, (Half)100 }, 2, 3));
        yield return ("float32.npy", NpyArray.FromArray(new[] { 0.1f, -1.25f, float.NegativeInfinity, 3.140625f, float.NaN, -0.0f }, 2, 3));
        yield return ("float64.npy", NpyArray.FromArray(new[] { 0.1, -1.25, double.PositiveInfinity, 3.140625, double.NaN, 12345.678 }, 1, 2, 3));
        yield return ("scalar.npy", NpyArray.FromArray(new[] { 2.5 }));
        yield return ("empty.npy", NpyArray.FromArray(Array.Empty<long>(), 0, 4));
        yield return ("big_endian_from_numpy.npy", NpyReader.Read(SharedData.Fixture("Data", "npy", "bei4_f.npy")));
        yield return ("sequences.npy", NpyArray.FromSequences([[1, 14, 22, 300, 70000], [], [7], [.. Enumerable.Range(0, 2345)], [int.MinValue, int.MaxValue, -1]]));
    }

    private static Dictionary<string, NpyArray> Imdb() => new()
    {
        ["x_train"] = NpyArray.FromSequences([[1, 2, 3], [4], [5, 6]]),
        ["y_train"] = NpyArray.FromArray(new long[] { 0, 1, 1 }),
        ["x_test"] = NpyArray.FromSequences([[7, 8], [9, 10, 11, 12]]),
        ["y_test"] = NpyArray.FromArray(new long[] { 1, 0 }),
    };

    private static JsonObject Expected(NpyArray a)
    {
        var o = new JsonObject { ["descr"] = a.Dtype, ["shape"] = new JsonArray(a.Shape.Select(d => (JsonNode)d).ToArray()) };
        if (a.IsObject)
            o["sequences"] = new JsonArray(a.ToSequences().Select(s => (JsonNode)new JsonArray(s.Select(v => (JsonNode)v.ToString(CultureInfo.InvariantCulture)).ToArray())).ToArray());
        else
            o["values"] = new JsonArray(Strings(a).Select(v => (JsonNode)v).ToArray());
        return o;
    }

    /// <summary>Values spelled as the fixture script spells them (Python's repr of each element).</summary>
    private static IEnumerable<string> Strings(NpyArray a)
    {
        if (a.Dtype[1] == 'f')
            return a.ToDoubleArray().Select(v => double.IsNaN(v) ? "nan" : double.IsInfinity(v) ? (v > 0 ? "inf" : "-inf")
                : v.ToString("R", CultureInfo.InvariantCulture) is var s && !s.Contains('.') && !s.Contains('E') ? s + ".0" : v.ToString("R", CultureInfo.InvariantCulture));
        if (a.Dtype[1] == 'u') return a.ToUInt64Array().Select(v => v.ToString(CultureInfo.InvariantCulture));
        return a.ToInt64Array().Select(v => v.ToString(CultureInfo.InvariantCulture));
    }

    private static void WriteAll(string dir)
    {
        Directory.CreateDirectory(dir);
        var expected = new JsonObject();
        foreach (var (name, array) in Arrays())
        {
            NpyWriter.Write(Path.Combine(dir, name), array);
            expected[name] = Expected(array);
        }
        foreach (var (name, compressed) in new[] { ("imdb_stored.npz", false), ("imdb_deflated.npz", true) })
        {
            NpzArchive.Write(Path.Combine(dir, name), Imdb(), compressed);
            var members = new JsonObject();
            foreach (var (k, v) in Imdb()) members[k] = Expected(v);
            expected[name] = members;
        }
        File.WriteAllText(Path.Combine(dir, "expected.json"), expected.ToJsonString(new() { WriteIndented = true }));
    }

    [Fact]
    public void SequorWritesTheBytesNumpyVerified()
    {
        if (Environment.GetEnvironmentVariable("SEQUOR_WRITE_FIXTURES") is { Length: > 0 } target) WriteAll(target);
        string temp = Directory.CreateTempSubdirectory("sequor-written-").FullName;
        try
        {
            WriteAll(temp);
            foreach (var file in Directory.GetFiles(temp))
            {
                string committed = Path.Combine(FixtureDir, Path.GetFileName(file));
                Assert.True(File.Exists(committed), $"{committed} is missing: regenerate the fixtures (see the class comment)");
                if (file.EndsWith(".npz", StringComparison.Ordinal))
                    Assert.Equal(Members(committed), Members(file)); // deflate output may vary with the zlib build; members may not
                else if (file.EndsWith(".json", StringComparison.Ordinal))
                    Assert.Equal(JsonNode.Parse(File.ReadAllText(committed))!.ToJsonString(), JsonNode.Parse(File.ReadAllText(file))!.ToJsonString());
                else
                    Assert.True(File.ReadAllBytes(committed).AsSpan().SequenceEqual(File.ReadAllBytes(file)), $"{Path.GetFileName(file)} differs from the numpy-verified fixture");
            }
        }
        finally { Directory.Delete(temp, recursive: true); }
    }

    private static List<(string, string)> Members(string npz)
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(npz);
        return zip.Entries.Select(e =>
        {
            using var s = e.Open();
            var ms = new MemoryStream();
            s.CopyTo(ms);
            return (e.FullName, Convert.ToHexString(ms.ToArray()));
        }).ToList();
    }

    [Fact]
    public void WrittenFilesReadBackEqual()
    {
        foreach (var (name, array) in Arrays())
        {
            var back = NpyReader.Read(Path.Combine(FixtureDir, name));
            Assert.Equal(array.Dtype, back.Dtype);
            Assert.Equal(array.Shape, back.Shape);
            if (array.IsObject) Assert.Equal(array.ToSequences(), back.ToSequences());
            else Assert.Equal(Strings(array), Strings(back));
        }
        var npz = NpzArchive.Read(Path.Combine(FixtureDir, "imdb_deflated.npz"));
        Assert.Equal([[7, 8], [9, 10, 11, 12]], npz["x_test"].ToSequences());
    }
}
