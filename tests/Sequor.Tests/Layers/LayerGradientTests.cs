extern alias Float64;
using Float64::Sequor.Layers;

namespace Sequor.Tests.Layers;

/// <summary>Every layer and every option, proven against central differences in double precision, under every
/// kernel choice of the host (the double build's fast kernels run for units a multiple of 4).</summary>
[Collection(nameof(KernelChoiceCollection))]
public class LayerGradientTests
{
    public static IEnumerable<object[]> Choices() => KernelChoices.Cross([[]]);

    private const int Batch = 3, Steps = 5, Features = 4;

    public static TheoryData<string> DenseActivations => new() { "linear", "relu", "sigmoid", "tanh", "softmax", "hard_sigmoid", "hard_sigmoid_keras2" };

    private static Activation ActivationNamed(string name) =>
        name == "hard_sigmoid_keras2" ? Activation.HardSigmoidKeras2 : Activation.FromName(name);

    public static IEnumerable<object[]> DenseActivationsByKernels() => KernelChoices.Cross(DenseActivations);

    [Theory, MemberData(nameof(DenseActivationsByKernels))]
    public void DenseGradientsMatchCentralDifferences(KernelChoice kernels, string activation)
    {
        using var _ = KernelChoices.Use(kernels);
        GradientCheck.Check(new Dense(3, ActivationNamed(activation)), [Batch, Features]);
    }

    [Theory, MemberData(nameof(Choices))]
    public void DenseOnSequencesAndWithoutBiasMatchesCentralDifferences(KernelChoice kernels)
    {
        using var _ = KernelChoices.Use(kernels);
        GradientCheck.Check(new Dense(3, Activation.Tanh), [Batch, Steps, Features]);
        GradientCheck.Check(new Dense(2, Activation.Sigmoid, useBias: false), [Batch, Features]);
    }

    [Theory, MemberData(nameof(Choices))]
    public void EmbeddingGradientSumsRepeatedIds(KernelChoice kernels)
    {
        using var _ = KernelChoices.Use(kernels);
        GradientCheck.Check(new Embedding(6, 3), [Batch, 8], vocabulary: 6);
        GradientCheck.Check(new Embedding(6, 4), [Batch, 8], vocabulary: 6);  // rows of one double vector
    }

    [Theory, InlineData(true), InlineData(false)]
    public void DropoutGradientMatchesCentralDifferences(bool training) =>
        GradientCheck.Check(new Dropout(0.4), [Batch, Steps, Features], training: training);

