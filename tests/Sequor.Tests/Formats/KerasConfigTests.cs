using System.Text.Json.Nodes;
using Sequor.Formats;
using Sequor.Layers;
using Sequor.Training;

namespace Sequor.Tests.Formats;

/// <summary>Keras config JSON ⇄ Sequential in the Keras 2 and Keras 3 forms, including old-file quirks.</summary>
public class KerasConfigTests
{
    // A Keras 2.2-era config: no InputLayer (the first layer carries batch_input_shape), hard_sigmoid, a GRU
    // without reset_after, unknown keys everywhere.
    private const string OldKeras2 = """
        {"class_name": "Sequential", "config": [
          {"class_name": "Embedding", "config": {"name": "embedding_1", "batch_input_shape": [null, 7], "input_dim": 20,
             "output_dim": 4, "mask_zero": true, "input_length": 7, "some_future_key": [1, 2]}},
          {"class_name": "GRU", "config": {"name": "gru_1", "units": 3, "activation": "tanh",
             "recurrent_activation": "hard_sigmoid", "use_bias": true, "return_sequences": true, "implementation": 1}},
          {"class_name": "LSTM", "config": {"name": "lstm_1", "units": 2, "recurrent_activation": "hard_sigmoid",
             "unit_forget_bias": false, "go_backwards": true}},
          {"class_name": "Dense", "config": {"name": "dense_1", "units": 1, "activation": "sigmoid", "use_bias": false}}]}
        """;

    [Fact]
    public void OldKeras2ConfigWithoutInputLayerLoads()
    {
        var (model, shape) = KerasConfigReader.Read(OldKeras2, kerasVersion: "2.2.4", inputShape: null);
        Assert.Equal([7], shape);
        var embedding = Assert.IsType<Embedding>(model.Layers[0]);
        Assert.True(embedding.MaskZero);
        var gru = Assert.IsType<GRU>(model.Layers[1]);
        Assert.False(gru.ResetAfter);
        Assert.True(gru.RecurrentActivation.IsKeras2HardSigmoid);
        var lstm = Assert.IsType<LSTM>(model.Layers[2]);
        Assert.False(lstm.UnitForgetBias);
        Assert.True(lstm.GoBackwards);
        Assert.False(Assert.IsType<Dense>(model.Layers[3]).UseBias);
    }

    [Fact]
    public void HardSigmoidFollowsTheFileKerasVersion()
    {
        Assert.False(KerasConfigReader.IsKeras2OrOlder("3.6.0"));
        Assert.True(KerasConfigReader.IsKeras2OrOlder("2.11.0"));
        Assert.True(KerasConfigReader.IsKeras2OrOlder(null));  // Keras treats a missing version as Keras 1
        var (model, _) = KerasConfigReader.Read(OldKeras2, kerasVersion: "3.6.0", inputShape: null);
        Assert.False(((GRU)model.Layers[1]).RecurrentActivation.IsKeras2HardSigmoid);
    }

