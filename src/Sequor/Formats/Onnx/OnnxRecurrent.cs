using Sequor.Layers;

namespace Sequor.Formats.Onnx;

/// <summary>
/// SimpleRNN, LSTM, GRU and Bidirectional as ONNX's RNN, LSTM and GRU operators
/// (https://onnx.ai/onnx/operators/onnx__LSTM.html, onnx__GRU.html, onnx__RNN.html).
/// <code>
/// Keras kernel [F, G·H], recurrent_kernel [H, G·H]   →   ONNX W [D, G·H, F], R [D, G·H, H] (transposed)
/// LSTM gate blocks  Keras i, f, c, o   →   ONNX i, o, f, c;   bias → Wb, Rb = 0
/// GRU  gate blocks  Keras z, r, h      =   ONNX z, r, h;      reset_after: bias rows → Wb, Rb, linear_before_reset = 1
///                                                             reset_after=False: bias → Wb, Rb = 0, linear_before_reset = 0
/// SimpleRNN: bias → Wb, Rb = 0
/// activations: LSTM (recurrent_activation, activation, activation), GRU (recurrent_activation, activation),
///              SimpleRNN (activation); linear is Affine(1, 0), hard_sigmoid is HardSigmoid(slope, 0.5)
/// </code>
/// The operators take time-major input [T, N, F] and give Y [T, D, N, H] (every state, at its time, also for
/// the reverse direction) and Y_h [D, N, H] (the final states). Keras's go_backwards layer returns its sequence
/// in processing order (reversed in time), so that is reversed back; D = 2 with Bidirectional.
/// </summary>
internal static class OnnxRecurrent
{
    /// <summary>A SimpleRNN, LSTM or GRU on x [N, T, F]: [N, H], or [N, T, H] with return_sequences.</summary>
    /// <param name="openLength">The time axis is symbolic (a model of open length): nothing may depend on T.</param>
    public static string Layer(OnnxGraph graph, Recurrent layer, string x, OnnxMasking? mask, bool openLength)
    {
        string name = layer.Name;
        bool reverse = layer.GoBackwards;
        var (y, finalStates) = Run(graph, name, x, mask, layer.ReturnSequences, reverse ? null : layer, reverse ? layer : null);
        if (!layer.ReturnSequences)
        {
            var last = graph.Node("Squeeze", $"{name}/last", [finalStates, graph.Int64s($"{name}/axis0", 0)]);
            // a row of padding only has sequence length 0, whose Y_h the ONNX spec leaves open (ONNX Runtime gives
            // zeros); Keras gives the zero initial state, so it is set explicitly
            return mask is null ? last : graph.Node("Mul", $"{name}/last_if_any", [last, mask.AnyStep]);
        }
        var states = graph.Node("Squeeze", $"{name}/sequence", [y!, graph.Int64s($"{name}/axis2", 2)]);  // [N, T, H]
        if (mask is not null) states = reverse ? mask.ReverseStates(states, name) : mask.ForwardStates(states, name);
        return reverse ? ReverseTime(graph, states, name, openLength ? null : layer.InputShape[0]) : states;
    }

