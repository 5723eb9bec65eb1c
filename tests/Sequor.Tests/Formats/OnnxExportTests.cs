using Xunit.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Sequor.Layers;
using static Sequor.Tests.Formats.OnnxRuntimeCheck;

namespace Sequor.Tests.Formats;

/// <summary>
/// <see cref="Sequential.SaveOnnx(string)"/> proven by the real ONNX Runtime: every layer and option Sequor loads
/// from Keras files, exported and run in ONNX Runtime, gives Sequor's own Predict within 1e-5 — the recurrent
/// cells in both directions, Bidirectional in each merge mode, return_sequences, masking with padding anywhere,
/// each activation (both hard_sigmoid forms), Dropout, one-hot input, and batches of any size.
/// </summary>
public class OnnxExportTests(ITestOutputHelper output)
{
    private const int Vocabulary = 23, Steps = 9, EmbeddingWidth = 6;

    /// <summary>A recurrent layer of a kind: SimpleRNN, LSTM, GRU (reset_after) or GRU_v1 (reset_after=False).</summary>
    private static Recurrent Cell(string kind, int units = 5, bool returnSequences = false, bool goBackwards = false,
        Activation? activation = null, Activation? recurrentActivation = null, bool useBias = true) => kind switch
    {
        "SimpleRNN" => new SimpleRNN(units, activation, useBias, returnSequences: returnSequences, goBackwards: goBackwards),
        "LSTM" => new LSTM(units, activation, recurrentActivation, useBias, returnSequences: returnSequences, goBackwards: goBackwards),
        "GRU" => new GRU(units, activation, recurrentActivation, useBias, returnSequences: returnSequences, goBackwards: goBackwards),
        "GRU_v1" => new GRU(units, activation, recurrentActivation, useBias, returnSequences: returnSequences, goBackwards: goBackwards, resetAfter: false),
        _ => throw new ArgumentException(kind),
    };

    public static readonly string[] Kinds = ["SimpleRNN", "LSTM", "GRU", "GRU_v1"];

    /// <summary>Builds the model and draws every weight from U(−scale, scale), so the nonlinearities are exercised.</summary>
    private static Sequential Built(int[] inputShape, double scale, params Layer[] layers)
    {
        var model = new Sequential(layers, seed: 7);
        model.Build(inputShape);
        var random = new Random(11);
        foreach (var weight in model.Weights)
        {
            var values = weight.Value.Span;
            for (int i = 0; i < values.Length; i++) values[i] = (Real)((random.NextDouble() * 2 - 1) * scale);
        }
        return model;
    }

    /// <summary>
    /// Token ids [n, T] covering what masking meets: rows without padding, pre-padded rows (pad_sequences), post-padded
    /// rows, zeros anywhere inside, a row of padding only, and a single token at either end.
    /// </summary>
    private static Tensor Ids(int n, int steps = Steps, int vocabulary = Vocabulary, int seed = 3)
    {
        var random = new Random(seed);
        var x = new Tensor(n, steps);
        for (int b = 0; b < n; b++)
        {
            int length = random.Next(1, steps + 1);
            for (int t = 0; t < steps; t++)
            {
                bool token = (b % 7) switch
                {
                    0 => true,
                    1 => t >= steps - length,           // pre-padded
                    2 => t < length,                     // post-padded
                    3 => random.NextDouble() < 0.6,      // zeros anywhere
                    4 => false,                          // padding only
                    5 => t == steps - 1,
                    _ => t == 0,
                };
                x[b, t] = token ? random.Next(1, vocabulary) : 0;
            }
        }
        return x;
    }

    public static TheoryData<string, bool, bool, bool> RecurrentCases()
    {
        var data = new TheoryData<string, bool, bool, bool>();
        foreach (var kind in Kinds)
            foreach (bool returnSequences in new[] { false, true })
                foreach (bool goBackwards in new[] { false, true })
                    foreach (bool maskZero in new[] { false, true })
                        data.Add(kind, returnSequences, goBackwards, maskZero);
        return data;
    }

