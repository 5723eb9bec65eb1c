using System.Runtime.Intrinsics;
using Sequor.Layers;
using Sequor.Training;

namespace Sequor.Tests;

/// <summary>
/// On a machine with 512-bit vectors the cells' steps and the GEMM take 512-bit registers; they must give the same bits
/// as the 256-bit kernels, so a model trains and predicts identically on AVX2 and AVX-512 hosts.
/// </summary>
[Collection(nameof(KernelChoiceCollection))]
public class WideKernelTests
{
    [SkippableFact]
    public void WideSigmoidAndTanhAreTheNarrowOnesOnEachHalf()
    {
        Skip.IfNot(Vector512.IsHardwareAccelerated, "this machine has no 512-bit vectors; the wide kernels cannot run here");
        for (int i = -4000; i < 4000; i += 16)
        {
            var x = Vector512.Create(Enumerable.Range(0, 16).Select(j => (i + j) * 0.0027f - 0.5f * (j % 3)).ToArray());
            var wide = VectorMath.Sigmoid(x);
            Assert.Equal(VectorMath.Sigmoid(x.GetLower()), wide.GetLower());
            Assert.Equal(VectorMath.Sigmoid(x.GetUpper()), wide.GetUpper());
            var wideTanh = VectorMath.Tanh(x);
            Assert.Equal(VectorMath.Tanh(x.GetLower()), wideTanh.GetLower());
            Assert.Equal(VectorMath.Tanh(x.GetUpper()), wideTanh.GetUpper());
        }
    }

    public static TheoryData<string> Models() => ["chapter lstm", "wide lstm and gru", "bidirectional"];

    // The chapter's stacked LSTM(8) (its own 512-bit step), and models whose units are a multiple of 16 (the wide gate
    // and cell passes of LSTM and GRU, GemmWide's products with a 16-column tail for GRU(48)'s 144 gates).
    static Layer[] Layers(string name) => name switch
    {
        "chapter lstm" => [new Embedding(60, 16), new LSTM(8, returnSequences: true), new LSTM(8, dropout: 0.2f)],
        "wide lstm and gru" => [new Embedding(60, 24), new LSTM(32, returnSequences: true), new GRU(48, dropout: 0.2f)],
        _ => [new Embedding(60, 16), new Bidirectional(new LSTM(16, returnSequences: true)), new Bidirectional(new GRU(32))],
    };

    [SkippableTheory, MemberData(nameof(Models))]
    public void ModelsTrainAndPredictTheSameBitsWithWideAndNarrowKernels(string name)
    {
        Skip.IfNot(Vector512.IsHardwareAccelerated, "this machine has no 512-bit vectors; the wide kernels cannot run here");
        var random = new Random(11);
        var x = new Tensor(101, 30);  // shards of 32, 32, 32 and 5 rows: the four-row loop and its tail
        for (int i = 0; i < x.Length; i++) x.Span[i] = random.Next(60);
        var y = new Tensor(101, 1);
        for (int i = 0; i < y.Length; i++) y.Span[i] = random.Next(2);

        (float[] Predictions, float[][] Weights) Run(bool wide)
        {
            var saved = Kernels.Choice;
            Kernels.Choice = wide ? KernelChoice.Vector512 : KernelChoice.Vector256;
            try
            {
                using var model = new Sequential([.. Layers(name), new Dense(1, Activation.Sigmoid)], seed: 5) { Threads = 1 };
                model.Build([30]);
                model.Compile(new RMSprop(0.01f), Loss.BinaryCrossentropy);
                model.Fit(x, y, epochs: 2, batchSize: 101, verbose: 0);
                return (model.Predict(x, 101).Span.ToArray(), model.GetWeights().Select(w => w.Span.ToArray()).ToArray());
            }
            finally { Kernels.Choice = saved; }
        }

        var narrow = Run(false);
        var wide = Run(true);
        Assert.Equal(narrow.Predictions, wide.Predictions);
        for (int w = 0; w < narrow.Weights.Length; w++) Assert.Equal(narrow.Weights[w], wide.Weights[w]);
    }
}