    /// <summary>
    /// Keras's Bidirectional: its forward_layer and backward_layer in one bidirectional operator, merged. When the
    /// wrapped layer itself has go_backwards, forward_layer runs in reverse and backward_layer forwards, and the
    /// merged sequence is in reversed time, as Keras gives it.
    /// </summary>
    public static string Bidirectional(OnnxGraph graph, Bidirectional layer, string x, OnnxMasking? mask, bool openLength)
    {
        string name = layer.Name;
        bool swapped = layer.Layer.GoBackwards;
        var forwardRun = swapped ? layer.BackwardLayer : layer.ForwardLayer;  // ONNX direction 0
        var reverseRun = swapped ? layer.ForwardLayer : layer.BackwardLayer;  // ONNX direction 1
        bool sequences = layer.Layer.ReturnSequences;
        var (y, finalStates) = Run(graph, name, x, mask, sequences, forwardRun, reverseRun);
        string forward, reverse;
        if (!sequences)
        {
            forward = graph.Node("Gather", $"{name}/forward_last", [finalStates, graph.Int64($"{name}/direction0", 0)], OnnxAttribute.Int("axis", 0));
            reverse = graph.Node("Gather", $"{name}/backward_last", [finalStates, graph.Int64($"{name}/direction1", 1)], OnnxAttribute.Int("axis", 0));
            if (mask is not null)  // sequence length 0: see Layer
            {
                forward = graph.Node("Mul", $"{name}/forward_last_if_any", [forward, mask.AnyStep]);
                reverse = graph.Node("Mul", $"{name}/backward_last_if_any", [reverse, mask.AnyStep]);
            }
        }
        else
        {
            forward = graph.Node("Gather", $"{name}/forward_sequence", [y!, graph.Int64($"{name}/direction0", 0)], OnnxAttribute.Int("axis", 2));
            reverse = graph.Node("Gather", $"{name}/backward_sequence", [y!, graph.Int64($"{name}/direction1", 1)], OnnxAttribute.Int("axis", 2));
            if (mask is not null)
            {
                // under Bidirectional, Keras outputs zeros at masked steps (not the carried state)
                forward = mask.ZeroMasked(mask.ForwardStates(forward, name), name);
                reverse = mask.ZeroMasked(mask.ReverseStates(reverse, name), name);
            }
        }
        var (first, second) = swapped ? (reverse, forward) : (forward, reverse);
        string merged = layer.MergeMode switch
        {
            MergeMode.Concat => graph.Node("Concat", $"{name}/concat", [first, second], OnnxAttribute.Int("axis", -1)),
            MergeMode.Sum => graph.Node("Add", $"{name}/sum", [first, second]),
            MergeMode.Mul => graph.Node("Mul", $"{name}/mul", [first, second]),
            MergeMode.Ave => graph.Node("Mul", $"{name}/ave", [graph.Node("Add", $"{name}/sum", [first, second]), graph.Float($"{name}/half", 0.5f)]),
            var other => throw new SequorException($"layer '{name}' (Bidirectional): merge_mode {other} has no ONNX export"),
        };
        return sequences && swapped ? ReverseTime(graph, merged, name, openLength ? null : layer.InputShape[0]) : merged;
    }

    /// <summary>
    /// One ONNX recurrent operator over x [N, T, F] with the given directions (either may be null): returns
    /// Y batch-major [N, T, D, H] (when asked for) and Y_h [D, N, H].
    /// </summary>
    private static (string? Sequence, string FinalStates) Run(OnnxGraph graph, string name, string x, OnnxMasking? mask, bool sequences,
        Recurrent? forward, Recurrent? reverse)
    {
        Recurrent[] cells = forward is null ? [reverse!] : reverse is null ? [forward] : [forward, reverse];
        var cell = cells[0];
        int h = cell.Units, f = cell.InputShape[1], gates = Gates(cell);
        int directions = cells.Length;
        var w = new float[directions * gates * h * f];
        var r = new float[directions * gates * h * h];
        var b = new float[directions * 2 * gates * h];
        for (int d = 0; d < directions; d++) FillWeights(cells[d], w.AsSpan(d * gates * h * f), r.AsSpan(d * gates * h * h), b.AsSpan(d * 2 * gates * h));

        string input = mask is null ? x : mask.Compact(x, name);
        var timeMajor = graph.Node("Transpose", $"{name}/time_major", [input], OnnxAttribute.Ints("perm", 1, 0, 2));
        var inputs = new List<string>
        {
            timeMajor,
            graph.Floats($"{name}/W", [directions, gates * h, f], w),
            graph.Floats($"{name}/R", [directions, gates * h, h], r),
            graph.Floats($"{name}/B", [directions, 2 * gates * h], b),
        };
        if (mask is not null) inputs.Add(mask.Lengths);

        var activations = new List<string>();
        var alphas = new List<float>();
        var betas = new List<float>();
        foreach (var _ in cells)
            foreach (var activation in cell switch
            {
                LSTM => new[] { cell.RecurrentActivation, cell.Activation, cell.Activation },
                GRU => [cell.RecurrentActivation, cell.Activation],
                _ => [cell.Activation],
            })
                AddActivation(activation, cell, activations, alphas, betas);
        var attributes = new List<OnnxAttribute>
        {
            OnnxAttribute.Int("hidden_size", h),
            OnnxAttribute.Text("direction", directions == 2 ? "bidirectional" : forward is not null ? "forward" : "reverse"),
            OnnxAttribute.Texts("activations", activations.ToArray()),
        };
        // ONNX Runtime reads these lists in activation order, one value per activation that takes it
        if (alphas.Count > 0) attributes.Add(OnnxAttribute.Floats("activation_alpha", alphas.ToArray()));
        if (betas.Count > 0) attributes.Add(OnnxAttribute.Floats("activation_beta", betas.ToArray()));
        if (cell is GRU gru) attributes.Add(OnnxAttribute.Int("linear_before_reset", gru.ResetAfter ? 1 : 0));

        string op = cell switch { LSTM => "LSTM", GRU => "GRU", _ => "RNN" };
        var outputs = graph.Node(op, name, inputs.ToArray(), [sequences, true], attributes.ToArray());
        string? sequence = sequences
            ? graph.Node("Transpose", $"{name}/batch_major", [outputs[0]], OnnxAttribute.Ints("perm", 2, 0, 1, 3))
            : null;
        return (sequence, outputs[1]);
    }