    [Theory]
    [MemberData(nameof(RecurrentCases))]
    public void RecurrentLayerAgreesWithOnnxRuntime(string kind, bool returnSequences, bool goBackwards, bool maskZero)
    {
        var model = Built([Steps], 0.6,
            new Embedding(Vocabulary, EmbeddingWidth, maskZero),
            Cell(kind, returnSequences: returnSequences, goBackwards: goBackwards));
        output.WriteLine($"max |Sequor − ONNX Runtime| = {AssertAgrees(model, Ids(40)):G3}");
    }

    public static TheoryData<string, MergeMode, bool, bool, bool> BidirectionalCases()
    {
        var data = new TheoryData<string, MergeMode, bool, bool, bool>();
        foreach (var kind in Kinds)
            foreach (var merge in Enum.GetValues<MergeMode>())
                foreach (bool returnSequences in new[] { false, true })
                    foreach (bool goBackwards in new[] { false, true })
                        foreach (bool maskZero in new[] { false, true })
                            data.Add(kind, merge, returnSequences, goBackwards, maskZero);
        return data;
    }

    [Theory]
    [MemberData(nameof(BidirectionalCases))]
    public void BidirectionalAgreesWithOnnxRuntime(string kind, MergeMode merge, bool returnSequences, bool goBackwards, bool maskZero)
    {
        var model = Built([Steps], 0.6,
            new Embedding(Vocabulary, EmbeddingWidth, maskZero),
            new Bidirectional(Cell(kind, returnSequences: returnSequences, goBackwards: goBackwards), merge));
        output.WriteLine($"max |Sequor − ONNX Runtime| = {AssertAgrees(model, Ids(40)):G3}");
    }

    public static TheoryData<string, string, string> ActivationCases()
    {
        var data = new TheoryData<string, string, string>();
        string[] names = ["tanh", "relu", "sigmoid", "linear", "hard_sigmoid", "hard_sigmoid (Keras 2)"];
        foreach (var activation in names) data.Add("SimpleRNN", activation, "sigmoid");
        foreach (var kind in new[] { "LSTM", "GRU", "GRU_v1" })
            foreach (var activation in names)
                data.Add(kind, activation, activation == "tanh" ? "hard_sigmoid" : activation == "relu" ? "hard_sigmoid (Keras 2)" : "sigmoid");
        return data;
    }

    private static Activation Named(string name) => name == "hard_sigmoid (Keras 2)" ? Activation.HardSigmoidKeras2 : Activation.FromName(name);

    [Theory]
    [MemberData(nameof(ActivationCases))]
    public void RecurrentActivationsAgreeWithOnnxRuntime(string kind, string activation, string recurrentActivation)
    {
        // 8 units take the cells' fused kernels where the activations allow; 5 the general code
        foreach (int units in new[] { 5, 8 })
        {
            var model = Built([Steps], 0.5,
                new Embedding(Vocabulary, EmbeddingWidth, maskZero: true),
                Cell(kind, units, returnSequences: true, activation: Named(activation), recurrentActivation: Named(recurrentActivation)),
                Cell(kind, units, goBackwards: true, activation: Named(activation), recurrentActivation: Named(recurrentActivation), useBias: false));
            output.WriteLine($"max |Sequor − ONNX Runtime| = {AssertAgrees(model, Ids(40)):G3}");
        }
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("relu")]
    [InlineData("sigmoid")]
    [InlineData("tanh")]
    [InlineData("softmax")]
    [InlineData("hard_sigmoid")]
    [InlineData("hard_sigmoid (Keras 2)")]
    public void DenseActivationsAgreeWithOnnxRuntimeOnVectorsAndSequences(string activation)
    {
        // hard_sigmoid's corners need inputs beyond ±3 (Keras 3) and ±2.5 (Keras 2): a wide kernel gets there
        var lastStep = Built([Steps], 1.5,
            new Embedding(Vocabulary, EmbeddingWidth), new LSTM(7), new Dense(4, Named(activation)));
        AssertAgrees(lastStep, Ids(40));
        var everyStep = Built([Steps], 1.5,
            new Embedding(Vocabulary, EmbeddingWidth), new GRU(7, returnSequences: true), new Dense(4, Named(activation), useBias: false));
        AssertAgrees(everyStep, Ids(40));
    }

