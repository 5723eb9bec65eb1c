namespace Sequor.Formats.Onnx;

/// <summary>
/// Keras's masking (<c>Embedding(mask_zero=True)</c>) in standard ONNX operators. Keras skips a masked step
/// wherever it is: the state is carried over it, so a sequence's states are those of its unmasked steps run
/// alone, in order. ONNX's recurrent operators skip only the tail (<c>sequence_lens</c>: the first len steps
/// are real, the rest padding). So each row is compacted first — its unmasked steps moved to the front in
/// order, the masked ones after them — the operator runs with <c>sequence_lens</c> = the number of unmasked
/// steps, and the states are put back at their original times:
/// <code>
/// m[b, t] = ids[b, t] ≠ 0        c[b, t] = Σ_{s ≤ t} m[b, s]        n[b] = Σ_t m[b, t]
/// compacted position of step t:  m ? c − 1 : n + t − c            (a permutation of 0 … T−1)
/// forward states at time t:  Y[c − 1], or 0 while c = 0          (the last unmasked step at or before t)
/// reverse states at time t:  Y[c − m], or 0 once c − m = n        (the first unmasked step at or after t)
/// </code>
/// This is exact for padding anywhere (pre-padding as <c>pad_sequences</c> makes, post-padding, zeros inside
/// a sequence) and for rows that are all padding (n = 0: every state is the zero initial state).
/// </summary>
internal sealed class OnnxMasking
{
    private readonly OnnxGraph graph;
    private readonly string ids;
    private readonly int? steps;
    private bool built;
    private string mask = "", maskFloat = "", lengths = "", anyStep = "", destination = "";
    private string forwardIndex = "", forwardValid = "", reverseIndex = "", reverseValid = "";

    /// <param name="ids">The token ids [N, T] (int64) whose zeros are padding.</param>
    /// <param name="steps">T, or null for a model of open length: T is then read from the ids' shape at run time.</param>
    public OnnxMasking(OnnxGraph graph, string ids, int? steps)
    {
        this.graph = graph;
        this.ids = ids;
        this.steps = steps;
    }

    /// <summary>The number of unmasked steps of each row [N] (int32), ONNX's <c>sequence_lens</c>.</summary>
    public string Lengths { get { Build(); return lengths; } }

    /// <summary>[N, 1]: 1 where the row has an unmasked step, else 0.</summary>
    public string AnyStep { get { Build(); return anyStep; } }

    /// <summary>x [N, T, F] with each row's unmasked steps moved to the front, in order.</summary>
    public string Compact(string x, string name)
    {
        Build();
        return graph.Node("ScatterElements", $"{name}/compact", [x, Spread(destination, x, name), x], OnnxAttribute.Int("axis", 1));
    }

    /// <summary>States at original times [N, T, H] from a forward run on compacted input.</summary>
    public string ForwardStates(string y, string name)
    {
        Build();
        var gathered = graph.Node("GatherElements", $"{name}/forward_states", [y, Spread(forwardIndex, y, name)], OnnxAttribute.Int("axis", 1));
        return graph.Node("Mul", $"{name}/forward_states_valid", [gathered, forwardValid]);
    }

    /// <summary>States at original times [N, T, H] from a reverse run on compacted input.</summary>
    public string ReverseStates(string y, string name)
    {
        Build();
        var gathered = graph.Node("GatherElements", $"{name}/reverse_states", [y, Spread(reverseIndex, y, name)], OnnxAttribute.Int("axis", 1));
        return graph.Node("Mul", $"{name}/reverse_states_valid", [gathered, reverseValid]);
    }

    /// <summary>y [N, T, H] with masked steps zeroed (a Bidirectional layer's returned sequences, as Keras).</summary>
    public string ZeroMasked(string y, string name)
    {
        Build();
        return graph.Node("Mul", $"{name}/zero_masked", [y, maskFloat]);
    }

    // index [N, T] → [N, T, width of x], the shape GatherElements and ScatterElements take
    private string Spread(string index, string x, string name)
    {
        var shape = graph.Node("Shape", $"{name}/shape", [x]);
        var column = graph.Node("Unsqueeze", $"{name}/index", [index, graph.Int64s($"{name}/axis2", 2)]);
        return graph.Node("Expand", $"{name}/spread", [column, shape]);
    }

    private void Build()
    {
        if (built) return;
        built = true;
        var g = graph;
        const string p = "mask";
        string zero = g.Int64($"{p}/zero", 0), one = g.Int64($"{p}/one", 1), axis2 = g.Int64s($"{p}/axis2", 2);
        mask = g.Node("Not", $"{p}/not_padding", [g.Node("Equal", $"{p}/is_padding", [ids, zero])]);
        var maskInt = g.Node("Cast", $"{p}/int", [mask], OnnxAttribute.Int("to", (long)OnnxType.Int64));
        maskFloat = g.Node("Unsqueeze", $"{p}/float3", [g.Node("Cast", $"{p}/float", [mask], OnnxAttribute.Int("to", (long)OnnxType.Float)), axis2]);
        var count = g.Node("CumSum", $"{p}/count", [maskInt, g.Int64($"{p}/time_axis", 1)]);
        var total = g.Node("ReduceSum", $"{p}/total", [maskInt, g.Int64s($"{p}/axis1", 1)], OnnxAttribute.Int("keepdims", 1));
        string times;
        string? lastTime = null;
        if (steps is { } known)
        {
            var time = new long[known];
            for (int t = 0; t < known; t++) time[t] = t;
            times = g.Int64s($"{p}/times", [known], time);
        }
        else
        {
            var length = g.Node("Gather", $"{p}/length", [g.Node("Shape", $"{p}/ids_shape", [ids]), one], OnnxAttribute.Int("axis", 0));
            times = g.Node("Range", $"{p}/times", [zero, length, one]);
            lastTime = g.Node("Sub", $"{p}/last_time", [length, one]);
        }
        var countMinusOne = g.Node("Sub", $"{p}/count_minus_one", [count, one]);
        var padPosition = g.Node("Sub", $"{p}/padding_position", [g.Node("Add", $"{p}/total_plus_time", [total, times]), count]);
        destination = g.Node("Where", $"{p}/compacted_position", [mask, countMinusOne, padPosition]);
        lengths = g.Node("Cast", $"{p}/lengths", [g.Node("Squeeze", $"{p}/total_1d", [total, g.Int64s($"{p}/axis1_", 1)])],
            OnnxAttribute.Int("to", (long)OnnxType.Int32));
        anyStep = g.Node("Cast", $"{p}/any_step", [g.Node("Greater", $"{p}/has_steps", [total, zero])], OnnxAttribute.Int("to", (long)OnnxType.Float));
        forwardIndex = g.Node("Max", $"{p}/forward_index", [countMinusOne, zero]);
        forwardValid = g.Node("Unsqueeze", $"{p}/forward_valid", [
            g.Node("Cast", $"{p}/forward_valid_float", [g.Node("Greater", $"{p}/seen_step", [count, zero])], OnnxAttribute.Int("to", (long)OnnxType.Float)), axis2]);
        var before = g.Node("Sub", $"{p}/steps_before", [count, maskInt]);
        reverseIndex = g.Node("Min", $"{p}/reverse_index", [before, lastTime ?? g.Int64($"{p}/last_time", steps!.Value - 1)]);
        reverseValid = g.Node("Unsqueeze", $"{p}/reverse_valid", [
            g.Node("Cast", $"{p}/reverse_valid_float", [g.Node("Less", $"{p}/step_ahead", [before, total])], OnnxAttribute.Int("to", (long)OnnxType.Float)), axis2]);
    }
}