    private static int Gates(Recurrent cell) => cell switch
    {
        LSTM => 4,
        GRU => 3,
        SimpleRNN => 1,
        _ => throw new SequorException($"layer '{cell.Name}' ({cell.ClassName}) has no ONNX export"),
    };

    /// <summary>For each ONNX gate block, the Keras block it comes from.</summary>
    private static int[] KerasBlocks(Recurrent cell) => cell switch
    {
        LSTM => [0, 3, 1, 2],  // ONNX i, o, f, c ← Keras i, f, c, o
        GRU => [0, 1, 2],      // z, r, h in both
        _ => [0],
    };

    /// <summary>One direction's W [G·H, F], R [G·H, H] and B [2·G·H] = (Wb, Rb) from the Keras weights.</summary>
    private static void FillWeights(Recurrent cell, Span<float> w, Span<float> r, Span<float> b)
    {
        int h = cell.Units, f = cell.InputShape[1], width = Gates(cell) * h;
        var blocks = KerasBlocks(cell);
        var kernel = Weight(cell, "kernel")!.Value.Span;
        var recurrent = Weight(cell, "recurrent_kernel")!.Value.Span;
        var bias = Weight(cell, "bias")?.Value;
        for (int k = 0; k < blocks.Length; k++)
            for (int j = 0; j < h; j++)
            {
                int row = k * h + j, column = blocks[k] * h + j;
                for (int i = 0; i < f; i++) w[row * f + i] = kernel[i * width + column];
                for (int i = 0; i < h; i++) r[row * h + i] = recurrent[i * width + column];
                if (bias is null) continue;
                var values = bias.Span;
                b[row] = values[column];
                // GRU reset_after keeps a second bias row, added to h·U inside the reset product (ONNX's Rb)
                if (bias.Rank == 2) b[width + row] = values[width + column];
            }
    }

    private static Weight? Weight(Recurrent cell, string name) => cell.Weights.FirstOrDefault(w => w.Name == name);

    private static void AddActivation(Activation activation, Recurrent cell, List<string> names, List<float> alphas, List<float> betas)
    {
        switch (activation.Name)
        {
            case "tanh": names.Add("Tanh"); break;
            case "sigmoid": names.Add("Sigmoid"); break;
            case "relu": names.Add("Relu"); break;
            case "linear": names.Add("Affine"); alphas.Add(1); betas.Add(0); break;
            case "hard_sigmoid":
                names.Add("HardSigmoid");
                alphas.Add(OnnxExport.HardSigmoidSlope(activation));
                betas.Add(0.5f);
                break;
            default: throw new SequorException($"layer '{cell.Name}' ({cell.ClassName}): activation '{activation.Name}' has no ONNX export");
        }
    }

    /// <summary>
    /// x [N, T, ·] with its time axis reversed: a Gather of the T times backwards, or for an open length (null
    /// <paramref name="steps"/>) a Slice from the last step down past the first, which holds for every T.
    /// </summary>
    private static string ReverseTime(OnnxGraph graph, string x, string name, int? steps)
    {
        if (steps is null)
            return graph.Node("Slice", $"{name}/reverse_time", [x, graph.Int64s($"{name}/from_last", -1), graph.Int64s($"{name}/past_first", long.MinValue),
                graph.Int64s($"{name}/time_axis", 1), graph.Int64s($"{name}/backwards", -1)]);
        var order = new long[steps.Value];
        for (int t = 0; t < steps; t++) order[t] = steps.Value - 1 - t;
        return graph.Node("Gather", $"{name}/reverse_time", [x, graph.Int64s($"{name}/reversed_times", [steps.Value], order)], OnnxAttribute.Int("axis", 1));
    }
}
