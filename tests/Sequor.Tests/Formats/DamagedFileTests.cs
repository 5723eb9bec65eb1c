using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Sequor.Formats;
using Sequor.Layers;

namespace Sequor.Tests.Formats;

/// <summary>
/// Corrupt, truncated or wrong-kind files give one SequorException naming the file and the problem —
/// never another exception type, a hang or a huge allocation.
/// </summary>
public class DamagedFileTests
{
    internal static Sequential SmallModel()
    {
        var model = new Sequential([new Embedding(10, 4), new LSTM(3), new Dense(1, Activation.Sigmoid)], seed: 7);
        model.Build([5]);
        return model;
    }

    internal static byte[] Bytes(Action<Stream> write)
    {
        using var stream = new MemoryStream();
        write(stream);
        return stream.ToArray();
    }

    private static SequorException LoadFails(TempDirectory dir, string name, byte[] content)
    {
        File.WriteAllBytes(dir.File(name), content);
        var e = Assert.Throws<SequorException>(() => Sequential.Load(dir.File(name)));
        Assert.Contains(name, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void KerasFileThatIsNotAZip()
    {
        using var dir = new TempDirectory();
        var e = LoadFails(dir, "model.keras", Encoding.ASCII.GetBytes("this is not a zip archive at all"));
        Assert.Contains("not a zip", e.Message);
    }

    [Fact]
    public void ZipWithoutConfigJson()
    {
        using var dir = new TempDirectory();
        var zip = Bytes(s =>
        {
            using var archive = new ZipArchive(s, ZipArchiveMode.Create, leaveOpen: true);
            using var entry = archive.CreateEntry("metadata.json").Open();
            entry.Write(Encoding.UTF8.GetBytes("{\"keras_version\": \"3.6.0\"}"));
        });
        var e = LoadFails(dir, "model.keras", zip);
        Assert.Contains("config.json", e.Message);
    }

    [Fact]
    public void H5WithoutModelConfig()
    {
        using var dir = new TempDirectory();
        var e = LoadFails(dir, "weights.h5", Bytes(s => LegacyH5.WriteWeightsOnly(SmallModel(), s)));
        Assert.Contains("model_config", e.Message);
        Assert.Contains("LoadWeights", e.Message);
    }

    [Fact]
    public void WeightOfTheWrongShape()
    {
        using var dir = new TempDirectory();
        var other = new Sequential([new Embedding(10, 4), new LSTM(2), new Dense(1, Activation.Sigmoid)], seed: 7);
        other.Build([5]);
        other.SaveWeights(dir.File("other.weights.h5"));
        var model = SmallModel();
        var before = model.Weights.Select(w => w.Value.Span.ToArray()).ToArray();
        var e = Assert.Throws<SequorException>(() => model.LoadWeights(dir.File("other.weights.h5")));
        Assert.Contains("other.weights.h5", e.Message);
        Assert.Contains("layers/lstm/cell/vars/0", e.Message);
        Assert.Contains("(4, 8)", e.Message);
        Assert.Contains("(4, 12)", e.Message);
        // Nothing was half-loaded.
        Assert.Equal(before, model.Weights.Select(w => w.Value.Span.ToArray()).ToArray());

        other.SaveWeights(dir.File("other.h5"));
        e = Assert.Throws<SequorException>(() => model.LoadWeights(dir.File("other.h5")));
        Assert.Contains("lstm/lstm/lstm_cell/kernel:0", e.Message);
    }

    [Fact]
    public void MissingFileAndUnknownExtension()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<SequorException>(() => Sequential.Load(dir.File("absent.keras")));
        Assert.Equal($"file '{dir.File("absent.keras")}': no such file", e.Message);
        e = Assert.Throws<SequorException>(() => Sequential.Load(dir.File("no-folder/absent.h5")));
        Assert.Equal($"file '{dir.File("no-folder/absent.h5")}': no such file", e.Message);
        e = Assert.Throws<SequorException>(() => SmallModel().Save(dir.File("model.onnx")));
        Assert.Contains("model.onnx", e.Message);
        e = Assert.Throws<SequorException>(() => Sequential.Load(dir.File("model.weights.h5")));
        Assert.Contains("LoadWeights", e.Message);
    }

    [Fact]
    public void EmptyAndTruncatedFiles()
    {
        using var dir = new TempDirectory();
        LoadFails(dir, "empty.h5", []);
        LoadFails(dir, "empty.keras", []);
        var h5 = Bytes(s => LegacyH5.Write(SmallModel(), s));
        LoadFails(dir, "half.h5", h5[..(h5.Length / 2)]);
        var keras = Bytes(s => KerasArchive.Write(SmallModel(), s));
        LoadFails(dir, "half.keras", keras[..(keras.Length / 2)]);
    }

    [Fact]
    public void FailedSaveLeavesTheOldFileAndNoTemporary()
    {
        using var dir = new TempDirectory();
        var model = SmallModel();
        model.Save(dir.File("m.keras"));
        var original = File.ReadAllBytes(dir.File("m.keras"));
        var unbuilt = new Sequential([new Dense(1)], seed: 1);
        var e = Assert.Throws<SequorException>(() => unbuilt.Save(dir.File("m.keras")));
        Assert.Contains("m.keras", e.Message);
        Assert.Equal(original, File.ReadAllBytes(dir.File("m.keras")));
        Assert.Equal(["m.keras"], Directory.GetFiles(dir.Path).Select(p => Path.GetFileName(p)!).ToArray());
    }

    /// <summary>
    /// 12,000 mutations (bytes flipped, overwritten with extreme values, or the file cut short) of small
    /// .h5 and .keras files that Sequor wrote, read from memory: each either loads or fails with one
    /// SequorException naming the file. Deterministic seed; the whole run is bounded in time.
    /// </summary>
    [Fact]
    public async Task FuzzedFilesFailCleanly()
    {
        // As small as possible while keeping every structure Keras files have: a recurrent cell group, a
        // weightless layer (float64 empty weight_names), nested dataset paths. Loading costs about 1 ms.
        var model = new Sequential([new SimpleRNN(2), new Dropout(0.5f), new Dense(1)], seed: 3);
        model.Build([3, 2]);
        var sources = new (string Name, byte[] Bytes, Func<Stream, Sequential> Read)[]
        {
            ("fuzz.h5", Bytes(s => LegacyH5.Write(model, s)), s => LegacyH5.Read(s, null)),
            ("fuzz.keras", Bytes(s => KerasArchive.Write(model, s)), s => KerasArchive.Read(s, null)),
        };
        const int perSource = 6_000;
        var failures = new List<string>();
        int loaded = 0, rejected = 0;
        var slowest = TimeSpan.Zero;
        string current = "", slowestMutation = "";
        var run = Task.Run(() =>
        {
            var random = new Random(20260);
            var clock = new Stopwatch();
            foreach (var (name, original, read) in sources)
                for (int i = 0; i < perSource && failures.Count < 40; i++)
                {
                    var bytes = Mutate(original, random, out string mutation);
                    current = $"{name} #{i} ({mutation})";
                    clock.Restart();
                    try
                    {
                        ModelFile.Read(new MemoryStream(bytes, writable: false), name, read);
                        loaded++;
                    }
                    catch (SequorException e) when (e.Message.StartsWith($"file '{name}': ", StringComparison.Ordinal) && !e.Message.Contains('\n'))
                    {
                        rejected++;
                    }
                    catch (Exception e)
                    {
                        failures.Add($"{name} #{i} ({mutation}): {e.GetType().Name}: {e.Message}" + (failures.Count < 40 ? e.StackTrace?.Split("\n").FirstOrDefault() : ""));
                    }
                    if (clock.Elapsed > slowest) (slowest, slowestMutation) = (clock.Elapsed, current);
                }
        });
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(50)));
        Assert.True(finished == run, $"fuzzing did not finish within 50 s: at {current}, {loaded} loaded, {rejected} rejected, slowest {slowest} at {slowestMutation}");
        await run;
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(2 * perSource, loaded + rejected);
        Assert.True(rejected > perSource, $"only {rejected} of {2 * perSource} mutations were rejected");
        Assert.True(slowest < TimeSpan.FromSeconds(5), $"{slowestMutation} took {slowest}");
    }

    private static byte[] Mutate(byte[] original, Random random, out string mutation)
    {
        var bytes = (byte[])original.Clone();
        switch (random.Next(4))
        {
            case 0:
                int cut = random.Next(bytes.Length);
                mutation = $"truncated at {cut}";
                return bytes[..cut];
            case 1:
                int flips = 1 + random.Next(8);
                mutation = $"{flips} bytes randomized";
                for (int k = 0; k < flips; k++) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                return bytes;
            case 2:
                // Lengths, offsets and dimensions are 4- or 8-byte fields: make one huge or negative.
                int at = random.Next(bytes.Length - 8);
                byte fill = random.Next(2) == 0 ? (byte)0xFF : (byte)0x7F;
                int width = random.Next(2) == 0 ? 4 : 8;
                mutation = $"{width} bytes at {at} set to 0x{fill:X2}";
                for (int k = 0; k < width; k++) bytes[at + k] = fill;
                return bytes;
            default:
                int bit = random.Next(bytes.Length * 8);
                mutation = $"bit {bit} flipped";
                bytes[bit / 8] ^= (byte)(1 << (bit % 8));
                return bytes;
        }
    }
}
