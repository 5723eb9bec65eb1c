using System.Text.Json.Nodes;

namespace Sequor.Tests.Cli;

public class CommandTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sequor-cli-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void SummaryOfTheLstmPresetPrintsKerasTotal()
    {
        var (exit, output, _) = CliRunner.Run("summary", "lstm");
        Assert.Equal(0, exit);
        Assert.Contains("Total params: 8,809", output);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("train", "--help")]
    public void HelpNamesTheCommandSequor(params string[] args)
    {
        var (exit, output, _) = CliRunner.Run(args);
        Assert.Equal(0, exit);
        Assert.Contains("sequor", output);
        Assert.DoesNotContain("Sequor.Cli", output);
    }

    [Fact]
    public void AParseErrorPointsToTheSubcommandsHelp()
    {
        var (exit, _, error) = CliRunner.Run("train", "--model", "lstm", "--epochs", "many");
        Assert.Equal(2, exit);
        Assert.Contains("(see sequor train --help)", error);
    }

    [Fact]
    public void AWrongChoiceListsTheAllowedValuesOnOneLineWithoutTabs()
    {
        var (exit, _, error) = CliRunner.Run("train", "--model", "lstm", "--optimizer", "adagrad");
        Assert.Equal(2, exit);
        Assert.Equal("sequor: Argument 'adagrad' not recognized. Must be one of: 'rmsprop', 'adam', 'sgd' (see sequor train --help)",
            error.TrimEnd());
    }

    [Fact]
    public void AnUnknownModelIsRefusedBeforeTheDataIsLoaded()
    {
        // before the fix the bundled sample was loaded (after a download attempt) and only then was the typo named
        var downloads = new NoNetwork();
        var (exit, _, error) = CliRunner.RunWith(downloads, "train", "--model", "lstmm", "--epochs", "1");
        Assert.Equal(1, exit);
        Assert.StartsWith("sequor: --model 'lstmm': not a preset", error);
        Assert.Equal(0, downloads.Requests);
        Assert.DoesNotContain("bundled", error);
    }

    public static TheoryData<string[], string> UserErrors => new()
    {
        { ["summary", "transformer"], "neither a preset" },
        { ["train", "--model", "lstm", "--data", "/no/such/imdb.npz"], "no such file" },
        { ["train", "--model", "/no/such/model.keras"], "--model '/no/such/model.keras': no such file" },
        { ["train", "--model", "lstm", "--epochs", "many"], "--epochs" },
        { ["train", "--model", "lstm", "--optimizer", "adagrad"], "adagrad" },
        { ["train", "--model", "lstm", "--lr", "-1", "--data", "/dev/null"], "--lr" },
        { ["predict", "/no/such/model.keras", "--input", "x.json"], "model.keras" },
        { ["evaluate", "/no/such/model.h5"], "model.h5" },
        { ["frobnicate"], "frobnicate" },
    };

    [Theory, MemberData(nameof(UserErrors))]
    public void EveryUserErrorIsOneLineOnStandardErrorWithANonZeroExit(string[] args, string mentioned)
    {
        var (exit, _, error) = CliRunner.Run(args);
        Assert.NotEqual(0, exit);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("sequor: ", lines[0]);
        Assert.Contains(mentioned, lines[0]);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void NoNetworkAndNoDataFileFallsBackToTheBundledSampleAndSaysSo() => WithEmptyHome(home =>
    {
        // an empty home (no Sequor cache, no ~/.keras) and a download that fails as without a route
        var network = new NoNetwork();
        var (exit, output, error) = CliRunner.RunWith(network, "data", "stats");
        Assert.True(exit == 0, error);
        Assert.Equal(1, network.Requests);
        Assert.Contains("Network is unreachable", error);
        Assert.Contains("using the bundled IMDB sample", error);
        Assert.Contains("--data /path/to/imdb.npz", error);
        Assert.Contains("a 5,000-review sample; the chapter used 25,000", output);
        Assert.Contains("4000", output.Replace(",", ""));  // 80 % of the sample's 5,000 training reviews
    });

    [Fact]
    public void ReproduceOfflineWritesAReportThatSaysItUsedTheBundledSample() => WithEmptyHome(home =>
    {
        string outFolder = Path.Combine(home, "reproduce");
        var network = new NoNetwork();
        var (exit, _, error) = CliRunner.RunWith(network, "reproduce", "--epochs", "2", "--models", "lstm", "--out", outFolder);
        Assert.True(exit == 0, error);
        Assert.Equal(1, network.Requests);
        string report = File.ReadAllText(Path.Combine(outFolder, "report.md"));
        string dataLine = report.Split('\n').First(l => l.StartsWith("Data:", StringComparison.Ordinal));
        Assert.Contains("a 5,000-review sample; the chapter used 25,000", dataLine);
        // two epochs at RMSprop 1e-4 leave the LSTM where always answering the majority class would be: the report says so
        Assert.Contains("| lstm | 500 | 8,809 | 2 | 2 |", report);
        Assert.Contains("(chance) |", report);
        Assert.Contains("\n- lstm: best val accuracy 0.", report);
        Assert.Contains("against 0.5320 for always answering the majority class; it used all 2 epochs.", report);
    });

    [Fact]
    public void ADownloadShowsBytesAndSpeedAndABadDownloadIsRefusedNotCached() => WithEmptyHome(home =>
    {
        // 3 MB that are not Keras's imdb.npz: the progress shows, the SHA-256 check refuses it, the sample is used
        var (exit, output, error) = CliRunner.RunWith(new FakeServer(new byte[3_000_000]), "data", "stats");
        Assert.True(exit == 0, error);
        var lines = error.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("downloading imdb.npz [====================] 3.0 / 3.0 MB at ", StringComparison.Ordinal) && l.Contains(" MB/s"));
        Assert.Contains("hash", error);
        Assert.Contains("using the bundled IMDB sample", error);
        Assert.Contains("a 5,000-review sample", output);
        Assert.False(File.Exists(Path.Combine(home, "datasets", "imdb.npz")));
        Assert.Empty(Directory.Exists(Path.Combine(home, "datasets")) ? Directory.GetFiles(Path.Combine(home, "datasets")) : []);
    });

    private void WithEmptyHome(Action<string> body)
    {
        string home = Directory.CreateDirectory(Path.Combine(folder, "home")).FullName;
        string? savedHome = Environment.GetEnvironmentVariable("HOME"), savedSequor = Environment.GetEnvironmentVariable("SEQUOR_HOME");
        try
        {
            Environment.SetEnvironmentVariable("HOME", home);
            Environment.SetEnvironmentVariable("SEQUOR_HOME", home);
            body(home);
        }
        finally
        {
            Environment.SetEnvironmentVariable("HOME", savedHome);
            Environment.SetEnvironmentVariable("SEQUOR_HOME", savedSequor);
        }
    }

    [SkippableFact]
    public void PredictOnARealKerasFilePrintsTheExpectedOutputs()
    {
        Skip.If(SharedData.Root is null, "../shared/data is absent (a fresh machine outside this workspace): the real Keras files are not here");
        string model = SharedData.File("data", "keras-models", "cnjxkdrk__hongong", "best-gru-model.h5")!;
        var expected = JsonNode.Parse(File.ReadAllText(SharedData.File("data", "keras-models", "expected", "cnjxkdrk__hongong", "best-gru-model.h5.json")!))!;
        string input = Path.Combine(folder, "inputs.json");
        File.WriteAllText(input, expected["inputs"]!.ToJsonString());

        var (exit, output, error) = CliRunner.Run("predict", model, "--input", input);
        Assert.True(exit == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var values = expected["expected"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        Assert.Equal(values.Length, lines.Length);
        for (int i = 0; i < values.Length; i++)
            Assert.True(Math.Abs(double.Parse(lines[i], System.Globalization.CultureInfo.InvariantCulture) - values[i]) <= 1e-4, $"row {i}: {lines[i]} vs {values[i]}");
    }

    [SkippableFact]
    public void PredictWithOutputWritesTheSameLinesToTheFile()
    {
        Skip.If(SharedData.Root is null, "../shared/data is absent (a fresh machine outside this workspace): the real Keras files are not here");
        string model = SharedData.File("data", "keras-models", "cnjxkdrk__hongong", "best-gru-model.h5")!;
        var expected = JsonNode.Parse(File.ReadAllText(SharedData.File("data", "keras-models", "expected", "cnjxkdrk__hongong", "best-gru-model.h5.json")!))!;
        string input = Path.Combine(folder, "inputs.json"), written = Path.Combine(folder, "predictions.txt");
        File.WriteAllText(input, expected["inputs"]!.ToJsonString());

        var (exit, output, error) = CliRunner.Run("predict", model, "--input", input, "--output", written);
        Assert.True(exit == 0, error);
        var lines = File.ReadAllLines(written);
        Assert.Equal(expected["expected"]!.AsArray().Count, lines.Length);
        Assert.Equal(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), lines);
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    [Fact]
    public void TrainOnACsvOfLabelledTextThenPredictRawReviewsWithLabelNames()
    {
        var random = new Random(3);
        string[] good = ["wonderful", "great", "superb", "moving"], bad = ["awful", "boring", "dreadful", "weak"], filler = ["the", "film", "plot", "actor", "scene", "story", "and", "was"];
        var csv = new System.Text.StringBuilder("review,sentiment\n");
        for (int i = 0; i < 300; i++)
        {
            bool positive = i % 2 == 0;
            var words = Enumerable.Range(0, 20).Select(_ => random.NextDouble() < 0.2 ? (positive ? good : bad)[random.Next(4)] : filler[random.Next(filler.Length)]);
            csv.Append('"').Append(string.Join(' ', words)).Append("\",").Append(positive ? "pos" : "neg").Append('\n');
        }
        string data = Path.Combine(folder, "reviews.csv");
        File.WriteAllText(data, csv.ToString());
        string checkpoint = Path.Combine(folder, "text.keras");
        var (exit, _, error) = CliRunner.Run("train", "--model", "gru", "--data", data, "--text-column", "review", "--label-column", "sentiment",
            "--num-words", "50", "--maxlen", "20", "--epochs", "12", "--optimizer", "adam", "--lr", "0.01", "--checkpoint", checkpoint);
        Assert.True(exit == 0, error);

        string reviews = Path.Combine(folder, "new.txt");
        File.WriteAllLines(reviews, ["a wonderful superb film", "an awful boring dreadful plot"]);
        var (predictExit, output, predictError) = CliRunner.Run("predict", checkpoint, "--input", reviews);
        Assert.True(predictExit == 0, predictError);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("\tpos", lines[0]);
        Assert.EndsWith("\tneg", lines[1]);

        var (evaluateExit, evaluation, _) = CliRunner.Run("evaluate", checkpoint, "--data", data, "--text-column", "review", "--label-column", "sentiment");
        Assert.Equal(0, evaluateExit);
        Assert.Matches(@"^300 samples - loss: \d\.\d{4} - accuracy: \d\.\d{4}", evaluation);
    }

    [Fact]
    public void MoreThanTwoLabelsTrainASoftmaxHeadAndPredictPrintsTheirNames()
    {
        var random = new Random(5);
        string[][] cue = [["sunny", "bright"], ["rainy", "wet"], ["snowy", "cold"]];
        string[] names = ["sun", "rain", "snow"], filler = ["today", "the", "weather", "is", "quite", "very"];
        var tsv = new System.Text.StringBuilder("label\ttext\n");
        for (int i = 0; i < 240; i++)
        {
            int k = i % 3;
            var words = Enumerable.Range(0, 12).Select(_ => random.NextDouble() < 0.3 ? cue[k][random.Next(2)] : filler[random.Next(filler.Length)]);
            tsv.Append(names[k]).Append('\t').Append(string.Join(' ', words)).Append('\n');
        }
        string data = Path.Combine(folder, "weather.tsv");
        File.WriteAllText(data, tsv.ToString());
        string checkpoint = Path.Combine(folder, "weather.keras");
        var (exit, _, error) = CliRunner.Run("train", "--model", "lstm", "--data", data, "--num-words", "30", "--maxlen", "12",
            "--epochs", "25", "--optimizer", "adam", "--lr", "0.02", "--patience", "5", "--checkpoint", checkpoint);
        Assert.True(exit == 0, error);
        var (summaryExit, summary, _) = CliRunner.Run("summary", checkpoint);
        Assert.Equal(0, summaryExit);
        Assert.Contains("(None, 3)", summary);

        string input = Path.Combine(folder, "days.txt");
        File.WriteAllLines(input, ["today is very sunny and bright", "the weather is rainy and wet", "quite cold and snowy"]);
        var (predictExit, output, predictError) = CliRunner.Run("predict", checkpoint, "--input", input);
        Assert.True(predictExit == 0, predictError);
        var labels = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')[1]).ToArray();
        Assert.Equal(["sun", "rain", "snow"], labels);
    }

    [Fact]
    public void AnAclImdbFolderTrainsOnTrainAndEvaluatesOnTest()
    {
        string root = Path.Combine(folder, "aclImdb");
        var random = new Random(8);
        foreach (var split in new[] { "train", "test" })
            foreach (var (label, words) in new[] { ("pos", new[] { "great", "loved" }), ("neg", new[] { "bad", "hated" }) })
            {
                string dir = Directory.CreateDirectory(Path.Combine(root, split, label)).FullName;
                for (int i = 0; i < 40; i++)
                    File.WriteAllText(Path.Combine(dir, $"{i}_7.txt"),
                        string.Join(' ', Enumerable.Range(0, 15).Select(_ => random.NextDouble() < 0.25 ? words[random.Next(2)] : "film")) + "<br /><br />The end.");
            }
        string checkpoint = Path.Combine(folder, "acl.h5");
        var (exit, _, error) = CliRunner.Run("train", "--model", "gru", "--data", root, "--num-words", "20", "--maxlen", "16",
            "--epochs", "15", "--batch-size", "8", "--optimizer", "adam", "--lr", "0.02", "--checkpoint", checkpoint);
        Assert.True(exit == 0, error);
        var (evaluateExit, evaluation, evaluateError) = CliRunner.Run("evaluate", checkpoint, "--data", root);
        Assert.True(evaluateExit == 0, evaluateError);
        var accuracy = double.Parse(System.Text.RegularExpressions.Regex.Match(evaluation, @"accuracy: (\d\.\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.StartsWith("80 samples", evaluation);
        Assert.True(accuracy > 0.8, evaluation);
    }

    [Fact]
    public void AKerasConfigJsonTrainsWithTheGivenSequenceLength()
    {
        using (var source = new Sequential([new Sequor.Layers.Embedding(500, 8), new Sequor.Layers.GRU(4), new Sequor.Layers.Dense(1, Sequor.Layers.Activation.Sigmoid)], seed: 1))
        {
            source.Build([30]);
            source.Save(Path.Combine(folder, "source.keras"));
        }
        string config = Path.Combine(folder, "config.json");
        using (var archive = System.IO.Compression.ZipFile.OpenRead(Path.Combine(folder, "source.keras")))
            System.IO.Compression.ZipFileExtensions.ExtractToFile(archive.GetEntry("config.json")!, config);
        string data = SyntheticImdb.Write(folder, train: 100, test: 20);
        string checkpoint = Path.Combine(folder, "from-config.keras");
        var (exit, _, error) = CliRunner.Run("train", "--model", config, "--data", data, "--maxlen", "40", "--epochs", "1", "--checkpoint", checkpoint);
        Assert.True(exit == 0, error);
        var (_, summary, _) = CliRunner.Run("summary", checkpoint);
        Assert.Contains("(None, 40, 8)", summary);
        Assert.Contains("Trainable params: 4,173", summary);
        Assert.Contains("Optimizer params: 4,175", summary);  // the checkpoint is compiled: iteration, learning rate, RMSprop's velocities
        Assert.Contains("Total params: 8,348", summary);
    }
}

/// <summary>What --help and the errors tell a person: defaults, numbers without noise, no .NET type names.</summary>
public class HelpAndMessageTests
{
    /// <summary>Every command path the help lists (sequor data stats, sequor train, …): a command added later is checked too.</summary>
    public static TheoryData<string> Commands()
    {
        var data = new TheoryData<string>();
        foreach (var name in Subcommands("--help"))
        {
            var subs = Subcommands(name, "--help");
            if (subs.Length == 0) data.Add(name);
            foreach (var sub in subs) data.Add(name + " " + sub);
        }
        return data;
    }

    private static string[] Subcommands(params string[] help) => CliRunner.Run(help).Out.Split('\n')
        .SkipWhile(l => !l.StartsWith("Commands:", StringComparison.Ordinal)).Skip(1)
        .Select(l => l.Trim().Split(' ', 2)[0]).TakeWhile(n => n.Length > 0).ToArray();

    [Theory, MemberData(nameof(Commands))]
    public void EveryOptionInHelpShowsItsDefaultOrIsRequired(string command)
    {
        var (exit, output, _) = CliRunner.Run([.. command.Split(' '), "--help"]);
        Assert.Equal(0, exit);
        var options = output.Split('\n').Where(l => l.StartsWith("  --", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(options);
        Assert.All(options, l => Assert.True(l.Contains("[default: ", StringComparison.Ordinal) || l.Contains("(REQUIRED)", StringComparison.Ordinal), $"sequor {command}: {l.Trim()}"));
    }

    [Fact]
    public void DataStatsHelpGivesTheDefaultItUsesNotThePresetsOne()
    {
        // data stats takes no --model: "300 for the SimpleRNN presets" named presets it cannot be given
        var (_, output, _) = CliRunner.Run("data", "stats", "--help");
        var line = output.Split('\n').Single(l => l.TrimStart().StartsWith("--num-words", StringComparison.Ordinal));
        Assert.EndsWith("[default: 500]", line.TrimEnd());
    }

    [Theory]
    [InlineData("--lr", "abc", "expected a number")]
    [InlineData("--epochs", "1.5", "expected a whole number")]
    [InlineData("--threads", "x", "expected a whole number")]
    public void AValueOfTheWrongKindIsExplainedWithoutDotNetTypeNames(string option, string value, string explained)
    {
        var (exit, _, error) = CliRunner.Run("train", "--model", "lstm", option, value);
        Assert.Equal(2, exit);
        Assert.Contains($"'{value}' for option '{option}': {explained}", error);
        Assert.DoesNotContain("System.", error);
        Assert.DoesNotContain("Nullable", error);
    }

    [Theory]
    [InlineData(492.0999999999999, "492.1")]
    [InlineData(939.0299999999993, "939.03")]
    [InlineData(181.5, "181.5")]
    [InlineData(130, "130")]
    public void PercentilesPrintWithoutFloatNoise(double value, string printed) =>
        Assert.Equal(printed, Sequor.Cli.Commands.DataCommand.Number(value));
}
