using Sequor.Training;

namespace Sequor.Tests.Training;

/// <summary>Callback decisions on given epoch logs, as Keras's worked examples.</summary>
public class CallbackTests
{
    private static Sequential Model()
    {
        var model = new Sequential([new Sequor.Layers.Dense(1)], seed: 1);
        model.Build([2]);
        model.Compile(new SGD(), Loss.MeanSquaredError);
        return model;
    }

    private static int StopAfter(ICallback callback, Sequential model, params double[] valLoss)
    {
        model.StopTraining = false;
        callback.OnTrainBegin(model);
        for (int epoch = 0; epoch < valLoss.Length; epoch++)
        {
            callback.OnEpochEnd(model, epoch, new Dictionary<string, double> { ["val_loss"] = valLoss[epoch], ["val_accuracy"] = 1 - valLoss[epoch] });
            if (model.StopTraining) return epoch;
        }
        return -1;
    }

    [Fact]
    public void EarlyStoppingStopsAfterPatienceNonImprovingEpochs()
    {
        using var model = Model();
        // Keras's example: best at epoch 1; epochs 2 and 3 do not improve; patience 2 stops after epoch 3.
        Assert.Equal(3, StopAfter(new EarlyStopping(patience: 2), model, 0.50, 0.40, 0.41, 0.42, 0.30));
    }

    [Fact]
    public void EarlyStoppingWithPatienceZeroNeverStopsAtEpochZero()
    {
        using var model = Model();
        Assert.Equal(1, StopAfter(new EarlyStopping(patience: 0), model, 0.5, 0.6));
    }

    [Fact]
    public void MinDeltaIsTheImprovementThatCounts()
    {
        using var model = Model();
        Assert.Equal(2, StopAfter(new EarlyStopping(patience: 2, minDelta: 0.05), model, 0.50, 0.47, 0.46, 0.10));
    }

    [Fact]
    public void AccuracyIsMonitoredAsHigherIsBetter()
    {
        using var model = Model();
        // val_accuracy = 1 − val_loss here: 0.5, 0.6, 0.55, 0.55 → best at 1, stop at 3 with patience 2
        Assert.Equal(3, StopAfter(new EarlyStopping(monitor: "val_accuracy", patience: 2), model, 0.5, 0.4, 0.45, 0.45));
    }

    [Fact]
    public void ABaselineKeepsCountingUntilBeaten()
    {
        using var model = Model();
        // improves every epoch but never beats the baseline 0.1: wait is never reset, yet the stop test runs only on
        // non-improving epochs — the first one is epoch 3.
        Assert.Equal(3, StopAfter(new EarlyStopping(patience: 2, baseline: 0.1), model, 0.5, 0.4, 0.3, 0.35));
    }

    [Fact]
    public void StartFromEpochIgnoresTheFirstEpochs()
    {
        using var model = Model();
        Assert.Equal(4, StopAfter(new EarlyStopping(patience: 1, startFromEpoch: 3), model, 0.1, 0.9, 0.9, 0.5, 0.6));
    }

    [Fact]
    public void ReduceLrOnPlateauCutsTheRateAndLogsIt()
    {
        using var model = Model();
        ICallback reduce = new ReduceLROnPlateau(factor: 0.5, patience: 1, cooldown: 1, minLr: 0.002);
        reduce.OnTrainBegin(model);
        double[] losses = [1.0, 1.0, 1.0, 1.0, 1.0];
        var rates = new List<double>();
        for (int e = 0; e < losses.Length; e++)
        {
            var logs = new Dictionary<string, double> { ["val_loss"] = losses[e] };
            reduce.OnEpochEnd(model, e, logs);
            rates.Add(logs["learning_rate"]);
        }
        // Logged before each epoch's decision. Epoch 1: wait 1 ≥ 1 → 0.005, cooldown 1. Epoch 2: the cooldown ends at
        // the start of the epoch (Keras decrements first), so it counts again → 0.0025. Epoch 3 → max(0.00125, minLr).
        // Epoch 4: already at minLr, no change.
        Assert.Equal([0.01, 0.01, 0.005, 0.0025, 0.002], rates.Select(r => Math.Round(r, 6)));
        Assert.Equal(0.002f, model.Optimizer!.LearningRate, 6);
    }

    [Fact]
    public void CsvLoggerWritesKerasColumnsAndLineEnds()
    {
        using var model = Model();
        var path = Path.Combine(Path.GetTempPath(), $"sequor-csv-{Guid.NewGuid():N}.csv");
        try
        {
            ICallback logger = new CSVLogger(path);
            logger.OnTrainBegin(model);
            logger.OnEpochEnd(model, 0, new Dictionary<string, double> { ["loss"] = 0.5, ["accuracy"] = 0.75 });
            logger.OnEpochEnd(model, 1, new Dictionary<string, double> { ["loss"] = 0.25, ["accuracy"] = 0.875, ["val_loss"] = 0.3 });
            logger.OnTrainEnd(model);
            Assert.Equal("epoch,accuracy,loss,val_accuracy,val_loss\r\n0,0.75,0.5,NA,NA\r\n1,0.875,0.25,NA,0.3\r\n", File.ReadAllText(path));
        }
        finally { File.Delete(path); }
    }
}

/// <summary>Where callbacks print: the writer Fit is given, never the process's console.</summary>
public class CallbackOutputTests
{
    [Fact]
    public void CallbacksPrintThroughTheWriterFitIsGiven()
    {
        var model = new Sequential([new Sequor.Layers.Dense(1)], seed: 1);
        model.Build([2]);
        model.Compile(new SGD(learningRate: 0), Loss.MeanSquaredError);  // lr 0: val_loss never improves
        var x = new Tensor([1f, 2, 3, 4, 5, 6, 7, 8], 4, 2);
        var y = new Tensor([1f, 0, 1, 0], 4);
        string folder = Directory.CreateTempSubdirectory("sequor-callback-output-").FullName;
        var console = Console.Out;
        var captured = new StringWriter();
        try
        {
            var leaked = new StringWriter();
            Console.SetOut(leaked);
            model.Fit(x, y, epochs: 3, batchSize: 2, verbose: 0, validationData: (x, y), output: captured, callbacks:
                [new EarlyStopping(patience: 1, verbose: 1), new ModelCheckpoint(Path.Combine(folder, "m.keras"), verbose: 1),
                 new ReduceLROnPlateau(patience: 1, verbose: 1, minLr: -1)]);
            Console.SetOut(console);
            Assert.Equal("", leaked.ToString());
        }
        finally
        {
            Console.SetOut(console);
            Directory.Delete(folder, recursive: true);
        }
        string text = captured.ToString();
        Assert.Contains("Epoch 1: saving model to", text);
        Assert.Contains("early stopping", text);
        Assert.Contains("ReduceLROnPlateau reducing learning rate", text);
    }
}
