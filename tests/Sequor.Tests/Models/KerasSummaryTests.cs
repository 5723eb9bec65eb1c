using System.Diagnostics;
using System.Globalization;
using Sequor.Layers;
using Sequor.Tests.Formats;
using Sequor.Training;

namespace Sequor.Tests.Models;

/// <summary>
/// <c>summary</c> against Keras's own printed text: Fixtures/Keras/Summary holds models saved by Keras 3.6.0 — trained one
/// step (optimizer built), compiled only, not compiled, and of open length — with Keras 3.15.1's <c>model.summary()</c>
/// of each file, written by tests/fixtures-src/keras/make_summary_fixtures.py.
/// </summary>
public class KerasSummaryTests
{
    private static string FixtureDirectory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Keras", "Summary");

    public static TheoryData<string> Fixtures() =>
        new(Directory.GetFiles(FixtureDirectory, "*.keras").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).ToArray()!);

    [Theory, MemberData(nameof(Fixtures))]
    public void SummaryOfAKerasFileIsKerassOwnText(string fixture)
    {
        using var model = Sequential.Load(Path.Combine(FixtureDirectory, fixture + ".keras"));
        Assert.Equal(File.ReadAllText(Path.Combine(FixtureDirectory, fixture + ".summary.txt")), model.SummaryText());
    }

    [Fact]
    public void FixturesShowOptimizerParamsForEveryCompiledModelAndNoneForAnUncompiledOne()
    {
        foreach (var file in Directory.GetFiles(FixtureDirectory, "*.summary.txt"))
            Assert.Equal(!file.Contains("softmax", StringComparison.Ordinal), File.ReadAllText(file).Contains(" Optimizer params: ", StringComparison.Ordinal));
    }

    /// <summary>
    /// Keras adds the line once the optimizer is built — by its first step here — and counts iteration, learning rate
    /// and RMSprop's one velocity per weight into the total. Keras 3.15.1 prints, for the chapter's LSTM model trained
    /// with RMSprop (../shared/data best-lstm-model.keras): Total 17,620 (68.83 KB), Optimizer params 8,811 (34.42 KB).
    /// </summary>
    [Fact]
    public void CompiledModelShowsKerassOptimizerParamsOnceItHasStepped()
    {
        using var model = new Sequential(new Embedding(500, 16), new LSTM(8), new Dense(1, Activation.Sigmoid));
        model.Build([100]);
        model.Compile(new RMSprop(), Loss.BinaryCrossentropy);
        Assert.DoesNotContain("Optimizer params", model.SummaryText());

        var x = new Tensor(Enumerable.Range(0, 400).Select(i => (Real)(i % 500)).ToArray(), 4, 100);
        model.Fit(x, new Tensor([0, 1, 0, 1], 4, 1), epochs: 1, batchSize: 4, verbose: 0);
        var text = model.SummaryText();
        Assert.EndsWith("""
             Total params: 17,620 (68.83 KB)
             Trainable params: 8,809 (34.41 KB)
             Non-trainable params: 0 (0.00 B)
             Optimizer params: 8,811 (34.42 KB)

            """.ReplaceLineEndings("\n"), text);
    }

    private static string KerasPython => Path.Combine(SharedData.Root ?? "/nonexistent", "tools", "keras", "keras-python");

    /// <summary>
    /// The other way: a model of open length that Sequor trained (Adam) and saved; real Keras 3.15.1 opens the file,
    /// prints the same summary (None time axis, Optimizer params) and predicts the same at a length it never saw.
    /// </summary>
    [SkippableFact]
    public void KerasPrintsTheSameSummaryForAnOpenLengthModelSequorTrained()
    {
        Skip.If(!File.Exists(KerasPython), "../shared/tools/keras/keras-python is absent: real Keras is not here");
        var probe = Formats.RealKeras.Run(KerasPython, "-c", "import numpy, h5py, scipy, keras");
        Skip.If(probe.Exit != 0, $"real Keras 3.15.1 cannot start here (numpy, h5py or scipy missing?): {probe.Error.Trim().Split('\n')[^1]}");

        using var folder = new TempDirectory();
        string path = folder.File("trained.keras");
        using (var model = Sequential.Load(Path.Combine(FixtureDirectory, "open_length_masked_lstm_gru_trained.keras")))
        {
            model.Compile(new Adam(0.01f), Loss.BinaryCrossentropy);
            var random = new Random(2);
            var x = new Tensor(Enumerable.Range(0, 32 * 9).Select(_ => (Real)random.Next(50)).ToArray(), 32, 9);
            model.Fit(x, new Tensor(Enumerable.Range(0, 32).Select(i => (Real)(i % 2)).ToArray(), 32, 1), epochs: 2, batchSize: 8, verbose: 0);
            model.Save(path);
        }
        using var loaded = Sequential.Load(path);
        var ids = new Tensor([0, 0, 3, 4, 5, 1, 2, 3, 4, 5], 2, 5);
        var predicted = loaded.Predict(ids);

        string script = $"import sys, numpy, keras\nm = keras.saving.load_model('{path}')\n"
            + "l = []\nm.summary(print_fn=lambda t, line_break=False: l.append(t))\nsys.stdout.write(''.join(l))\n"
            + "print(' '.join(repr(float(v)) for v in m.predict(numpy.array([[0, 0, 3, 4, 5], [1, 2, 3, 4, 5]]), verbose=0).ravel()))\n";
        var (exit, output, error) = Formats.RealKeras.Run(KerasPython, "-c", script);
        Assert.True(exit == 0, error);
        string summary = loaded.SummaryText();
        Assert.StartsWith(summary, output);
        Assert.Contains("(None, None, 8)", summary);
        Assert.Contains(" Optimizer params: 1,468 (5.73 KB)", summary);  // iteration, learning rate, Adam's two slots of 733
        var keras = output[summary.Length..].Trim().Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(2, keras.Length);
        for (int i = 0; i < 2; i++) Assert.True(Math.Abs(keras[i] - predicted.Span[i]) < 1e-5, $"row {i}: Keras {keras[i]}, Sequor {predicted.Span[i]}");
    }
}
