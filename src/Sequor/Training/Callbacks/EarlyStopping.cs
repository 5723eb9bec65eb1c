namespace Sequor.Training;

/// <summary>
/// Keras 3's <c>EarlyStopping</c>: stops when <see cref="Monitor"/> has not improved for
/// <see cref="Patience"/> epochs.
/// Per epoch (from <c>startFromEpoch</c>): snapshot the weights on the first counted epoch (if restoring);
/// <c>wait += 1</c>; on an improvement record it (and its weights) and reset <c>wait</c> unless a baseline is
/// set and not beaten; otherwise stop once <c>wait ≥ patience</c> (never at epoch 0). With
/// <c>restoreBestWeights</c> the best epoch's weights are restored at the end of training, even when it never
/// stopped early (Keras 3; Keras 2 restored only when it stopped).
/// </summary>
public sealed class EarlyStopping : ICallback
{
    private readonly Monitor monitor;
    private double? best;
    private int wait;
    private Tensor[]? bestWeights;

    // Fit's writer (ICallback.SetOutput); Console.Out only when the callback is driven outside Fit
    private TextWriter output = Console.Out;

    void ICallback.SetOutput(TextWriter output) => this.output = output;

    public EarlyStopping(string monitor = "val_loss", double minDelta = 0, int patience = 0, MonitorMode mode = MonitorMode.Auto,
        double? baseline = null, bool restoreBestWeights = false, int startFromEpoch = 0, int verbose = 0)
    {
        if (patience < 0) throw new SequorException($"EarlyStopping: patience must be non-negative, got {patience}");
        this.monitor = new Monitor(monitor, mode, minDelta);
        Patience = patience;
        Baseline = baseline;
        RestoreBestWeights = restoreBestWeights;
        StartFromEpoch = startFromEpoch;
        Verbose = verbose;
    }

    public string Monitor => monitor.Name;
    public int Patience { get; }
    public double? Baseline { get; }
    public bool RestoreBestWeights { get; }
    public int StartFromEpoch { get; }
    public int Verbose { get; }

    /// <summary>The epoch (0-based) at which training was stopped, or 0 if it was not.</summary>
    public int StoppedEpoch { get; private set; }

    /// <summary>The best epoch (0-based) and its value.</summary>
    public int BestEpoch { get; private set; }

    public double? Best => best;

    void ICallback.OnTrainBegin(Sequential model)
    {
        wait = 0;
        StoppedEpoch = 0;
        BestEpoch = 0;
        best = null;
        bestWeights = null;
    }

    void ICallback.OnEpochEnd(Sequential model, int epoch, IDictionary<string, double> logs)
    {
        if (!monitor.TryRead(logs, out double current) || epoch < StartFromEpoch) return;
        if (RestoreBestWeights && bestWeights is null) bestWeights = model.GetWeights();
        wait++;
        if (monitor.IsImprovement(current, best))
        {
            best = current;
            BestEpoch = epoch;
            if (RestoreBestWeights) bestWeights = model.GetWeights();
            if (Baseline is null || monitor.IsImprovement(current, Baseline)) wait = 0;
            return;
        }
        if (wait >= Patience && epoch > 0)
        {
            StoppedEpoch = epoch;
            model.StopTraining = true;
        }
    }

    void ICallback.OnTrainEnd(Sequential model)
    {
        if (StoppedEpoch > 0 && Verbose > 0) output.WriteLine($"Epoch {StoppedEpoch + 1}: early stopping");
        if (!RestoreBestWeights || bestWeights is null) return;
        if (Verbose > 0) output.WriteLine($"Restoring model weights from the end of the best epoch: {BestEpoch + 1}.");
        model.SetWeights(bestWeights);
    }
}
