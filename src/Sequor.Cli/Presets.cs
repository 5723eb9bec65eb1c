using Sequor.Layers;

namespace Sequor.Cli;

/// <summary>
/// The chapter's six models. Each ends in Dense(1, sigmoid); with more than two classes the head becomes
/// Dense(k, softmax). <c>--num-words</c> changes the vocabulary (embedding rows or one-hot depth).
/// </summary>
internal static class Presets
{
    public static readonly string[] Names = ["simplernn-onehot", "embedding-simplernn", "lstm", "lstm-dropout", "lstm-2layer", "gru"];

    /// <summary>The vocabulary the chapter used for a preset: 300 for the SimpleRNN notebook, 500 for LSTM/GRU.</summary>
    public static int ChapterNumWords(string name) => name is "simplernn-onehot" or "embedding-simplernn" ? 300 : 500;

    /// <summary>The checkpoint name the notebook gave each model.</summary>
    public static string ChapterFileName(string name) => name switch
    {
        "simplernn-onehot" => "best-simplernn-model.keras",
        "embedding-simplernn" => "best-embedding-model.keras",
        "lstm" => "best-lstm-model.keras",
        "lstm-dropout" => "best-dropout-model.keras",
        "lstm-2layer" => "best-2rnn-model.keras",
        _ => "best-gru-model.keras",
    };

    public static bool Exists(string name) => Names.Contains(name);

    /// <summary>Builds preset <paramref name="name"/> for sequences of <paramref name="maxlen"/> ids below <paramref name="numWords"/>.</summary>
    public static Sequential Create(string name, int numWords, int maxlen, int classes, int seed)
    {
        var head = classes > 2 ? new Dense(classes, Activation.Softmax) : new Dense(1, Activation.Sigmoid);
        Layer[] layers = name switch
        {
            "simplernn-onehot" => [new SimpleRNN(8), head],
            "embedding-simplernn" => [new Embedding(numWords, 16), new SimpleRNN(8), head],
            "lstm" => [new Embedding(numWords, 16), new LSTM(8), head],
            "lstm-dropout" => [new Embedding(numWords, 16), new LSTM(8, dropout: 0.3f), head],
            "lstm-2layer" => [new Embedding(numWords, 16), new LSTM(8, dropout: 0.3f, returnSequences: true), new LSTM(8, dropout: 0.3f), head],
            "gru" => [new Embedding(numWords, 16), new GRU(8), head],
            _ => throw new SequorException($"unknown preset '{name}' (presets: {string.Join(", ", Names)})"),
        };
        var model = new Sequential(layers, seed);
        model.Build(name == "simplernn-onehot" ? [maxlen, numWords] : [maxlen]);
        return model;
    }
}
