#:project ../src/Sequor/Sequor.csproj
// The IMDB chapter (recurrent networks, LSTM and GRU) as a .NET 10 file-based app. It builds Release by default
// (examples/Directory.Build.props), so plain `dotnet run` trains at full speed:
//     dotnet run examples/chapter9.cs                            (Keras's IMDB, downloaded and cached)
//     dotnet run examples/chapter9.cs -- path/to/imdb.npz        (a local copy of Keras's file: x_train, y_train, ...)
//     dotnet run examples/chapter9.cs -- path/to/any-subset.npz  (Keras-processed ids under arr_0..arr_3)
// The kind of file is read from its contents, whatever its name. With imdb_word_index.json beside the data, the
// first review is printed back in words. It reads like the notebook: load, split, build, compile, fit with
// callbacks, evaluate.
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
    var ((trainInput, trainTarget), (testInput, testTarget)) = Load(path);
    if (path is not null && Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "imdb_word_index.json") is var words && File.Exists(words))
        Console.WriteLine("first review: " + Imdb.Decode(trainInput[0], Imdb.GetWordIndex(words))[..200] + "…");

    var (trainIn, valIn, trainOut, valOut) = Split.TrainTestSplit(trainInput, trainTarget, testSize: 0.2, randomState: 42);

    var model = new Sequential(
        new Embedding(500, 16),
        new LSTM(8, dropout: 0.3f, returnSequences: true),
        new LSTM(8, dropout: 0.3f),
        new Dense(1, Activation.Sigmoid));
    model.Build(inputShape: [100]);  // sequences are padded and cut at the front to 100 ids, as pad_sequences(maxlen=100)
    model.Summary();

    model.Compile(new RMSprop(learningRate: 1e-4f), Loss.BinaryCrossentropy, Metric.Accuracy);
    model.Fit(trainIn, trainOut, epochs: 100, batchSize: 64,
        validationData: (valIn, valOut),
        callbacks: [new ModelCheckpoint("best-2rnn-model.keras", saveBestOnly: true),
                    new EarlyStopping(patience: 3, restoreBestWeights: true)]);

    var best = Sequential.Load("best-2rnn-model.keras");
    best.Compile(new RMSprop(learningRate: 1e-4f), Loss.BinaryCrossentropy, Metric.Accuracy);
    var (loss, accuracy) = best.Evaluate(testInput, testTarget);
    Console.WriteLine($"test loss {loss:F4}, accuracy {accuracy:F4} (the notebook: 0.4252, 0.8019)");
}

// Keras's imdb.npz (raw word ranks under x_train...) goes through Imdb.LoadData(num_words=500); a file of
// Keras-processed ids (arr_0..arr_3, num_words already applied) is read as it is.
static ((int[][], int[]), (int[][], int[])) Load(string? path)
{
    if (path is null || NpzArchive.Keys(path).Contains("x_train")) return Imdb.LoadData(path, numWords: 500);
    var npz = NpzArchive.Read(path);
    foreach (var key in new[] { "arr_0", "arr_1", "arr_2", "arr_3" })
        if (!npz.ContainsKey(key)) throw new SequorException($"'{path}' has neither x_train (Keras's imdb.npz) nor {key} (processed ids); found {string.Join(", ", npz.Keys)}");
    return ((npz["arr_0"].ToSequences(), npz["arr_1"].ToInt32Array()), (npz["arr_2"].ToSequences(), npz["arr_3"].ToInt32Array()));
}
