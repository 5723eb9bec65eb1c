namespace Sequor.Training;

/// <summary>Keras's <c>TerminateOnNaN</c>: stops training at the first batch whose loss is NaN or infinite.</summary>
public sealed class TerminateOnNaN : ICallback
{
    /// <summary>The batch at which training was terminated, if it was.</summary>
    public int? TerminatedAtBatch { get; private set; }

    // Fit's writer (ICallback.SetOutput); Console.Out only when the callback is driven outside Fit
    private TextWriter output = Console.Out;

    void ICallback.SetOutput(TextWriter output) => this.output = output;

    void ICallback.OnTrainBatchEnd(Sequential model, int batch, IReadOnlyDictionary<string, double> logs)
    {
        if (logs.TryGetValue("loss", out double loss) && !double.IsFinite(loss))
        {
            output.WriteLine($"Batch {batch}: Invalid loss, terminating training");
            TerminatedAtBatch = batch;
            model.StopTraining = true;
        }
    }
}
