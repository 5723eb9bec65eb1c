using Sequor.Layers;

namespace Sequor.Tests.Layers;

/// <summary>
/// What torch cannot check (GRU reset_after=False, Keras masking), on the shipped float32 layers with
/// small cases whose results are worked out by hand in the comments.
/// </summary>
[Collection(nameof(KernelChoiceCollection))]
public class HandComputedTests
{
    public static IEnumerable<object[]> Choices() => KernelChoices.Cross([[]]);

    private const float Tolerance = 1e-6f;

    private static Tensor T(float[] values, params int[] shape) => new(values, shape);

    private static void AssertValues(float[] expected, Tensor actual, float tolerance = Tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual.Span[i]) <= tolerance, $"[{i}]: expected {expected[i]:R}, got {actual.Span[i]:R}");
    }

    [Theory, MemberData(nameof(Choices))]
    public void GruResetBeforeOneUnitMatchesHandArithmetic(KernelChoice kernels)
    {
        using var _ = KernelChoices.Use(kernels);
        // GRU(1, reset_after=False), sigmoid/tanh, one feature, x = [1, 2], h0 = 0.
        // kernel [Wz, Wr, Wh] = [0.5, −0.5, 1], recurrent_kernel [Uz, Ur, Uh] = [1, 2, −1], bias [bz, br, bh] = [0, 0.5, 0.25]
        // t=1 (x=1, h0=0): z = σ(0.5·1 + 0 + 0)           = σ(0.5)  = 0.622459331
        //                  r = σ(−0.5·1 + 0.5 + 0)        = σ(0)    = 0.5
        //                  n = tanh(1·1 + 0.25 + (r·0)·(−1)) = tanh(1.25) = 0.848283640
        //                  h1 = z·0 + (1 − z)·n = 0.377540669·0.848283640 = 0.320261573
        // t=2 (x=2):       z = σ(0.5·2 + 0 + 1·h1)        = σ(1.320261573) = 0.789225222
        //                  r = σ(−0.5·2 + 0.5 + 2·h1)     = σ(0.140523146) = 0.535073090
        //                  n = tanh(1·2 + 0.25 + (r·h1)·(−1)) = tanh(2.25 − 0.171362934) = tanh(2.078636651) = 0.969181961
        //                  h2 = z·h1 + (1 − z)·n = 0.789225222·0.320261573 + 0.210774778·0.969181961 = 0.457037624
        var gru = new GRU(1, resetAfter: false, returnSequences: true);
        gru.Build([2, 1], new RandomGenerator(1));
        gru.SetWeights(T([0.5f, -0.5f, 1f], 1, 3), T([1f, 2f, -1f], 1, 3), T([0f, 0.5f, 0.25f], 3));
        var y = gru.Forward(T([1f, 2f], 1, 2, 1), null, training: false);
        AssertValues([0.320261573f, 0.457037624f], y);
    }

    [Theory, MemberData(nameof(Choices))]
    public void GruResetBeforeAppliesTheResetGateBeforeTheRecurrentProduct(KernelChoice kernels)
    {
        using var _ = KernelChoices.Use(kernels);
        // With one unit (r ⊙ h)·U_h = r ⊙ (h·U_h), so two units are needed to tell reset_after=False from True.
        // Activations chosen for exact arithmetic: linear candidate, Keras 3 hard_sigmoid hs(v) = v/6 + 1/2.
        // Columns (Keras order) [z1 z2 | r1 r2 | h1 h2]; bias all zeros; x = [1, 0], h0 = [0, 0].
        //   kernel           [ 0 0 | 0   0 | 2 −4 ]
        //   recurrent_kernel [ 0 0 | 1.5 0 | 1  2 ]   (row of h1)
        //                    [ 0 0 | 0   0 | 3  1 ]   (row of h2)
        // t=1: z = hs(0) = ½;  n = 1·[2, −4] = [2, −4];  h1 = ½·0 + ½·n = [1, −2]
        // t=2 (x = 0): z = hs(h1·U_z) = hs(0) = ½
        //   r = hs(h1·U_r) = hs([1·1.5 + (−2)·0, 0]) = [0.25 + 0.5, 0.5] = [0.75, 0.5]
        //   reset before: r ⊙ h1 = [0.75, −1];  n = (r ⊙ h1)·U_h = [0.75·1 + (−1)·3, 0.75·2 + (−1)·1] = [−2.25, 0.5]
        //                 h2 = ½·[1, −2] + ½·[−2.25, 0.5] = [−0.625, −0.75]
        //   reset after:  h1·U_h = [1·1 + (−2)·3, 1·2 + (−2)·1] = [−5, 0];  n = r ⊙ [−5, 0] = [−3.75, 0]
        //                 h2 = ½·[1, −2] + ½·[−3.75, 0] = [−1.375, −1]
        float[] kernel = [0, 0, 0, 0, 2, -4];
        float[] recurrent = [0, 0, 1.5f, 0, 1, 2, 0, 0, 0, 0, 3, 1];
        var x = T([1f, 0f], 1, 2, 1);

        var before = new GRU(2, Activation.Linear, Activation.HardSigmoid, returnSequences: true, resetAfter: false);
        before.Build([2, 1], new RandomGenerator(1));
        before.SetWeights(T(kernel, 1, 6), T(recurrent, 2, 6), new Tensor(6));
        AssertValues([1, -2, -0.625f, -0.75f], before.Forward(x, null, training: false));

        var after = new GRU(2, Activation.Linear, Activation.HardSigmoid, returnSequences: true, resetAfter: true);
        after.Build([2, 1], new RandomGenerator(1));
        after.SetWeights(T(kernel, 1, 6), T(recurrent, 2, 6), new Tensor(2, 6));
        AssertValues([1, -2, -1.375f, -1], after.Forward(x, null, training: false));
    }

    /// <summary>Two LSTMs with the same weights, built for different sequence lengths.</summary>
    private static (LSTM, LSTM) LstmPair(int longSteps, int shortSteps, int features, bool returnSequences = false)
    {
        var a = new LSTM(3, returnSequences: returnSequences);
        a.Build([longSteps, features], new RandomGenerator(7));
        var random = new Random(3);
        // Nonzero biases so that a zero state does not stay zero by accident.
        foreach (var w in a.Weights)
            for (int i = 0; i < w.Value.Length; i++) w.Value.Span[i] += (float)(random.NextDouble() - 0.5);
        var b = new LSTM(3, returnSequences: returnSequences);
        b.Build([shortSteps, features], new RandomGenerator(8));
        b.SetWeights(a.GetWeights());
        return (a, b);
    }

    [Theory, MemberData(nameof(Choices))]
    public void MaskedStepCarriesTheStateOver(KernelChoice kernels)
    {
        using var _ = KernelChoices.Use(kernels);
        // Keras: at a masked step every state (h and c) and the output are the previous step's. So the LSTM on
        // [x0, x1, x2] with mask [1, 0, 1] must give exactly the LSTM on [x0, x2]; row 1 (mask [1, 1, 1]) is the
        // full sequence; row 0 without its mask would differ.
        const int features = 2;
        var (lstm, shortLstm) = LstmPair(3, 2, features, returnSequences: true);
        float[] x = [0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f, /* row 1 */ 0.3f, 0.8f, -0.6f, 1.1f, 0.9f, -0.2f];
        var y = lstm.Forward(T(x, 2, 3, features), T([1f, 0f, 1f, 1f, 1f, 1f], 2, 3), training: false).Clone();

        var yShort = shortLstm.Forward(T([0.5f, -1f, -0.75f, 1.5f], 1, 2, features), null, training: false).Clone();
        var yRow1 = new LSTM(3, returnSequences: true);
        yRow1.Build([3, features], new RandomGenerator(1));
        yRow1.SetWeights(lstm.GetWeights());
        var yFull = yRow1.Forward(T(x[6..], 1, 3, features), null, training: false).Clone();

        var row0 = y.Span[..9];
        // t=0 as unmasked; t=1 (masked) repeats t=0's output; t=2 equals the short run's second output.
        for (int j = 0; j < 3; j++)
        {
            Assert.True(Math.Abs(yShort.Span[j] - row0[j]) <= Tolerance, $"unit {j}: {row0[j]:R} vs {yShort.Span[j]:R}");
            Assert.Equal(row0[j], row0[3 + j]);
            Assert.True(Math.Abs(yShort.Span[3 + j] - row0[6 + j]) <= Tolerance, $"unit {j}: {row0[6 + j]:R} vs {yShort.Span[3 + j]:R}");
        }
        AssertValues(yFull.Span.ToArray(), new Tensor(y.Span[9..].ToArray(), 1, 3, 3));
        var yRow0Unmasked = yRow1.Forward(T(x[..6], 1, 3, features), null, training: false);
        Assert.True(Math.Abs(yRow0Unmasked.Span[6] - y.Span[6]) > 1e-3, "the mask had no effect on row 0");
    }

    [Theory, MemberData(nameof(Choices))]
    public void PrePaddingWithMaskZeroLeavesTheStateAtZero(KernelChoice kernels)
    {
        using var _ = KernelChoices.Use(kernels);
        // Keras pad_sequences pads in front; with Embedding(mask_zero=True) the padded steps are masked, so the
        // state stays at its initial zeros, the outputs there are the zero "previous output", the final output is
        // that of the unpadded sequence, and no gradient reaches the padding (nor embeddings row 0).
        var embedding = new Embedding(6, 2, maskZero: true);
        embedding.Build([4], new RandomGenerator(3));
        var ids = T([0f, 0f, 5f, 3f], 1, 4);
        var embedded = embedding.Forward(ids, null, training: false);
        Assert.NotEqual(0f, embedded.Span[0]);  // id 0 is looked up like any other; only the mask makes it padding
        var mask = embedding.OutputMask(ids, null)!;
        AssertValues([0, 0, 1, 1], mask, 0);

        var (lstm, shortLstm) = LstmPair(4, 2, 2, returnSequences: true);
        var y = lstm.Forward(embedded, mask, training: false);
        Assert.All(y.Span[..6].ToArray(), v => Assert.Equal(0f, v));  // steps 0 and 1: h stays 0

        var unpadded = embedding.Forward(T([5f, 3f], 1, 2), null, training: false).Clone();
        var expected = shortLstm.Forward(unpadded, null, training: false);
        AssertValues(expected.Span.ToArray(), new Tensor(y.Span[6..].ToArray(), 1, 2, 3));

        var dy = new Tensor(1, 4, 3);
        for (int i = 0; i < dy.Length; i++) dy.Span[i] = 0.1f * (i + 1);
        embedded = embedding.Forward(ids, null, training: false);
        lstm.Forward(embedded, mask, training: false);
        var dx = lstm.Backward(dy)!;
        Assert.All(dx.Span[..4].ToArray(), v => Assert.Equal(0f, v));  // padded steps 0 and 1 get no gradient
        Assert.Contains(dx.Span[4..].ToArray(), v => v != 0);
        embedding.Backward(dx);
        var dEmbeddings = embedding.Weights[0].Gradient;
        Assert.Equal(0f, dEmbeddings[0, 0]);
        Assert.Equal(0f, dEmbeddings[0, 1]);
        Assert.NotEqual(0f, dEmbeddings[5, 0]);
    }
}
