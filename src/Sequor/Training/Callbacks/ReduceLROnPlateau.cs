namespace Sequor.Training;

/// <summary>
/// Keras's <c>ReduceLROnPlateau</c>: when <c>monitor</c> has not improved by more than <c>minDelta</c> for
/// <c>patience</c> epochs, lr ← max(lr·factor, minLr), then wait <c>cooldown</c> epochs. Adds
/// <c>learning_rate</c> to the epoch logs (Keras 3's key).
/// </summary>
public sealed class ReduceLROnPlateau : ICallback
{
    private readonly Monitor monitor;
    private double? best;
    private int wait, cooldownCounter;

    // Fit's writer (ICallback.SetOutput); Console.Out only when the callback is driven outside Fit
    private TextWriter output = Console.Out;

    void ICallback.SetOutput(TextWriter output) => this.output = output;

    public ReduceLROnPlateau(string monitor = "val_loss", double factor = 0.1, int patience = 10, MonitorMode mode = MonitorMode.Auto,
        double minDelta = 1e-4, int cooldown = 0, double minLr = 0, int verbose = 0)
    {
        if (!(factor < 1 && factor >= 0)) throw new SequorException($"ReduceLROnPlateau: factor must be in [0, 1), got {factor}");
        this.monitor = new Monitor(monitor, mode, minDelta);
        Factor = factor;
        Patience = patience;
        Cooldown = cooldown;
        MinLr = minLr;
        Verbose = verbose;
    }

    public double Factor { get; }
    public int Patience { get; }
    public int Cooldown { get; }
    public double MinLr { get; }
    public int Verbose { get; }

    void ICallback.OnTrainBegin(Sequential model)
    {
        best = null;
        wait = cooldownCounter = 0;
    }

    void ICallback.OnEpochEnd(Sequential model, int epoch, IDictionary<string, double> logs)
    {
        var optimizer = model.Optimizer!;
        logs["learning_rate"] = optimizer.LearningRate;
        if (!monitor.TryRead(logs, out double current)) return;
        if (cooldownCounter > 0) { cooldownCounter--; wait = 0; }
        if (monitor.IsImprovement(current, best))
        {
            best = current;
            wait = 0;
        }
        else if (cooldownCounter <= 0)
        {
            wait++;
            if (wait >= Patience && optimizer.LearningRate > MinLr)
            {
                double next = Math.Max(optimizer.LearningRate * Factor, MinLr);
                optimizer.LearningRate = (Real)next;
                if (Verbose > 0) output.WriteLine($"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {next}.");
                cooldownCounter = Cooldown;
                wait = 0;
            }
        }
    }
}
