using System.Globalization;
using PureHDF;
using Sequor.Layers;
using Sequor.Training;

namespace Sequor.Formats;

/// <summary>
/// An optimizer's state in Keras files, always matched by position, never by name:
/// <list type="bullet">
/// <item>.keras (Keras 3): <c>optimizer/vars/0…N</c> in <c>model.weights.h5</c> = iteration (int64), learning rate
/// (float32), then the slots in Keras 3 order (RMSprop velocities, momentums, average gradients; Adam m₀, v₀, m₁, v₁,
/// …, then v̂; SGD momentums).</item>
/// <item>legacy .h5, written in Keras 3's layout (its legacy HDF5 writer): <c>optimizer_weights</c> with
/// <c>weight_names</c> = <c>adam/iteration</c>, <c>adam/learning_rate</c>, then the slots in Keras 3 order, named
/// <c>adam/sequential_lstm_lstm_cell_kernel_momentum</c>; none before the first step, as Keras writes it.</item>
/// <item>legacy .h5 of a model only Keras 2 computes (its hard_sigmoid), written in Keras 2.11–2.15's layout (the
/// one the real Keras 2.11 files use): <c>weight_names</c> = <c>iteration:0</c> then the slots in the same order as
/// Keras 3, named <c>RMSprop/velocity/lstm/lstm_cell/kernel:0</c>; no learning-rate value (it is in
/// <c>training_config</c>).</item>
/// <item>legacy .h5, read in all of these and in Keras 2's <c>optimizer_v2</c> layout (TF ≤ 2.10: <c>iter</c>, then
/// slots grouped by kind, so Adam's are all m, then all v, then all v̂).</item>
/// </list>
/// </summary>
internal static class OptimizerState
{
    /// <summary>The state as stored: the step count, the learning rate (Keras 3 only) and slot values in Sequor's order.</summary>
    private sealed record Values(long Iterations, Real? LearningRate, Real[][] Slots);

    /// <summary>For every state tensor of <paramref name="optimizer"/> (Sequor's = Keras 3's order): its Keras 2.11 slot name and the index of its variable.</summary>
    private static (string Slot, int Variable)[] Slots(Optimizer optimizer, int variables)
    {
        IEnumerable<(string, int)> Block(string slot) => Enumerable.Range(0, variables).Select(i => (slot, i));
        return optimizer switch
        {
            RMSprop r => [.. Block("velocity"), .. r.Momentum > 0 ? Block("momentum") : [], .. r.Centered ? Block("average_gradient") : []],
            Adam a => [.. Enumerable.Range(0, variables).SelectMany(i => new[] { ("m", i), ("v", i) }), .. a.Amsgrad ? Block("vhat") : []],
            SGD s => [.. s.Momentum != 0 ? Block("m") : []],
            _ => throw new SequorException($"optimizer {optimizer.GetType().Name} has no Keras state layout"),
        };
    }

    // Keras 2's optimizer_v2 creates Adam's slots kind by kind (all m, all v, all v̂): position in the file of Sequor's slot j.
    private static int LegacyPosition(Optimizer optimizer, int variables, int j) =>
        optimizer is Adam && j < 2 * variables ? (j % 2 == 0 ? j / 2 : variables + j / 2) : j;

    private static string Describe(Optimizer optimizer) => optimizer switch
    {
        RMSprop r => "RMSprop" + Options((r.Momentum > 0, "momentum"), (r.Centered, "centered")),
        Adam a => "Adam" + Options((a.Amsgrad, "amsgrad")),
        SGD s => "SGD" + Options((s.Momentum != 0, "momentum")),
        _ => optimizer.GetType().Name,
    };

    private static string Options(params (bool On, string Name)[] options)
    {
        var on = options.Where(o => o.On).Select(o => o.Name).ToArray();
        return on.Length == 0 ? "" : $" ({string.Join(", ", on)})";
    }

    // The optimizer's current state, or the zeros a first step would create when it has not stepped yet.
    private static (long Iterations, Real[][] Slots, Weight[] Variables) Current(Sequential model)
    {
        var optimizer = model.Optimizer!;
        var variables = optimizer.Variables?.ToArray() ?? model.TrainableWeights();
        var slots = optimizer.Variables is not null
            ? optimizer.State.Select(s => s.ToArray()).ToArray()
            : Slots(optimizer, variables.Length).Select(s => new Real[variables[s.Variable].Value.Length]).ToArray();
        return (optimizer.Iterations, slots, variables);
    }

    private static ulong[] Dims(Weight weight) => weight.Value.Shape.ToArray().Select(d => (ulong)d).ToArray();

    private static H5Dataset Slot(Real[] values, Weight variable) => new(values.Select(v => (float)v).ToArray(), fileDims: Dims(variable));

