using System.Globalization;
using System.Text.Json;
using Sequor.Data;

namespace Sequor.Tests.Data;

public class NpyTests
{
    private static readonly string Dir = SharedData.Fixture("Data", "npy");

    private static JsonElement Manifest() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "manifest.json"))).RootElement;

    public static TheoryData<string> NumericFixtures()
    {
        var data = new TheoryData<string>();
        foreach (var p in Manifest().EnumerateObject())
            if (p.Value.TryGetProperty("values", out _)) data.Add(p.Name);
        return data;
    }

    public static TheoryData<string> ObjectFixtures()
    {
        var data = new TheoryData<string>();
        foreach (var p in Manifest().EnumerateObject())
            if (p.Value.TryGetProperty("sequences", out _)) data.Add(p.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(NumericFixtures))]
    public void NumpyWrittenNumericFileReadsEqual(string name)
    {
        var expected = Manifest().GetProperty(name);
        var a = NpyReader.Read(Path.Combine(Dir, name));
        Assert.Equal(expected.GetProperty("descr").GetString(), a.Dtype);
        Assert.Equal(expected.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()), a.Shape);
        Assert.Equal(expected.GetProperty("fortran").GetBoolean(), a.FortranOrder);
        var values = expected.GetProperty("values").EnumerateArray().Select(e => e.GetString()!).ToArray();
        if (a.Dtype[1] == 'f')
        {
            var want = values.Select(v => v switch { "inf" => double.PositiveInfinity, "-inf" => double.NegativeInfinity, "nan" => double.NaN, _ => double.Parse(v, CultureInfo.InvariantCulture) });
            Assert.Equal(want, a.ToDoubleArray());
            Assert.Equal(want.Select(v => (float)v), a.ToFloatArray());
        }
        else if (a.Dtype == "<u8")
            Assert.Equal(values.Select(v => ulong.Parse(v, CultureInfo.InvariantCulture)), a.ToUInt64Array());
        else
            Assert.Equal(values.Select(v => long.Parse(v, CultureInfo.InvariantCulture)), a.ToInt64Array());
    }

    [Theory]
    [MemberData(nameof(ObjectFixtures))]
    public void NumpyWrittenObjectArrayOfListsReadsEqual(string name)
    {
        var expected = Manifest().GetProperty(name).GetProperty("sequences").EnumerateArray()
            .Select(s => s.EnumerateArray().Select(v => long.Parse(v.GetString()!, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        var a = NpyReader.Read(Path.Combine(Dir, name));
        Assert.Equal("|O", a.Dtype);
        Assert.True(a.IsObject);
        Assert.Equal(expected, a.Int64Sequences);
    }

    [Fact]
    public void ToSequencesRejectsIdsBeyondInt32()
    {
        var a = NpyReader.Read(Path.Combine(Dir, "object_p3.npy"));
        var e = Assert.Throws<SequorException>(() => a.ToSequences());
        Assert.Contains("sequence 1", e.Message);
    }

    [Theory]
    [InlineData("stored.npz", 0)]
    [InlineData("deflated.npz", 8)]
    public void NpzStoredOrDeflatedReadsEveryMember(string name, int method)
    {
        var m = Manifest().GetProperty(name);
        Assert.All(m.GetProperty("members").EnumerateObject(), p => Assert.Equal(method, p.Value.GetInt32()));
        var z = NpzArchive.Read(Path.Combine(Dir, name));
        Assert.Equal(["f", "x", "y"], z.Keys.Order());
        Assert.Equal(m.GetProperty("y").EnumerateArray().Select(v => long.Parse(v.GetString()!, CultureInfo.InvariantCulture)), z["y"].ToInt64Array());
        Assert.Equal(m.GetProperty("f").EnumerateArray().Select(v => float.Parse(v.GetString()!, CultureInfo.InvariantCulture)), z["f"].ToFloatArray());
        Assert.Equal([7, 1], z["f"].Shape);
        Assert.Equal(m.GetProperty("x").EnumerateArray().Select(s => s.EnumerateArray().Select(v => long.Parse(v.GetString()!, CultureInfo.InvariantCulture)).ToArray()).ToArray(), z["x"].Int64Sequences);
    }

    [Fact]
    public void FortranOrderIsReturnedInCOrder()
    {
        var a = NpyReader.Read(Path.Combine(Dir, "i4_cube_f.npy"));
        Assert.True(a.FortranOrder);
        Assert.Equal(Enumerable.Range(0, 24).Select(i => (long)i), a.ToInt64Array());
    }

    [Fact]
    public void WrittenArraysReadBackEqual()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sequor-npy-{Guid.NewGuid():N}.npy");
        try
        {
            var values = new[] { 1.5, -2.25, double.NaN, 1e300 };
            NpyWriter.Write(path, NpyArray.FromArray(values, 2, 2));
            var back = NpyReader.Read(path);
            Assert.Equal("<f8", back.Dtype);
            Assert.Equal([2, 2], back.Shape);
            Assert.Equal(values, back.ToDoubleArray());

            int[][] seqs = [[1, 2, 3], [], [7], [.. Enumerable.Range(0, 2345)], [int.MaxValue, int.MinValue, 65535, 65536, 255, 256, -1]];
            NpyWriter.Write(path, NpyArray.FromSequences(seqs));
            Assert.Equal(seqs, NpyReader.Read(path).ToSequences());
        }
        finally { File.Delete(path); }
    }
}