    [Fact]
    public void DropoutIsLeftOutAndADeepMaskedStackAgrees()
    {
        var model = Built([Steps], 0.5,
            new Embedding(Vocabulary, 16, maskZero: true),
            new Dropout(0.3f),
            new Dense(10, Activation.Tanh),  // the mask passes through Dense to the recurrent layers, as in Keras
            new LSTM(8, dropout: 0.3f, recurrentDropout: 0.2f, returnSequences: true),
            new GRU(8, returnSequences: true, goBackwards: true),
            new Bidirectional(new SimpleRNN(6, returnSequences: true), MergeMode.Ave),
            new Bidirectional(new LSTM(5, goBackwards: true)),
            new Dropout(0.5f),
            new Dense(3, Activation.Softmax));
        AssertAgrees(model, Ids(70));
        Assert.DoesNotContain(Sequor.Formats.Onnx.OnnxExport.Build(model).Nodes, n => n.OpType == "Dropout");
    }

    [Fact]
    public void OneHotInputModelTakesItsFloatInput()
    {
        // the chapter's SimpleRNN on one-hot vectors: the ONNX input is the Keras model's input, [batch, T, depth]
        const int depth = 30;
        var model = Built([Steps, depth], 0.6, new SimpleRNN(8), new Dense(1, Activation.Sigmoid));
        var ids = Ids(40, vocabulary: depth);
        var oneHot = new Tensor(40, Steps, depth);
        for (int b = 0; b < 40; b++)
            for (int t = 0; t < Steps; t++) oneHot[b, t, (int)ids[b, t]] = 1;
        AssertAgrees(model, oneHot);
    }

    [Fact]
    public void FeatureInputModelTakesAnyFloats()
    {
        var model = Built([Steps, 4], 0.6, new Bidirectional(new GRU(6, returnSequences: true), MergeMode.Mul), new LSTM(5), new Dense(2));
        var random = new Random(5);
        var x = new Tensor(33, Steps, 4);
        for (int i = 0; i < x.Length; i++) x.Span[i] = (Real)(random.NextDouble() * 4 - 2);
        AssertAgrees(model, x);
    }

    [Fact]
    public void TheBatchAxisIsDynamic()
    {
        var model = Built([Steps], 0.6, new Embedding(Vocabulary, 8, maskZero: true), new LSTM(8), new Dense(1, Activation.Sigmoid));
        var onnx = Export(model);
        foreach (int n in new[] { 1, 2, 31, 97 })
        {
            var x = Ids(n, seed: n);
            AssertClose(model.Predict(x), Run(onnx, model, x), Tolerance);
        }
    }

