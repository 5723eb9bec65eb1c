using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using PureHDF;
using Sequor.Formats;
using Sequor.Layers;
using Sequor.Training;

namespace Sequor.Tests.Formats;

/// <summary>
/// Compile settings and optimizer state travel with the model: a model trained a few steps,
/// saved as .keras or .h5 and loaded, continues training bit-identically to the original — so the optimizer's
/// hyper-parameters, slots and iteration count all round-trip. A state that cannot be restored gives one
/// warning line and a usable model.
/// </summary>
public class OptimizerStateTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var optimizer in Optimizers.Keys)
            foreach (var extension in new[] { ".keras", ".h5" })
                data.Add(optimizer, extension);
        return data;
    }

    private static readonly Dictionary<string, Func<Optimizer>> Optimizers = new()
    {
        ["rmsprop"] = () => new RMSprop(0.01f),
        ["rmsprop-momentum-centered"] = () => new RMSprop(0.01f, rho: 0.8f, momentum: 0.5f, centered: true),
        ["rmsprop-global-clipnorm"] = () => new RMSprop(0.02f, momentum: 0.25f, globalClipnorm: 0.5f),
        ["adam"] = () => new Adam(0.01f),
        ["adam-amsgrad"] = () => new Adam(0.01f, beta1: 0.8f, beta2: 0.99f, epsilon: 1e-6f, amsgrad: true, clipvalue: 0.1f),
        ["sgd"] = () => new SGD(0.1f),
        ["sgd-momentum"] = () => new SGD(0.1f, momentum: 0.9f, clipnorm: 1f),
        ["sgd-nesterov"] = () => new SGD(0.1f, momentum: 0.8f, nesterov: true),
    };

    private static (Tensor X, Tensor Y) Data()
    {
        var random = new Random(5);
        var ids = Enumerable.Range(0, 12).Select(_ => Enumerable.Range(0, 6).Select(_ => random.Next(1, 20)).ToArray()).ToArray();
        var y = new Tensor(Enumerable.Range(0, 12).Select(i => (Real)(i % 2)).ToArray(), 12, 1);
        return (Tensor.FromIds(ids), y);
    }

    private static Sequential TrainedModel(Optimizer optimizer, int steps)
    {
        var model = new Sequential([new Embedding(20, 4), new Bidirectional(new GRU(3, returnSequences: true)), new LSTM(3), new Dense(1, Activation.Sigmoid)], seed: 11);
        model.Compile(optimizer, Loss.BinaryCrossentropy, Metric.Accuracy, Metric.Precision);
        var (x, y) = Data();
        model.Fit(x, y, epochs: steps, batchSize: 12, verbose: 0, shuffle: false);
        return model;
    }

    private static void Step(Sequential model)
    {
        var (x, y) = Data();
        model.Fit(x, y, epochs: 1, batchSize: 12, verbose: 0, shuffle: false);
    }

    private static Sequential Load(string path, out string warnings)
    {
        var writer = new StringWriter();
        var model = ModelFile.Load(path, null, writer);
        warnings = writer.ToString();
        return model;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrainingResumesBitIdenticallyAfterSaveAndLoad(string optimizer, string extension)
    {
        var original = TrainedModel(Optimizers[optimizer](), steps: 3);
        using var dir = new TempDirectory();
        string path = dir.File("model" + extension);
        original.Save(path);

        var loaded = Load(path, out var warnings);
        Assert.True(warnings.Length == 0, warnings);
        Assert.Equal(original.Optimizer!.GetType(), loaded.Optimizer!.GetType());
        Assert.Equal(3, loaded.Optimizer.Iterations);
        Assert.Equal(original.Optimizer.LearningRate, loaded.Optimizer.LearningRate);
        Assert.Equal(original.Optimizer.Clipnorm, loaded.Optimizer.Clipnorm);
        Assert.Equal(original.Optimizer.Clipvalue, loaded.Optimizer.Clipvalue);
        Assert.Equal(original.Optimizer.GlobalClipnorm, loaded.Optimizer.GlobalClipnorm);
        Assert.Equal(original.Loss!.Name, loaded.Loss!.Name);
        Assert.Equal(original.Metrics.Select(m => m.Name), loaded.Metrics.Select(m => m.Name));
        Assert.Equal(original.Optimizer.State.Select(s => s.ToArray()), loaded.Optimizer.State.Select(s => s.ToArray()));

        Step(original);
        Step(loaded);
        Assert.Equal(4, loaded.Optimizer.Iterations);
        var expected = original.GetWeights();
        var actual = loaded.GetWeights();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i].Span.ToArray(), actual[i].Span.ToArray());
        Assert.Equal(original.Optimizer.State.Select(s => s.ToArray()), loaded.Optimizer.State.Select(s => s.ToArray()));
    }

    [Fact]
    public void HyperParametersRoundTrip()
    {
        using var dir = new TempDirectory();
        foreach (var extension in new[] { ".keras", ".h5" })
        {
            var model = TrainedModel(new RMSprop(0.003f, rho: 0.7f, momentum: 0.3f, epsilon: 1e-5f, centered: true, clipnorm: 2f), steps: 1);
            model.Save(dir.File("m" + extension));
            var r = Assert.IsType<RMSprop>(Load(dir.File("m" + extension), out _).Optimizer);
            Assert.Equal((0.003f, 0.7f, 0.3f, 1e-5f, true, (Real?)2f), (r.LearningRate, r.Rho, r.Momentum, r.Epsilon, r.Centered, r.Clipnorm));

            model = TrainedModel(new Adam(0.004f, beta1: 0.85f, beta2: 0.95f, epsilon: 1e-4f, amsgrad: true, globalClipnorm: 3f), steps: 1);
            model.Save(dir.File("a" + extension));
            var a = Assert.IsType<Adam>(Load(dir.File("a" + extension), out _).Optimizer);
            Assert.Equal((0.004f, 0.85f, 0.95f, 1e-4f, true, (Real?)3f), (a.LearningRate, a.Beta1, a.Beta2, a.Epsilon, a.Amsgrad, a.GlobalClipnorm));

            model = TrainedModel(new SGD(0.2f, momentum: 0.6f, nesterov: true, clipvalue: 0.5f), steps: 1);
            model.Save(dir.File("s" + extension));
            var s = Assert.IsType<SGD>(Load(dir.File("s" + extension), out _).Optimizer);
            Assert.Equal((0.2f, 0.6f, true, (Real?)0.5f), (s.LearningRate, s.Momentum, s.Nesterov, s.Clipvalue));
        }
    }

    [Fact]
    public void CompiledButUntrainedModelSavesFreshStateAndLoadsCompiled()
    {
        using var dir = new TempDirectory();
        var model = new Sequential([new Embedding(20, 4), new LSTM(3), new Dense(1, Activation.Sigmoid)], seed: 2);
        model.Build([6]);
        model.Compile(new Adam(0.01f), Loss.BinaryCrossentropy, Metric.Accuracy);
        foreach (var name in new[] { "m.keras", "m.h5" })
        {
            model.Save(dir.File(name));
            var loaded = Load(dir.File(name), out var warnings);
            Assert.True(warnings.Length == 0, warnings);
            Assert.IsType<Adam>(loaded.Optimizer);
            Assert.Equal(0, loaded.Optimizer!.Iterations);
            var copy = new Sequential([new Embedding(20, 4), new LSTM(3), new Dense(1, Activation.Sigmoid)], seed: 2);
            copy.Build([6]);
            copy.Compile(new Adam(0.01f), Loss.BinaryCrossentropy, Metric.Accuracy);
            Step(copy);
            Step(loaded);
            Assert.Equal(copy.GetWeights().Select(w => w.Span.ToArray()), loaded.GetWeights().Select(w => w.Span.ToArray()));
        }
    }

    /// <summary>What Keras reads: compile_config and optimizer/vars in .keras; training_config and optimizer_weights in .h5.</summary>
    [Fact]
    public void WrittenFilesHaveKerasKeysAndLayouts()
    {
        var model = TrainedModel(new Adam(0.01f, amsgrad: true), steps: 2);
        int variables = model.TrainableWeights().Length;
        using var dir = new TempDirectory();
        model.Save(dir.File("m.keras"));
        model.Save(dir.File("m.h5"));

        using (var zip = ZipFile.OpenRead(dir.File("m.keras")))
        {
            var compile = JsonNode.Parse(zip.GetEntry("config.json")!.Open())!["compile_config"]!;
            Assert.Equal("keras.optimizers", (string?)compile["optimizer"]!["module"]);
            Assert.Equal("Adam", (string?)compile["optimizer"]!["class_name"]);
            var config = compile["optimizer"]!["config"]!;
            Assert.Equal("adam", (string?)config["name"]);
            Assert.Equal(0.009999999776482582, (double)config["learning_rate"]!);
            Assert.Equal(0.9, (double)config["beta_1"]!);
            Assert.True((bool)config["amsgrad"]!);
            Assert.Equal("binary_crossentropy", (string?)compile["loss"]);
            Assert.Equal(["accuracy", "precision"], compile["metrics"]!.AsArray().Select(m => (string?)m));
            foreach (var key in new[] { "loss_weights", "weighted_metrics", "run_eagerly", "steps_per_execution", "jit_compile" })
                Assert.True(compile.AsObject().ContainsKey(key), key);

            using var weights = new MemoryStream();
            zip.GetEntry("model.weights.h5")!.Open().CopyTo(weights);
            weights.Position = 0;
            using var file = H5File.Open(weights, leaveOpen: true);
            var vars = file.Group("optimizer/vars");
            Assert.Equal("adam", vars.Attribute("name").Read<string>());
            Assert.Equal(2L, vars.Dataset("0").Read<long>());
            Assert.Equal(0.01f, vars.Dataset("1").Read<float>());
            Assert.Equal(2 + 3 * variables, vars.Children().Count());
            // Keras 3 order: m₀, v₀, m₁, v₁, …; slot 2 is m of the embeddings.
            Assert.Equal([20UL, 4UL], vars.Dataset("2").Space.Dimensions);
            Assert.Equal(model.Optimizer!.State[0], vars.Dataset("2").Read<float[]>());
            Assert.Equal(model.Optimizer!.State[1], vars.Dataset("3").Read<float[]>());
        }

        using (var file = H5File.OpenRead(dir.File("m.h5")))
        {
            // Keras 3's legacy writer: the compile config with the optimizer as optimizer_config {class_name, config}.
            var training = JsonNode.Parse(file.Attribute("training_config").Read<string>())!;
            Assert.Equal("Adam", (string?)training["optimizer_config"]!["class_name"]);
            Assert.Null(training["optimizer_config"]!["module"]);
            Assert.Null(training["optimizer"]);
            Assert.Equal(0.009999999776482582, (double)training["optimizer_config"]!["config"]!["learning_rate"]!);
            Assert.True((bool)training["optimizer_config"]!["config"]!["amsgrad"]!);
            Assert.Equal("binary_crossentropy", (string?)training["loss"]);
            Assert.Equal(["accuracy", "precision"], training["metrics"]!.AsArray().Select(m => (string?)m));

            // Keras 3's optimizer.variables in order: iteration, learning rate, then m₀, v₀, m₁, v₁, …, v̂.
            var group = file.Group("optimizer_weights");
            var names = group.Attribute("weight_names").Read<string[]>();
            Assert.Equal(2 + 3 * variables, names.Length);
            Assert.Equal(["adam/iteration", "adam/learning_rate"], names[..2]);
            Assert.Equal($"adam/{model.Name}_embedding_embeddings_momentum", names[2]);
            Assert.Equal($"adam/{model.Name}_embedding_embeddings_velocity", names[3]);
            Assert.EndsWith("_velocity_hat", names[^1]);
            Assert.Equal(2L, group.Dataset("adam/iteration").Read<long>());
            Assert.Equal(0.01f, group.Dataset("adam/learning_rate").Read<float>());
            Assert.Equal(model.Optimizer!.State[0], group.Dataset(names[2]).Read<float[]>());
            Assert.Equal(model.Optimizer!.State[1], group.Dataset(names[3]).Read<float[]>());
        }
    }

    [Theory]
    [InlineData(".keras")]
    [InlineData(".h5")]
    public void UnrestorableStateGivesOneWarningAndAUsableModel(string extension)
    {
        var model = TrainedModel(new Adam(0.01f, amsgrad: true), steps: 2);
        using var dir = new TempDirectory();
        string path = dir.File("m" + extension);
        model.Save(path);
        // The config now says Adam without amsgrad, so the stored state has one slot per variable too many.
        Patch(path, "\"amsgrad\":true", "\"amsgrad\":null");

        var loaded = Load(path, out var warnings);
        var lines = warnings.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith($"file '{path}': optimizer state of Adam (", lines[0]);
        Assert.Contains("not restored", lines[0]);
        Assert.EndsWith("training resumes with fresh optimizer state", lines[0].TrimEnd());

        var adam = Assert.IsType<Adam>(loaded.Optimizer);
        Assert.False(adam.Amsgrad);
        Assert.Equal(0, adam.Iterations);
        var (x, y) = Data();
        Assert.Equal(model.Predict(x).Span.ToArray(), loaded.Predict(x).Span.ToArray());
        Step(loaded);
        Assert.Equal(1, adam.Iterations);
    }

    [Theory]
    [InlineData(".keras")]
    [InlineData(".h5")]
    public void UnsupportedCompileSettingsGiveOneWarningAndAreKept(string extension)
    {
        var model = TrainedModel(new RMSprop(0.01f), steps: 1);
        using var dir = new TempDirectory();
        string path = dir.File("m" + extension);
        model.Save(path);
        Patch(path, "\"loss\":\"binary_crossentropy\"", "\"loss\":\"hinge______________\"");

        var loaded = Load(path, out var warnings);
        var line = Assert.Single(warnings.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"file '{path}': compile settings not restored (unknown loss 'hinge______________'", line);
        Assert.Null(loaded.Optimizer);
        var (x, _) = Data();
        Assert.Equal(model.Predict(x).Span.ToArray(), loaded.Predict(x).Span.ToArray());

        // Written back unchanged, in the same family, so nothing the file said is lost.
        string again = dir.File("again" + extension);
        loaded.Save(again);
        Load(again, out var second);
        Assert.Contains("hinge______________", second);
    }

    /// <summary>The step counts stored in the real files (read with h5py): iteration:0 in .h5, optimizer/vars/0 in .keras.</summary>
    public static TheoryData<string, long> RealFiles => new()
    {
        { "cnjxkdrk__hongong/best-2rnn-model.h5", 6886 },
        { "cnjxkdrk__hongong/best-dropout-model.h5", 15650 },
        { "cnjxkdrk__hongong/best-embedding-model.h5", 8451 },
        { "cnjxkdrk__hongong/best-gru-model.h5", 21597 },
        { "cnjxkdrk__hongong/best-lstm-model.h5", 9703 },
        { "cnjxkdrk__hongong/best-simplernn-model.h5", 10642 },
        { "siksik-0721__HonGongMLDL/best-2rnn-model.keras", 13459 },
        { "siksik-0721__HonGongMLDL/best-dropout-model.keras", 7825 },
        { "siksik-0721__HonGongMLDL/best-embedding-model.keras", 6886 },
        { "siksik-0721__HonGongMLDL/best-gru-model.keras", 9390 },
        { "siksik-0721__HonGongMLDL/best-lstm-model.keras", 9703 },
        { "siksik-0721__HonGongMLDL/best-simplernn-model.keras", 16589 },
    };

    /// <summary>
    /// The real Keras 2.11 .h5 (Keras 2.11 layout: iteration, then RMSprop velocities) and Keras 3.6 .keras files
    /// come back compiled with RMSprop(1e-4), binary cross-entropy and accuracy, their step count and velocities
    /// restored without a warning; saved by Sequor and loaded again, the state is unchanged.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(RealFiles))]
    public void RealFilesComeBackCompiledWithTheirRMSpropState(string file, long iterations)
    {
        var reference = RealKerasFileTests.Open(file);
        var model = Load(reference.Path, out var warnings);
        Assert.True(warnings.Length == 0, warnings);
        var rmsprop = Assert.IsType<RMSprop>(model.Optimizer);
        Assert.Equal(1e-4f, rmsprop.LearningRate);
        Assert.Equal((0.9f, 0f, 1e-7f, false), (rmsprop.Rho, rmsprop.Momentum, rmsprop.Epsilon, rmsprop.Centered));
        Assert.Equal("binary_crossentropy", model.Loss!.Name);
        Assert.Equal(["accuracy"], model.Metrics.Select(m => m.Name));
        Assert.Equal(iterations, rmsprop.Iterations);
        Assert.Equal(model.TrainableWeights().Length, rmsprop.State.Count);
        Assert.All(rmsprop.State, velocity => Assert.Contains(velocity, v => v > 0));
        Assert.All(rmsprop.State, velocity => Assert.DoesNotContain(velocity, v => v < 0 || !Real.IsFinite(v)));

        using var dir = new TempDirectory();
        foreach (var name in new[] { "copy.h5", "copy.keras" })
        {
            model.Save(dir.File(name));
            var again = Load(dir.File(name), out var second);
            Assert.Equal("", second);
            Assert.Equal(iterations, again.Optimizer!.Iterations);
            Assert.Equal(rmsprop.State.Select(s => s.ToArray()), again.Optimizer.State.Select(s => s.ToArray()));
        }
    }

    [Fact]
    public void PublicLoadWritesTheWarningToStandardError()
    {
        var model = TrainedModel(new Adam(0.01f, amsgrad: true), steps: 1);
        using var dir = new TempDirectory();
        string path = dir.File("m.keras");
        model.Save(path);
        Patch(path, "\"amsgrad\":true", "\"amsgrad\":null");
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try
        {
            Assert.NotNull(Sequential.Load(path).Optimizer);
        }
        finally
        {
            Console.SetError(previous);
        }
        Assert.Single(error.ToString().Split('\n'), l => l.Contains(path, StringComparison.Ordinal));
    }

    /// <summary>
    /// Keras 2's legacy optimizer_v2 (TF ≤ 2.10) stores Adam's slots kind by kind — iter, all m, all v, all v̂ — and
    /// Keras 3's legacy .h5 writer stores iteration, learning rate, then its slots: both are restored by position.
    /// </summary>
    [Theory]
    [InlineData("optimizer_v2")]
    [InlineData("keras3")]
    public void OtherLegacyH5LayoutsRestoreByPosition(string layout)
    {
        var original = TrainedModel(new Adam(0.01f, amsgrad: true), steps: 3);
        var adam = (Adam)original.Optimizer!;
        var variables = original.TrainableWeights();
        int n = variables.Length;
        using var dir = new TempDirectory();
        string sequorFile = dir.File("sequor.h5"), path = dir.File("other.h5");
        original.Save(sequorFile);

        var file = new H5File();
        using (var source = H5File.OpenRead(sequorFile))
            file.Attributes["model_config"] = source.Attribute("model_config").Read<string>();
        file.Attributes["backend"] = "tensorflow";
        var weights = new H5Group { Attributes = { ["layer_names"] = original.Layers.Select(l => l.Name).ToArray() } };
        foreach (var layer in original.Layers)
        {
            var group = new H5Group();
            var names = LegacyH5.WeightNames(layer);
            group.Attributes["weight_names"] = names;
            for (int w = 0; w < names.Length; w++) LegacyH5.AddDataset(group, names[w], layer.Weights[w].Value);
            weights[layer.Name] = group;
        }
        file["model_weights"] = weights;

        var state = new H5Group();
        var entries = new List<string>();
        void Add(string name, object value, int variable = -1)
        {
            entries.Add(name);
            if (variable < 0)
            {
                var parts = name.Split('/');
                var parent = state;
                foreach (var part in parts[..^1])
                {
                    if (!parent.TryGetValue(part, out var child)) parent[part] = child = new H5Group();
                    parent = (H5Group)child;
                }
                parent[parts[^1]] = new H5Dataset(value);
            }
            else LegacyH5.AddDataset(state, name, new Tensor((Real[])value, variables[variable].Value.Shape.ToArray()));
        }
        if (layout == "optimizer_v2")
        {
            file.Attributes["keras_version"] = "2.10.0";
            file.Attributes["training_config"] = """{"loss": "binary_crossentropy", "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"name": "accuracy", "dtype": "float32", "fn": "binary_accuracy"}}]], "weighted_metrics": null, "loss_weights": null, "optimizer_config": {"class_name": "Adam", "config": {"name": "Adam", "learning_rate": 0.009999999776482582, "decay": 0.0, "beta_1": 0.8999999761581421, "beta_2": 0.9990000128746033, "epsilon": 1e-07, "amsgrad": true}}}""";
            Add("Adam/iter:0", adam.Iterations);
            foreach (var (slot, offset) in new[] { ("m", 0), ("v", 1) })
                for (int i = 0; i < n; i++) Add($"Adam/{variables[i].Name}/{slot}:0_{i}", adam.State[2 * i + offset], i);
            for (int i = 0; i < n; i++) Add($"Adam/{variables[i].Name}/vhat:0_{i}", adam.State[2 * n + i], i);
        }
        else
        {
            file.Attributes["keras_version"] = "3.6.0";
            file.Attributes["training_config"] = """{"loss": "binary_crossentropy", "loss_weights": null, "metrics": ["accuracy"], "weighted_metrics": null, "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false, "optimizer_config": {"class_name": "Adam", "config": {"name": "adam", "learning_rate": 0.009999999776482582, "weight_decay": null, "clipnorm": null, "global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null, "loss_scale_factor": null, "gradient_accumulation_steps": null, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": true}}}""";
            Add("adam/iteration", adam.Iterations);
            Add("adam/learning_rate", 0.01f);
            for (int j = 0; j < adam.State.Count; j++) Add($"adam/slot_{j}", adam.State[j], j < 2 * n ? j / 2 : j - 2 * n);
        }
        state.Attributes["weight_names"] = entries.ToArray();
        file["optimizer_weights"] = state;
        file.Write(path);

        var loaded = Load(path, out var warnings);
        Assert.True(warnings.Length == 0, warnings);
        Assert.Equal(3, loaded.Optimizer!.Iterations);
        Assert.Equal(adam.State.Select(s => s.ToArray()), loaded.Optimizer.State.Select(s => s.ToArray()));
        Step(original);
        Step(loaded);
        Assert.Equal(original.GetWeights().Select(w => w.Span.ToArray()), loaded.GetWeights().Select(w => w.Span.ToArray()));
    }

    // Replaces text of the same length inside a saved file: in config.json of a .keras, in the raw bytes of an .h5
    // (whose JSON attributes are stored as plain text without checksums).
    private static void Patch(string path, string from, string to)
    {
        Assert.Equal(from.Length, to.Length);
        if (path.EndsWith(".keras", StringComparison.Ordinal))
        {
            using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
            var entry = zip.GetEntry("config.json")!;
            string text;
            using (var reader = new StreamReader(entry.Open())) text = reader.ReadToEnd();
            Assert.Contains(from, text);
            entry.Delete();
            using var writer = new StreamWriter(zip.CreateEntry("config.json").Open(), new UTF8Encoding(false));
            writer.Write(text.Replace(from, to, StringComparison.Ordinal));
            return;
        }
        var bytes = File.ReadAllBytes(path);
        var pattern = Encoding.ASCII.GetBytes(from);
        int at = bytes.AsSpan().IndexOf(pattern);
        Assert.True(at >= 0, $"'{from}' not found in {path}");
        Encoding.ASCII.GetBytes(to).CopyTo(bytes, at);
        File.WriteAllBytes(path, bytes);
    }
}