    /// <summary>Adds <c>optimizer/vars</c> to a Keras 3 weights store.</summary>
    internal static void WriteKeras3(H5Group root, Sequential model)
    {
        var optimizer = model.Optimizer!;
        var (iterations, slots, variables) = Current(model);
        var vars = new H5Group { Attributes = { ["name"] = optimizer.Name } };
        vars["0"] = new H5Dataset(iterations);
        vars["1"] = new H5Dataset((float)optimizer.LearningRate);
        var map = Slots(optimizer, variables.Length);
        for (int j = 0; j < slots.Length; j++)
            vars[(j + 2).ToString(CultureInfo.InvariantCulture)] = Slot(slots[j], variables[map[j].Variable]);
        root["optimizer"] = new H5Group { ["vars"] = vars };
    }

    /// <summary>Adds the <c>optimizer_weights</c> group of a legacy .h5 in Keras 2.11–2.15's layout.</summary>
    internal static void WriteLegacy(H5Group root, Sequential model)
    {
        var optimizer = model.Optimizer!;
        var (iterations, slots, variables) = Current(model);
        var names = model.Layers.SelectMany(l => LegacyH5.WeightNames(l).Zip(l.Weights)).ToDictionary(p => p.Second, p => p.First[..^":0".Length]);
        string className = CompileConfig.ClassName(optimizer);
        var group = new H5Group { ["iteration:0"] = new H5Dataset(iterations) };
        var weightNames = new List<string> { "iteration:0" };
        var map = Slots(optimizer, variables.Length);
        for (int j = 0; j < slots.Length; j++)
        {
            var variable = variables[map[j].Variable];
            string name = $"{className}/{map[j].Slot}/{(names.TryGetValue(variable, out var n) ? n : variable.Name)}:0";
            weightNames.Add(name);
            LegacyH5.AddDataset(group, name, new Tensor(slots[j].ToArray(), variable.Value.Shape.ToArray()));
        }
        group.Attributes["weight_names"] = weightNames.ToArray();
        root["optimizer_weights"] = group;
    }

    /// <summary>
    /// Adds the <c>optimizer_weights</c> group of a .h5 as Keras 3's legacy writer lays it out: the optimizer's
    /// variables in order (iteration, learning rate, then the slots) under <c>&lt;name&gt;/…</c>, listed in
    /// <c>weight_names</c>. Keras 3 restores them by position with <c>optimizer.set_weights</c>.
    /// </summary>
    internal static void WriteKeras3Legacy(H5Group root, Sequential model)
    {
        var optimizer = model.Optimizer!;
        var (iterations, slots, variables) = Current(model);
        var paths = model.Layers.SelectMany(l => LegacyH5.Keras3WeightPaths(model, l).Zip(l.Weights)).ToDictionary(p => p.Second, p => p.First);
        // Keras 3 prefixes the optimizer's variable paths with its name (rmsprop, adam, SGD).
        string prefix = optimizer.Name;
        var group = new H5Group();
        var weightNames = new List<string> { $"{prefix}/iteration", $"{prefix}/learning_rate" };
        LegacyH5.AddDataset(group, weightNames[0], iterations);
        LegacyH5.AddDataset(group, weightNames[1], (float)optimizer.LearningRate);
        var map = Slots(optimizer, variables.Length);
        // An optimizer that never stepped has no slots in Keras 3 (it builds them at its first step), which then writes
        // only the iteration and learning rate. Sequor may hold zero slots already (a compiled model loaded from a file
        // builds its optimizer, as Keras's summary counts it), so the test is the step count.
        for (int j = 0; j < (iterations == 0 ? 0 : slots.Length); j++)
        {
            var variable = variables[map[j].Variable];
            string path = paths.TryGetValue(variable, out var p) ? p : variable.Name;
            // Keras 3 names a slot after its variable's path and the slot kind: SGD/sequential_dense_kernel_momentum.
            string name = $"{prefix}/{path.Replace('/', '_')}_{Keras3SlotName(map[j].Slot)}";
            weightNames.Add(name);
            LegacyH5.AddDataset(group, name, new Tensor(slots[j].ToArray(), variable.Value.Shape.ToArray()));
        }
        group.Attributes["weight_names"] = weightNames.ToArray();
        root["optimizer_weights"] = group;
    }

    // Keras 2.11's slot names (m, v, vhat) as Keras 3 calls them.
    private static string Keras3SlotName(string keras2Slot) => keras2Slot switch
    {
        "m" => "momentum",
        "v" => "velocity",
        "vhat" => "velocity_hat",
        _ => keras2Slot,
    };

    /// <summary>
    /// Restores the state of the compiled model's optimizer from <c>optimizer/vars</c> of a Keras 3 store.
    /// Returns null when restored (or nothing was stored), else why not.
    /// </summary>
    internal static string? ReadKeras3(IH5Group store, Sequential model, long fileLength)
    {
        if (!store.LinkExists("optimizer") || store.Group("optimizer") is not { } group || !group.LinkExists("vars")) return null;
        var vars = group.Group("vars");
        var datasets = new List<IH5Dataset>();
        while (datasets.Count < 100_000 && vars.LinkExists(datasets.Count.ToString(CultureInfo.InvariantCulture)))
            datasets.Add(vars.Dataset(datasets.Count.ToString(CultureInfo.InvariantCulture)));
        return Restore(model, datasets, "Keras 3 layout", fileLength, (optimizer, variables, slots) =>
        {
            // Keras 3 saves a compiled model that never trained with only its iteration and learning rate.
            if (datasets.Count != 2 + slots && datasets.Count != 2) return null;
            return datasets.Count == 2 ? [] : Enumerable.Range(0, slots).Select(j => 2 + j).ToArray();
        }, hasLearningRate: true);
    }