    public static TheoryData<string, string> RecurrentCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var cell in new[] { "simple_rnn", "lstm", "gru", "gru_reset_before" })
            foreach (var option in new[] { "default", "return_sequences", "go_backwards", "go_backwards_sequences", "dropout", "recurrent_dropout", "mask", "mask_sequences", "activations", "no_bias" })
                data.Add(cell, option);
        return data;
    }

    internal static Recurrent MakeRecurrent(string cell, string option)
    {
        bool sequences = option is "return_sequences" or "go_backwards_sequences" or "mask_sequences";
        bool backwards = option.StartsWith("go_backwards");
        double dropout = option == "dropout" ? 0.3 : 0, recurrentDropout = option == "recurrent_dropout" ? 0.4 : 0;
        bool bias = option != "no_bias";
        var activation = option == "activations" ? Activation.Relu : null;
        var recurrentActivation = option == "activations" ? Activation.HardSigmoid : null;
        return cell switch
        {
            "simple_rnn" => new SimpleRNN(3, activation, bias, dropout, recurrentDropout, sequences, backwards),
            "lstm" => new LSTM(3, activation, recurrentActivation, bias, dropout, recurrentDropout, sequences, backwards),
            "gru" => new GRU(3, activation, recurrentActivation, bias, dropout, recurrentDropout, sequences, backwards, resetAfter: true),
            _ => new GRU(3, activation, recurrentActivation, bias, dropout, recurrentDropout, sequences, backwards, resetAfter: false),
        };
    }

    public static IEnumerable<object[]> RecurrentCasesByKernels() => KernelChoices.Cross(RecurrentCases());

    [Theory, MemberData(nameof(RecurrentCasesByKernels))]
    public void RecurrentGradientsMatchCentralDifferences(KernelChoice kernels, string cell, string option)
    {
        using var _ = KernelChoices.Use(kernels);
        var layer = MakeRecurrent(cell, option);
        var mask = option.StartsWith("mask") ? GradientCheck.Mask(Batch, Steps) : null;
        bool training = option.Contains("dropout");
        GradientCheck.Check(layer, [Batch, Steps, Features], mask: mask, training: training);
    }

    public static TheoryData<string, string> FusedCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var cell in new[] { "simple_rnn", "lstm", "gru" })
            foreach (var option in new[] { "default", "go_backwards_sequences", "dropout", "recurrent_dropout", "mask_sequences", "no_bias" })
                data.Add(cell, option);
        return data;
    }

    /// <summary>Units a multiple of the vector width with tanh/sigmoid: the cells' fused kernels (8 units = 2 double vectors).</summary>
    public static IEnumerable<object[]> FusedCasesByKernels() => KernelChoices.Cross(FusedCases());

    [Theory, MemberData(nameof(FusedCasesByKernels))]
    public void FusedRecurrentGradientsMatchCentralDifferences(KernelChoice kernels, string cell, string option)
    {
        using var _ = KernelChoices.Use(kernels);
        bool sequences = option is "go_backwards_sequences" or "mask_sequences";
        bool backwards = option.StartsWith("go_backwards");
        double dropout = option == "dropout" ? 0.3 : 0, recurrentDropout = option == "recurrent_dropout" ? 0.4 : 0;
        bool bias = option != "no_bias";
        Recurrent layer = cell switch
        {
            "simple_rnn" => new SimpleRNN(8, null, bias, dropout, recurrentDropout, sequences, backwards),
            "lstm" => new LSTM(8, null, null, bias, dropout, recurrentDropout, sequences, backwards),
            _ => new GRU(8, null, null, bias, dropout, recurrentDropout, sequences, backwards, resetAfter: true),
        };
        var mask = option.StartsWith("mask") ? GradientCheck.Mask(Batch, Steps) : null;
        GradientCheck.Check(layer, [Batch, Steps, Features], mask: mask, training: option.Contains("dropout"));
    }

    public static IEnumerable<object[]> WideCasesByKernels() => KernelChoices.Cross(FusedCases());

    /// <summary>
    /// Wide layers (G·H ≥ 64) form ∂U, ∂W, the biases and ∂X in blocks of time during the reverse loop (Recurrent's
    /// BlockSteps): here blocks of 16 rows, so 5 steps of the 3 rows, 10 steps in two blocks, every option crossing
    /// the boundary.
    /// </summary>
    [Theory, MemberData(nameof(WideCasesByKernels))]
    public void WideRecurrentGradientsFormedInBlocksMatchCentralDifferences(KernelChoice kernels, string cell, string option)
    {
        using var _ = KernelChoices.Use(kernels);
        bool sequences = option is "go_backwards_sequences" or "mask_sequences";
        bool backwards = option.StartsWith("go_backwards");
        double dropout = option == "dropout" ? 0.3 : 0, recurrentDropout = option == "recurrent_dropout" ? 0.4 : 0;
        bool bias = option != "no_bias";
        Recurrent layer = cell switch
        {
            "simple_rnn" => new SimpleRNN(64, null, bias, dropout, recurrentDropout, sequences, backwards),
            "lstm" => new LSTM(16, null, null, bias, dropout, recurrentDropout, sequences, backwards),
            _ => new GRU(24, null, null, bias, dropout, recurrentDropout, sequences, backwards, resetAfter: true),
        };
        layer.BlockRows = 16;
        const int steps = 10;
        var mask = option.StartsWith("mask") ? GradientCheck.Mask(Batch, steps) : null;
        GradientCheck.Check(layer, [Batch, steps, Features], mask: mask, training: option.Contains("dropout"));
    }

    /// <summary>Units equal to one vector (4 doubles here, 8 floats in the shipped build): the LSTM's folded step kernel.</summary>
    public static IEnumerable<object[]> OneVectorCases() =>
        KernelChoices.Cross(new[] { "default", "go_backwards_sequences", "recurrent_dropout", "mask_sequences" }.Select(o => new object[] { o }));

    [Theory, MemberData(nameof(OneVectorCases))]
    public void OneVectorLstmGradientsMatchCentralDifferences(KernelChoice kernels, string option)
    {
        using var _ = KernelChoices.Use(kernels);
        bool sequences = option is "go_backwards_sequences" or "mask_sequences";
        var layer = new LSTM(4, null, null, true, 0, option == "recurrent_dropout" ? 0.4 : 0, sequences, option.StartsWith("go_backwards"));
        var mask = option.StartsWith("mask") ? GradientCheck.Mask(Batch, Steps) : null;
        GradientCheck.Check(layer, [Batch, Steps, Features], mask: mask, training: option.Contains("dropout"));
    }

    public static TheoryData<string, string, bool> BidirectionalCases()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var cell in new[] { "simple_rnn", "lstm", "gru" })
            foreach (var mode in new[] { "concat", "sum", "mul", "ave" })
                foreach (var sequences in new[] { false, true })
                    data.Add(cell, mode, sequences);
        return data;
    }

    public static IEnumerable<object[]> BidirectionalCasesByKernels() => KernelChoices.Cross(BidirectionalCases());

    [Theory, MemberData(nameof(BidirectionalCasesByKernels))]
    public void BidirectionalGradientsMatchCentralDifferences(KernelChoice kernels, string cell, string mode, bool sequences)
    {
        using var _ = KernelChoices.Use(kernels);
        var inner = MakeRecurrent(cell, sequences ? "return_sequences" : "default");
        var layer = new Bidirectional(inner, Enum.Parse<MergeMode>(mode, ignoreCase: true));
        GradientCheck.Check(layer, [Batch, Steps, Features]);
    }

    public static IEnumerable<object[]> MaskCases() => KernelChoices.Cross([[false], [true]]);

    [Theory, MemberData(nameof(MaskCases))]
    public void BidirectionalWithMaskMatchesCentralDifferences(KernelChoice kernels, bool sequences)
    {
        using var _ = KernelChoices.Use(kernels);
        var layer = new Bidirectional(MakeRecurrent("lstm", sequences ? "return_sequences" : "default"));
        GradientCheck.Check(layer, [Batch, Steps, Features], mask: GradientCheck.Mask(Batch, Steps));
    }
}
