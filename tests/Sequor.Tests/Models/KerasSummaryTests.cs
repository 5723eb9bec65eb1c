using Sequor.Layers;
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
}
