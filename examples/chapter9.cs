#:project ../src/Sequor/Sequor.csproj
// The IMDB chapter (recurrent networks, LSTM and GRU) as a .NET 10 file-based app:
//     dotnet run examples/chapter9.cs                          (Keras's IMDB, downloaded and cached)
//     dotnet run examples/chapter9.cs -- path/to/imdb.npz      (a local copy of Keras's file)
//     dotnet run examples/chapter9.cs -- path/to/imdb_subset.npz (the 5,000-review subset, arr_0..arr_3)
// It reads like the notebook: load, split, pad, build, compile, fit with callbacks, evaluate.
using Sequor;
using Sequor.Data;
using Sequor.Layers;
using Sequor.Training;

try
{
    Chapter(args.Length > 0 ? args[0] : null);
    return 0;
}
catch (SequorException e)
{
    Console.Error.WriteLine($"chapter9: {e.Message}");
    return 1;
}

static void Chapter(string? path)
{
    var ((trainInput, trainTarget), (testInput, testTarget)) = path is not null && !path.EndsWith("imdb.npz")
        ? Subset(path)
        : Imdb.LoadData(path, numWords: 500);

    var (trainIn, valIn, trainOut, valOut) = Split.TrainTestSplit(trainInput, trainTarget, testSize: 0.2, randomState: 42);
    var trainSeq = Sequences.PadToTensor(trainIn, maxlen: 100);
    var valSeq = Sequences.PadToTensor(valIn, maxlen: 100);

    var model = new Sequential(
        new Embedding(500, 16),
        new LSTM(8, dropout: 0.3f, returnSequences: true),
        new LSTM(8, dropout: 0.3f),
        new Dense(1, Activation.Sigmoid));
    model.Build(inputShape: [100]);
    model.Summary();

    model.Compile(new RMSprop(learningRate: 1e-4f), Loss.BinaryCrossentropy, Metric.Accuracy);
    model.Fit(trainSeq, Labels(trainOut), epochs: 100, batchSize: 64,
        validationData: (valSeq, Labels(valOut)),
        callbacks: [new ModelCheckpoint("best-2rnn-model.keras", saveBestOnly: true),
                    new EarlyStopping(patience: 3, restoreBestWeights: true)]);

    var best = Sequential.Load("best-2rnn-model.keras");
    best.Compile(new RMSprop(learningRate: 1e-4f), Loss.BinaryCrossentropy, Metric.Accuracy);
    var (loss, accuracy) = best.Evaluate(Sequences.PadToTensor(testInput, maxlen: 100), Labels(testTarget));
    Console.WriteLine($"test loss {loss:F4}, accuracy {accuracy:F4} (the notebook: 0.4252, 0.8019)");
}

static Tensor Labels(int[] y) => new(y.Select(v => (float)v).ToArray(), y.Length);

// The subset keeps Keras's processed ids under arr_0..arr_3 (num_words=500 already applied).
static ((int[][], int[]), (int[][], int[])) Subset(string file)
{
    var npz = NpzArchive.Read(file);
    return ((npz["arr_0"].ToSequences(), npz["arr_1"].ToInt32Array()), (npz["arr_2"].ToSequences(), npz["arr_3"].ToInt32Array()));
}