    public static TheoryData<string, bool> OpenLengthCases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var stack in new[] { "LSTM", "GRU", "Bidirectional", "deep" })
            foreach (bool maskZero in new[] { false, true })
                data.Add(stack, maskZero);
        return data;
    }

    /// <summary>A model of open length, as one loaded from a Keras file on <c>Input(shape=(None,))</c> is.</summary>
    private static Sequential OpenLength(string stack, bool maskZero)
    {
        Layer[] layers = stack switch
        {
            "LSTM" => [new Embedding(Vocabulary, EmbeddingWidth, maskZero), new LSTM(6), new Dense(1, Activation.Sigmoid)],
            "GRU" => [new Embedding(Vocabulary, EmbeddingWidth, maskZero), new GRU(6, returnSequences: true, goBackwards: true)],
            "Bidirectional" => [new Embedding(Vocabulary, EmbeddingWidth, maskZero), new Bidirectional(new LSTM(5)), new Dense(3, Activation.Softmax)],
            // every part that depends on T: masking's compaction, go_backwards sequences reversed back in time,
            // a swapped Bidirectional's reversed sequence, and an output with a time axis
            _ => [new Embedding(Vocabulary, EmbeddingWidth, maskZero),
                  new GRU(6, returnSequences: true, goBackwards: true, resetAfter: false),
                  new Bidirectional(new SimpleRNN(5, returnSequences: true, goBackwards: true), MergeMode.Sum),
                  new Bidirectional(new LSTM(4, returnSequences: true)),
                  new Dense(2, Activation.Tanh)],
        };
        var model = Built([Steps], 0.6, layers);
        model.OpenLength();
        return model;
    }

    [Theory]
    [MemberData(nameof(OpenLengthCases))]
    public void AModelOfOpenLengthExportsOneGraphForEveryLength(string stack, bool maskZero)
    {
        var model = OpenLength(stack, maskZero);
        var onnx = Export(model);  // exported once, at the model's current length (Steps)
        using (var session = new InferenceSession(onnx))
        {
            var input = Assert.Single(session.InputMetadata).Value;
            Assert.Equal(["batch", "time"], input.SymbolicDimensions);
            Assert.Equal([-1, -1], input.Dimensions);
            var result = Assert.Single(session.OutputMetadata).Value;
            Assert.Equal(model.OutputShape.Count == 2 ? ["batch", "time", ""] : ["batch", ""], result.SymbolicDimensions);
        }
        foreach (int steps in new[] { 3, Steps, 17 })
        {
            var x = Ids(40, steps, seed: steps);
            var expected = model.Predict(x);
            Assert.Equal(steps, model.InputShape[0]);
            output.WriteLine($"T = {steps}: max |Sequor − ONNX Runtime| = {AssertClose(expected, Run(onnx, model, x), Tolerance):G3}");
        }
    }

    [Theory]
    [MemberData(nameof(Models.OpenLengthTests.OpenFixtures), MemberType = typeof(Models.OpenLengthTests))]
    public void AKerasModelOfOpenLengthRunsInOnnxRuntimeAtEveryLengthAsKeras(string name)
    {
        // saved by Keras on Input(shape=(None,)), with Keras's predictions at two lengths beside it
        using var model = Sequential.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Keras", "Summary", name + ".keras"));
        Assert.True(model.HasOpenLength);
        var onnx = Export(model);
        var (inputs, outputs) = Models.OpenLengthTests.Expected(name);
        for (int i = 0; i < inputs.Length; i++)
        {
            var expected = model.Predict(inputs[i]);
            var actual = Run(onnx, model, inputs[i]);
            AssertClose(expected, actual, Tolerance);
            AssertClose(outputs[i], actual, Tolerance);
        }
    }

    [Fact]
    public void AModelOfFixedLengthKeepsItsLengthInTheGraph()
    {
        var model = Built([Steps], 0.6, new Embedding(Vocabulary, EmbeddingWidth, maskZero: true), new GRU(5, returnSequences: true, goBackwards: true));
        using var session = new InferenceSession(Export(model));
        Assert.Equal([-1, Steps], session.InputMetadata["input"].Dimensions);
        Assert.Equal([-1, Steps, 5], session.OutputMetadata["output"].Dimensions);
        var nodes = Sequor.Formats.Onnx.OnnxExport.Build(model).Nodes;
        Assert.DoesNotContain(nodes, n => n.OpType is "Range" or "Slice");  // T stays a constant
        Assert.Throws<OnnxRuntimeException>(() => Run(Export(model), model, Ids(3, Steps + 1)));
    }

    [Fact]
    public void OnnxRuntimeRefusesAnIdOutsideTheVocabulary()
    {
        var model = Built([Steps], 0.6, new Embedding(Vocabulary, 4), new SimpleRNN(3));
        var x = Ids(2);
        x[1, 4] = Vocabulary;
        var error = Assert.ThrowsAny<OnnxRuntimeException>(() => Run(Export(model), model, x));
        Assert.Contains("indices element out of data bounds", error.Message);
    }

    [Fact]
    public void SaveOnnxWritesAFileOnnxRuntimeOpensWithItsInputAndOutputNames()
    {
        using var folder = new TempDirectory();
        var model = Built([Steps], 0.6, new Embedding(Vocabulary, 4, maskZero: true), new GRU(5), new Dense(1, Activation.Sigmoid));
        string path = folder.File("model.onnx");
        model.SaveOnnx(path);
        Assert.Equal(["model.onnx"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));  // no temporary file left
        using var session = new InferenceSession(path);
        var input = Assert.Single(session.InputMetadata);
        Assert.Equal("input", input.Key);
        Assert.Equal(typeof(long), input.Value.ElementType);
        Assert.Equal([-1, Steps], input.Value.Dimensions);  // -1: the symbolic batch axis
        var output = Assert.Single(session.OutputMetadata);
        Assert.Equal("output", output.Key);
        Assert.Equal([-1, 1], output.Value.Dimensions);
        Assert.Equal("Sequor", session.ModelMetadata.ProducerName);
        AssertClose(model.Predict(Ids(5)), Run(File.ReadAllBytes(path), model, Ids(5)), Tolerance);
    }

    /// <summary>A Python 3 with the <c>onnx</c> package (Debian's python3-onnx), or null.</summary>
    private static string? PythonWithOnnx() => new[] { "python3", "/usr/bin/python3" }.FirstOrDefault(python =>
    {
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(python, ["-c", "import onnx"])
                { RedirectStandardError = true, RedirectStandardOutput = true })!;
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    });

    [SkippableFact]
    public void ExportsPassTheOnnxCheckerWithStrictShapeInference()
    {
        // a second consumer besides ONNX Runtime: the onnx package's own checker, which also infers every shape
        string? python = PythonWithOnnx();
        Skip.If(python is null, "no python3 with the onnx package (Debian: apt install python3-onnx); test skipped");
        using var folder = new TempDirectory();
        Sequential[] models =
        [
            Built([Steps], 0.5, new Embedding(Vocabulary, 8, maskZero: true), new LSTM(8, returnSequences: true),
                new Bidirectional(Cell("GRU_v1", returnSequences: true, goBackwards: true), MergeMode.Concat),
                new Bidirectional(Cell("SimpleRNN", goBackwards: true), MergeMode.Ave), new Dropout(0.5f), new Dense(3, Activation.Softmax)),
            Built([Steps, 12], 0.5, new GRU(4, goBackwards: true, returnSequences: true), new Dense(2, Activation.HardSigmoidKeras2)),
            Built([Steps], 0.5, new Embedding(Vocabulary, 4), new SimpleRNN(3, Activation.Relu), new Dense(1, Activation.Sigmoid)),
            OpenLength("deep", maskZero: true),
        ];
        for (int i = 0; i < models.Length; i++) models[i].SaveOnnx(folder.File($"{i}.onnx"));
        const string script = "import onnx, sys\nfor f in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(f), full_check=True)\nprint('ok')";
        var start = new System.Diagnostics.ProcessStartInfo(python!, ["-c", script, .. Enumerable.Range(0, models.Length).Select(i => folder.File($"{i}.onnx"))])
            { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = System.Diagnostics.Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd(), stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0 && stdout.Trim() == "ok", stderr);
    }

    [Fact]
    public void WhatCannotBeExportedIsRefusedInOneLineNamingTheLayer()
    {
        // an Embedding after another layer would look up float activations as ids
        var model = new Sequential(new Dense(3), new Embedding(10, 2));
        model.Build([4]);
        using var folder = new TempDirectory();
        var error = Assert.Throws<SequorException>(() => model.SaveOnnx(folder.File("m.onnx")));
        Assert.Equal("layer 'embedding' (Embedding) cannot be exported to ONNX: an Embedding takes token ids, so only a model's first layer can be one", error.Message);
        Assert.Empty(Directory.GetFiles(folder.Path));

        var unbuilt = new Sequential(new Embedding(10, 2), new LSTM(3));
        Assert.Contains("not built", Assert.Throws<SequorException>(() => unbuilt.SaveOnnx(folder.File("m.onnx"))).Message);
    }
}