    [Theory]
    [InlineData("""{"class_name": "Conv1D", "config": {"name": "conv"}}""", "Conv1D")]
    [InlineData("""{"class_name": "LSTM", "config": {"name": "l", "units": 2, "stateful": true}}""", "stateful")]
    [InlineData("""{"class_name": "LSTM", "config": {"name": "l", "units": 2, "activation": "selu"}}""", "selu")]
    [InlineData("""{"class_name": "Dense", "config": {"name": "d", "units": 2, "kernel_regularizer": {"class_name": "L2"}}}""", "kernel_regularizer")]
    [InlineData("""{"class_name": "Bidirectional", "config": {"name": "b", "merge_mode": null, "layer": {"class_name": "LSTM", "config": {"units": 2}}}}""", "merge_mode")]
    [InlineData("""{"class_name": "Dense", "config": {"name": "d", "units": 2, "dtype": "float16"}}""", "float16")]
    public void UnsupportedClassOrOptionIsNamed(string layer, string named)
    {
        string json = """{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 5, 3]}}, """ + layer + "]}}";
        var e = Assert.Throws<SequorException>(() => KerasConfigReader.Read(json, "2.11.0", null));
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void OpenSequenceLengthReadsAsOpenUnlessAShapeIsGiven()
    {
        const string json = """{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"batch_input_shape": [null, null]}}, {"class_name": "Embedding", "config": {"name": "e", "input_dim": 5, "output_dim": 2}}]}}""";
        var open = KerasConfigReader.Read(json, "2.11.0", null);
        Assert.True(open.OpenLength);
        Assert.Equal([1], open.InputShape);
        var given = KerasConfigReader.Read(json, "2.11.0", [9]);
        Assert.False(given.OpenLength);
        Assert.Equal([9], given.InputShape);
    }

    [Fact]
    public void AnOpenDimensionOtherThanTheTimeAxisNeedsAnInputShape()
    {
        const string json = """{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 5, null]}}, {"class_name": "SimpleRNN", "config": {"name": "r", "units": 2}}]}}""";
        var e = Assert.Throws<SequorException>(() => KerasConfigReader.Read(json, "2.11.0", null));
        Assert.Contains("(None, 5, None)", e.Message);
        Assert.Equal([5, 3], KerasConfigReader.Read(json, "2.11.0", [5, 3]).InputShape);
    }

    /// <summary>An initializer made in C# carries its arguments into the file (a user's Uniform(-1, 1) was saved as ±0.05).</summary>
    [Theory]
    [InlineData("m.h5")]
    [InlineData("m.keras")]
    public void AUniformInitializerMadeInCodeIsSavedWithItsOwnRange(string name)
    {
        var model = new Sequential([new Embedding(12, 5) { EmbeddingsInitializer = Initializer.Uniform(-1, 1) }, new LSTM(3), new Dense(1, Activation.Sigmoid)], seed: 3);
        model.Build([6]);
        using var dir = new TempDirectory();
        model.Save(dir.File(name));
        var loaded = (Embedding)Sequential.Load(dir.File(name)).Layers[0];
        Assert.Equal(("random_uniform", -1.0, 1.0), (loaded.EmbeddingsInitializer.Name, loaded.EmbeddingsInitializer.Minval, loaded.EmbeddingsInitializer.Maxval));
    }

    /// <summary>Every layer and option Sequor has survives .h5 and .keras, Keras 2 and Keras 3 forms.</summary>
    [Theory]
    [InlineData("m.h5")]
    [InlineData("m.keras")]
    public void EveryLayerAndOptionRoundTrips(string name)
    {
        var model = new Sequential(
        [
            new Embedding(12, 5, maskZero: true, name: "words") { EmbeddingsInitializer = Initializer.Uniform(-0.1, 0.1) },
            new Dropout(0.25f),
            new SimpleRNN(4, Activation.Relu, useBias: false, dropout: 0.1f, recurrentDropout: 0.2f, returnSequences: true, goBackwards: true),
            new Bidirectional(new LSTM(3, recurrentActivation: Activation.HardSigmoid, unitForgetBias: false, returnSequences: true), MergeMode.Ave),
            new Bidirectional(new GRU(2, resetAfter: false, returnSequences: true), MergeMode.Concat, name: "bi_gru"),
            new Bidirectional(new SimpleRNN(2), MergeMode.Mul),
            new Dense(3, Activation.Softmax, name: "out"),
        ], seed: 11, name: "everything");
        model.Build([6]);
        using var dir = new TempDirectory();
        model.Save(dir.File(name));
        var loaded = Sequential.Load(dir.File(name));
        Assert.Equal(model.SummaryText(), loaded.SummaryText());
        Assert.Equal("everything", loaded.Name);
        for (int i = 0; i < model.Layers.Count; i++)
        {
            Assert.Equal(model.Layers[i].GetType(), loaded.Layers[i].GetType());
            Assert.Equal(model.Layers[i].Name, loaded.Layers[i].Name);
        }
        var rnn = (SimpleRNN)loaded.Layers[2];
        Assert.Equal((Activation.Relu, false, 0.1f, 0.2f, true, true), (rnn.Activation, rnn.UseBias, rnn.Dropout, rnn.RecurrentDropout, rnn.ReturnSequences, rnn.GoBackwards));
        var bi = (Bidirectional)loaded.Layers[3];
        Assert.Equal(MergeMode.Ave, bi.MergeMode);
        Assert.False(((LSTM)bi.Layer).UnitForgetBias);
        Assert.Same(Activation.HardSigmoid, bi.Layer.RecurrentActivation);
        Assert.False(((GRU)((Bidirectional)loaded.Layers[4]).Layer).ResetAfter);
        Assert.Equal(MergeMode.Mul, ((Bidirectional)loaded.Layers[5]).MergeMode);
        Assert.Same(Activation.Softmax, ((Dense)loaded.Layers[6]).Activation);
        Assert.Equal(0.25f, ((Dropout)loaded.Layers[1]).Rate);

        var x = Tensor.FromIds([[0, 0, 3, 4, 11, 1], [5, 6, 7, 8, 9, 10]]);
        Assert.Equal(model.Predict(x).Span.ToArray(), loaded.Predict(x).Span.ToArray());
    }

    [Theory]
    [InlineData("w.weights.h5")]
    [InlineData("w.h5")]
    public void WeightsOnlyFilesRoundTrip(string name)
    {
        var model = DamagedFileTests.SmallModel();
        using var dir = new TempDirectory();
        model.SaveWeights(dir.File(name));
        var other = new Sequential([new Embedding(10, 4), new LSTM(3), new Dense(1, Activation.Sigmoid)], seed: 99);
        other.Build([5]);
        other.LoadWeights(dir.File(name));
        Assert.Equal(model.Weights.Select(w => w.Value.Span.ToArray()), other.Weights.Select(w => w.Value.Span.ToArray()));
    }

    [Fact]
    public void Keras2HardSigmoidIsSavedAsKeras2H5AndRefusedAsKeras()
    {
        var model = new Sequential([new LSTM(2, recurrentActivation: Activation.HardSigmoidKeras2)], seed: 1);
        model.Build([3, 2]);
        using var dir = new TempDirectory();
        model.Save(dir.File("k2.h5"));
        Assert.True(((LSTM)Sequential.Load(dir.File("k2.h5")).Layers[0]).RecurrentActivation.IsKeras2HardSigmoid);
        using (var file = PureHDF.H5File.OpenRead(dir.File("k2.h5")))
            Assert.StartsWith("2.", file.Attribute("keras_version").Read<string>());

        // Keras 3 would read "hard_sigmoid" as its own (slope 1/6) and compute another model: no .keras file at all.
        var e = Assert.Throws<SequorException>(() => model.Save(dir.File("k2.keras")));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("Keras 2's hard_sigmoid", e.Message);
        Assert.Contains("save it as .h5", e.Message);
        Assert.False(File.Exists(dir.File("k2.keras")));
        Assert.Equal(["k2.h5"], Directory.GetFiles(dir.Path).Select(p => Path.GetFileName(p)!).ToArray());

        // A .keras checkpoint fails as training begins, before an epoch's work is spent.
        model.Compile(new SGD(), Loss.BinaryCrossentropy);
        var epochs = 0;
        var x = new Tensor(4, 3, 2);
        var y = new Tensor(4, 2);
        e = Assert.Throws<SequorException>(() => model.Fit(x, y, epochs: 3, verbose: 0,
            callbacks: [new ModelCheckpoint(dir.File("best.keras")), new CountEpochs(() => epochs++)]));
        Assert.Contains("save it as .h5", e.Message);
        Assert.Equal(0, epochs);
    }

    private sealed class CountEpochs(Action count) : ICallback
    {
        void ICallback.OnEpochEnd(Sequential model, int epoch, IDictionary<string, double> logs) => count();
    }

    // Settings Keras keeps as Python floats: Keras refuses some of them as ints (SGD's momentum must be "a float").
    private static readonly string[] FloatKeys = ["learning_rate", "momentum", "rho", "epsilon", "beta_1", "beta_2", "ema_momentum",
        "dropout", "recurrent_dropout", "rate", "gain", "minval", "maxval", "clipnorm", "clipvalue", "global_clipnorm"];

    [Theory]
    [InlineData("m.keras")]
    [InlineData("m.h5")]
    public void WholeNumberFloatSettingsAreWrittenAsJsonFloats(string name)
    {
        var model = new Sequential([new Embedding(10, 4), new LSTM(3, returnSequences: true), new GRU(2, dropout: 0.5f), new Dropout(0), new Dense(1, Activation.Sigmoid)], seed: 3);
        model.Build([5]);
        model.Compile(new SGD(learningRate: 1, momentum: 0), Loss.BinaryCrossentropy, Metric.Accuracy);
        using var dir = new TempDirectory();
        model.Save(dir.File(name));
        string[] texts;
        if (name.EndsWith(".keras", StringComparison.Ordinal))
        {
            using var zip = System.IO.Compression.ZipFile.OpenRead(dir.File(name));
            using var reader = new StreamReader(zip.GetEntry("config.json")!.Open());
            texts = [reader.ReadToEnd()];
        }
        else
        {
            using var file = PureHDF.H5File.OpenRead(dir.File(name));
            texts = [file.Attribute("model_config").Read<string>(), file.Attribute("training_config").Read<string>()];
        }
        var all = string.Join("\n", texts);
        Assert.Contains("\"momentum\":0.0", all);
        Assert.Contains("\"learning_rate\":1.0", all);
        Assert.Contains("\"rate\":0.0", all);
        Assert.Contains("\"dropout\":0.5", all);
        int checkedValues = 0;
        foreach (var text in texts)
            foreach (var (key, raw) in Numbers(JsonNode.Parse(text)))
                if (FloatKeys.Contains(key))
                {
                    Assert.True(raw.IndexOfAny(['.', 'e', 'E']) >= 0, $"{key} is written as {raw}, which Python reads as an int");
                    checkedValues++;
                }
        Assert.True(checkedValues > 10, $"only {checkedValues} float settings found");
    }

    private static IEnumerable<(string Key, string Raw)> Numbers(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => p.Value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
            ? [(p.Key, v.ToJsonString())] : Numbers(p.Value)),
        JsonArray a => a.SelectMany(Numbers),
        _ => [],
    };
}
