namespace Sequor.Training;

/// <summary>
/// Hooks into <c>Fit</c>, as Keras's <c>Callback</c>. Epochs are 0-based, as Keras passes them. Epoch logs
/// hold <c>loss</c>, the metrics, and <c>val_</c>-prefixed values when validation ran; a callback may add
/// entries (ReduceLROnPlateau adds <c>learning_rate</c>). Set <see cref="Sequential.StopTraining"/> to stop
/// after the current epoch.
/// </summary>
public interface ICallback
{
    /// <summary>
    /// Before <see cref="OnTrainBegin"/>, <c>Fit</c> hands every callback the writer it was given (Console.Out when
    /// none), as Keras's <c>set_params</c>: a callback prints there, so a caller that captures Fit's output gets all of it.
    /// </summary>
    void SetOutput(TextWriter output) { }

    void OnTrainBegin(Sequential model) { }

    void OnEpochBegin(Sequential model, int epoch) { }

    /// <summary>After each training batch, with the running epoch values so far.</summary>
    void OnTrainBatchEnd(Sequential model, int batch, IReadOnlyDictionary<string, double> logs) { }

    void OnEpochEnd(Sequential model, int epoch, IDictionary<string, double> logs) { }

    void OnTrainEnd(Sequential model) { }
}
