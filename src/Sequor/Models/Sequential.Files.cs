using Sequor.Formats;

namespace Sequor;

public sealed partial class Sequential
{
    /// <summary>
    /// Saves the model; the extension chooses the format: <c>.keras</c> (Keras 3 archive), <c>.weights.h5</c>
    /// (Keras 3 weights only), <c>.h5</c> (legacy Keras full model). The file is written to a temporary file
    /// beside it and then renamed, so a crash never leaves a half-written model.
    /// </summary>
    /// <exception cref="SequorException">The model is not built, the extension is unknown, or the file cannot be written.</exception>
    public void Save(string path) => ModelFile.Save(this, path);

    /// <summary>
    /// Loads a Keras model saved as <c>.keras</c> or <c>.h5</c> (by Keras 2, Keras 3 or Sequor). When the file holds
    /// compile settings Sequor has, the model comes back compiled with them and with the saved optimizer state
    /// (step count and moments), so training resumes where it stopped; what cannot be restored is said in one
    /// warning line on standard error, and the model loads anyway.
    /// </summary>
    /// <param name="path">The model file.</param>
    /// <param name="inputShape">The input shape without the batch axis, to fix a length the file leaves open (None); without it
    /// such a model takes any length (<see cref="HasOpenLength"/>).</param>
    /// <exception cref="SequorException">The file is missing, damaged, or holds a model Sequor cannot run; the message names the file and the problem.</exception>
    public static Sequential Load(string path, int[]? inputShape = null)
    {
        var model = ModelFile.Load(path, inputShape);
        // As Keras's compile_from_config: a model loaded compiled has its optimizer built (slots at zero when the file
        // held none), so that summary counts the optimizer's variables as Keras does.
        model.Optimizer?.Build(model.TrainableWeights());
        return model;
    }

    /// <summary>Saves only the weights: <c>.weights.h5</c> in Keras 3's layout, any other <c>.h5</c> in Keras 2's.</summary>
    public void SaveWeights(string path) => ModelFile.SaveWeights(this, path);

    /// <summary>Loads weights (by position, as Keras does) from a .weights.h5, a weights-only .h5, a full .h5 or a .keras file.</summary>
    public void LoadWeights(string path) => ModelFile.LoadWeights(this, path);

    /// <summary>The compile settings of the file this model was loaded from that Sequor could not apply, kept to be written back.</summary>
    internal TrainingConfig? TrainingConfig { get; set; }
}