    /// <summary>
    /// Restores the state of the compiled model's optimizer from a legacy .h5 <c>optimizer_weights</c> group.
    /// Returns null when restored (or nothing was stored), else why not.
    /// </summary>
    internal static string? ReadLegacy(IH5Group file, Sequential model, bool legacyOptimizer, long fileLength)
    {
        if (!file.LinkExists("optimizer_weights")) return null;
        var group = file.Group("optimizer_weights");
        var names = H5Reading.StringListAttribute(group, "weight_names") ?? [];
        var datasets = new List<IH5Dataset>();
        foreach (var name in names)
        {
            if (!group.LinkExists(name)) return $"optimizer state not restored: optimizer_weights lists '{name}' but holds no such dataset";
            datasets.Add(group.Dataset(name));
        }
        // Keras 3's legacy writer stores its optimizer.variables: iteration, learning rate, slots.
        bool keras3 = datasets.Count >= 2 && IsScalar(datasets[1]) && datasets[1].Type.Class == H5DataTypeClass.FloatingPoint;
        string layout = keras3 ? "Keras 3 layout" : legacyOptimizer ? "Keras 2 legacy optimizer_v2 layout" : "Keras 2.11+ layout";
        return Restore(model, datasets, layout, fileLength, (optimizer, variables, slots) =>
        {
            int first = keras3 ? 2 : 1;
            // Like a .keras store, Keras 3 saves a compiled model that never trained with only iteration and learning rate.
            if (keras3 && datasets.Count == 2) return [];
            if (datasets.Count != first + slots) return null;
            return Enumerable.Range(0, slots).Select(j => first + (legacyOptimizer && !keras3 ? LegacyPosition(optimizer, variables, j) : j)).ToArray();
        }, hasLearningRate: keras3);
    }

    // Checks count, kinds and shapes against the optimizer's own layout, reads everything, then sets it at once.
    private static string? Restore(Sequential model, List<IH5Dataset> datasets, string layout, long fileLength,
        Func<Optimizer, int, int, int[]?> positions, bool hasLearningRate)
    {
        var optimizer = model.Optimizer!;
        var variables = model.TrainableWeights();
        var map = Slots(optimizer, variables.Length);
        string what = $"optimizer state of {Describe(optimizer)} ({layout})";
        var position = positions(optimizer, variables.Length, map.Length);
        if (position is null)
            return $"{what} not restored: the file holds {datasets.Count} values, Sequor's {Describe(optimizer)} for {variables.Length} variables keeps {(hasLearningRate ? 2 : 1)} + {map.Length}";
        if (datasets.Count == 0) return null;
        if (!IsScalar(datasets[0]) || datasets[0].Type.Class != H5DataTypeClass.FixedPoint || datasets[0].Type.Size is not (4 or 8))
            return $"{what} not restored: its first value is not an integer iteration count";
        for (int j = 0; j < position.Length; j++)
        {
            var dims = Dimensions(datasets[position[j]]);
            var expected = Dims(variables[map[j].Variable]);
            if (!dims.SequenceEqual(expected))
                return $"{what} not restored: value {position[j]} has shape {H5Reading.Format(dims)}, the {map[j].Slot} of '{variables[map[j].Variable].Name}' needs {H5Reading.Format(expected)}";
        }

        long iterations = datasets[0].Type.Size == 8 ? datasets[0].Read<long[]>()[0] : datasets[0].Read<int[]>()[0];
        if (iterations < 0) return $"{what} not restored: the iteration count {iterations} is negative";
        Real? learningRate = null;
        if (hasLearningRate)
        {
            var lr = H5Reading.ReadWeight(datasets[1], [], fileLength, "the optimizer's learning rate");
            learningRate = lr.Span[0];
        }
        var slots = new Real[position.Length][];
        for (int j = 0; j < position.Length; j++)
        {
            var variable = variables[map[j].Variable];
            slots[j] = H5Reading.ReadWeight(datasets[position[j]], variable.Value.Shape.ToArray(), fileLength,
                $"optimizer value {position[j]} ({map[j].Slot} of '{variable.Name}')").Span.ToArray();
        }

        if (slots.Length > 0)
        {
            optimizer.Build(variables);
            optimizer.RestoreState(iterations, slots);
        }
        else optimizer.Iterations = iterations;
        if (learningRate is { } rate && rate >= 0) optimizer.LearningRate = rate;
        return null;
    }

    private static bool IsScalar(IH5Dataset dataset) => dataset.Space.Type == H5DataspaceType.Scalar;

    private static ulong[] Dimensions(IH5Dataset dataset) =>
        dataset.Space.Type == H5DataspaceType.Scalar ? [] : dataset.Space.Dimensions;
}
