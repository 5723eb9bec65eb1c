using Sequor.Formats.Specs;
using Sequor.Layers;

namespace Sequor.Tests.Formats.Specs;

public class LayerSpecTests
{
    private static Layer[] OneOfEach() =>
        [new Embedding(3, 2), new Dense(1), new Dropout(0.5f), new SimpleRNN(1), new LSTM(1), new GRU(1), new Bidirectional(new LSTM(1))];

    [Fact]
    public void EveryLayerTypeHasOneSpecFoundByItsKerasClassNameAndByTheLayer()
    {
        foreach (var layer in OneOfEach())
        {
            var spec = LayerSpecs.For(layer);
            Assert.Equal(layer.ClassName, spec.ClassName);
            Assert.Equal(layer.GetType(), spec.LayerType);
            Assert.Same(spec, LayerSpecs.ForClassName(layer.ClassName));
        }
        // a layer type added without a spec could not be saved or loaded: the list above must cover them all
        var concrete = typeof(Layer).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(Layer)) && !t.IsAbstract).OrderBy(t => t.Name);
        Assert.Equal(concrete, OneOfEach().Select(l => l.GetType()).OrderBy(t => t.Name));
        Assert.Null(LayerSpecs.ForClassName("Conv1D"));
    }

    [Theory]  // expected names from Keras 3.15's to_snake_case
    [InlineData("SimpleRNN", "simple_rnn")]
    [InlineData("LSTM", "lstm")]
    [InlineData("GRU", "gru")]
    [InlineData("Bidirectional", "bidirectional")]
    [InlineData("Embedding", "embedding")]
    [InlineData("GlobalAveragePooling1D", "global_average_pooling1d")]
    [InlineData("LayerNormalization", "layer_normalization")]
    [InlineData("Conv1DTranspose", "conv1d_transpose")]
    [InlineData("PReLU", "p_re_lu")]
    public void DefaultNameIsKerasSnakeCaseOfTheClassName(string className, string expected) =>
        Assert.Equal(expected, Layer.SnakeCase(className));

    [Fact]
    public void ParameterCountFromSpecsMatchesTheBuiltWeights()
    {
        var model = new Sequential([new Embedding(20, 4), new Dropout(0.1f), new Bidirectional(new GRU(3, returnSequences: true), MergeMode.Concat),
            new LSTM(5, returnSequences: true), new SimpleRNN(2, useBias: false), new Dense(3)], seed: 1);
        model.Build([7]);
        Assert.Equal(model.Weights.Sum(w => (long)w.Value.Length), Sequor.Formats.ParameterCount.Of(model, [7]));
    }
}
