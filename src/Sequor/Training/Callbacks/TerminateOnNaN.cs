namespace Sequor.Training;

/// <summary>Keras's <c>TerminateOnNaN</c>: stops training at the first batch whose loss is NaN or infinite.</summary>
public sealed class TerminateOnNaN : ICallback
{
    /// <summary>The batch at which training was terminated, if it was.</summary>
    public int? TerminatedAtBatch { get; private set; }

    void ICallback.OnTrainBatchEnd(Sequential model, int batch, IReadOnlyDictionary<string, double> logs)
    {
        if (logs.TryGetValue("loss", out double loss) && !double.IsFinite(loss))
        {
            Console.WriteLine($"Batch {batch}: Invalid loss, terminating training");
            TerminatedAtBatch = batch;
            model.StopTraining = true;
        }
    }
}
