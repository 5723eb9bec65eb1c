using Sequor.Layers;

namespace Sequor.Tests.Models;

public class SummaryTests
{
    public static TheoryData<string, string> ChapterModels => new()
    {
        { "simplernn-onehot", "2,481" },
        { "embedding-simplernn", "5,009" },
        { "lstm", "8,809" },
        { "lstm-2layer", "9,353" },
        { "gru", "8,633" },
    };

    internal static Sequential Chapter(string name)
    {
        Sequential model = name switch
        {
            "simplernn-onehot" => new(new SimpleRNN(8), new Dense(1, Activation.Sigmoid)),
            "embedding-simplernn" => new(new Embedding(300, 16), new SimpleRNN(8), new Dense(1, Activation.Sigmoid)),
            "lstm" => new(new Embedding(500, 16), new LSTM(8), new Dense(1, Activation.Sigmoid)),
            "lstm-2layer" => new(new Embedding(500, 16), new LSTM(8, dropout: 0.3f, returnSequences: true), new LSTM(8, dropout: 0.3f), new Dense(1, Activation.Sigmoid)),
            _ => new(new Embedding(500, 16), new GRU(8), new Dense(1, Activation.Sigmoid)),
        };
        model.Build(name == "simplernn-onehot" ? [100, 300] : [100]);
        return model;
    }

    [Theory, MemberData(nameof(ChapterModels))]
    public void SummaryTotalsEqualKeras(string name, string total)
    {
        using var model = Chapter(name);
        var text = model.SummaryText();
        Assert.Contains($" Total params: {total} (", text);
        Assert.Contains($" Trainable params: {total} (", text);
        Assert.Contains(" Non-trainable params: 0 (0.00 B)", text);
    }

    [Fact]
    public void SummaryIsKeras3sTable()
    {
        using var model = Chapter("lstm");
        const string expected = """
            Model: "sequential"
            ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
            ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
            ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
            │ embedding (Embedding)           │ (None, 100, 16)        │         8,000 │
            ├─────────────────────────────────┼────────────────────────┼───────────────┤
            │ lstm (LSTM)                     │ (None, 8)              │           800 │
            ├─────────────────────────────────┼────────────────────────┼───────────────┤
            │ dense (Dense)                   │ (None, 1)              │             9 │
            └─────────────────────────────────┴────────────────────────┴───────────────┘
             Total params: 8,809 (34.41 KB)
             Trainable params: 8,809 (34.41 KB)
             Non-trainable params: 0 (0.00 B)

            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), model.SummaryText());
    }
}
