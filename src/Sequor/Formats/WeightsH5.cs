using System.Globalization;
using PureHDF;
using Sequor.Formats.Specs;
using Sequor.Layers;

namespace Sequor.Formats;

/// <summary>
/// Keras 3's weights store: <c>model.weights.h5</c> inside a .keras archive and the standalone
/// <c>.weights.h5</c>. Every object with variables gets a group <c>&lt;path&gt;/vars</c> holding datasets
/// <c>"0"</c>, <c>"1"</c>, … in the order of its own variables. Layer paths come from class names, not layer
/// names: <c>layers/lstm</c>, <c>layers/lstm_1</c>, …; an RNN's variables live in its <c>cell</c>, and
/// Bidirectional's in <c>forward_layer/cell</c> and <c>backward_layer/cell</c>.
/// </summary>
internal static class WeightsH5
{
    /// <summary>One saveable object of the store: its path, its name (the <c>name</c> attribute) and its own variables.</summary>
    internal sealed record Entry(Layer Layer, string Path, string ObjectName, Weight[] Weights);

    /// <summary>Every object the store holds for <paramref name="model"/>'s layers, in model order.</summary>
    internal static IEnumerable<Entry> Layout(Sequential model)
    {
        var used = new Dictionary<string, int>();
        foreach (var layer in model.Layers)
        {
            // Keras uniquifies per class within the layers list: dense, dense_1, dense_2, …
            string snake = layer.DefaultName;
            int index = used.TryGetValue(snake, out var seen) ? seen : 0;
            used[snake] = index + 1;
            string path = "layers/" + (index == 0 ? snake : $"{snake}_{index.ToString(CultureInfo.InvariantCulture)}");
            foreach (var entry in LayerSpecs.For(layer).Layout(layer, path)) yield return entry;
        }
    }

    /// <summary>Loads the store in <paramref name="file"/> into a built model, variable by variable by position.</summary>
    internal static void Load(IH5Group file, Sequential model, long fileLength)
    {
        if (!file.LinkExists("layers"))
            throw new SequorException(file.LinkExists("_layer_checkpoint_dependencies")
                ? "the weights are stored in the Keras 2.13–2.15 layout (_layer_checkpoint_dependencies), which Sequor does not read"
                : "no 'layers' group: this is not a Keras 3 weights file");
        // Everything is read and checked before any weight changes, so a bad file leaves the model as it was.
        var loaded = new List<(Weight Weight, Tensor Value)>();
        foreach (var (layer, path, _, weights) in Layout(model))
        {
            var stored = Count(file, path + "/vars");
            if (stored != weights.Length)
                throw new SequorException($"'{path}/vars' holds {stored} variables, model layer '{layer.Name}' ({layer.ClassName}) expects {weights.Length} there");
            if (weights.Length == 0) continue;
            var vars = file.Group(path + "/vars");
            for (int i = 0; i < weights.Length; i++)
            {
                string what = $"weight '{path}/vars/{i}' (layer '{layer.Name}' {weights[i].Name})";
                var value = H5Reading.ReadWeight(vars.Dataset(i.ToString(CultureInfo.InvariantCulture)), weights[i].Value.Shape.ToArray(), fileLength, what);
                loaded.Add((weights[i], value));
            }
        }
        foreach (var (weight, value) in loaded) value.Span.CopyTo(weight.Value.Span);
    }

    // The number of consecutive datasets "0", "1", … under a vars group (0 when the group is absent, which Keras allows).
    private static int Count(IH5Group file, string varsPath)
    {
        if (!LinkExists(file, varsPath)) return 0;
        var vars = file.Group(varsPath);
        int n = 0;
        while (n < 100_000 && vars.LinkExists(n.ToString(CultureInfo.InvariantCulture))) n++;
        return n;
    }

    private static bool LinkExists(IH5Group root, string path)
    {
        var group = root;
        var parts = path.Split('/');
        for (int i = 0; i < parts.Length; i++)
        {
            if (!group.LinkExists(parts[i])) return false;
            if (i < parts.Length - 1)
            {
                if (group.Get(parts[i]) is not IH5Group next) return false;
                group = next;
            }
        }
        return true;
    }

    /// <summary>Fills <paramref name="root"/> with the store of <paramref name="model"/>, as Keras 3.6 writes it.</summary>
    internal static void Fill(H5Group root, Sequential model, bool includeOptimizer = false)
    {
        root["vars"] = Vars(model.Name, []);
        var layers = new H5Group();
        root["layers"] = layers;
        foreach (var (_, path, objectName, weights) in Layout(model))
            Child(layers, path["layers/".Length..])["vars"] = Vars(objectName, weights);
        // Keras walks the model's other attributes after its layers: the optimizer's variables.
        if (includeOptimizer) OptimizerState.WriteKeras3(root, model);
    }

    private static H5Group Vars(string name, Weight[] weights)
    {
        var vars = new H5Group { Attributes = { ["name"] = name } };
        for (int i = 0; i < weights.Length; i++)
            vars[i.ToString(CultureInfo.InvariantCulture)] = new H5Dataset(weights[i].Value.Span.ToArray(),
                fileDims: weights[i].Value.Shape.ToArray().Select(d => (ulong)d).ToArray());
        return vars;
    }

    private static H5Group Child(H5Group group, string path)
    {
        foreach (var part in path.Split('/'))
        {
            if (!group.TryGetValue(part, out var child))
            {
                child = new H5Group();
                group[part] = child;
            }
            group = (H5Group)child;
        }
        return group;
    }

    /// <summary>Writes a standalone Keras 3 <c>.weights.h5</c> (or the store of a .keras archive, with the optimizer).</summary>
    internal static void Write(Sequential model, Stream stream, bool includeOptimizer = false)
    {
        var file = new H5File();
        Fill(file, model, includeOptimizer);
        file.Write(stream);
    }
}
