using Sequor.Formats.Onnx;

namespace Sequor;

public sealed partial class Sequential
{
    /// <summary>
    /// Saves the model for inference as an ONNX file of standard operators (opset 17), which ONNX Runtime and
    /// other ONNX consumers run. Its input <c>input</c> is token ids [batch, T] as int64 when the model starts with
    /// an Embedding, else the model's float input [batch, T, F]; its output <c>output</c> is what
    /// <see cref="Predict(Tensor, int)"/> returns. Dropout is left out (inference), masking is kept. Written atomically.
    /// </summary>
    /// <exception cref="SequorException">The model is not built, a layer has no ONNX mapping (the message names it), or the file cannot be written.</exception>
    public void SaveOnnx(string path) => OnnxExport.Save(this, path);

    /// <summary>Writes the ONNX model (as <see cref="SaveOnnx(string)"/>) to a stream.</summary>
    public void SaveOnnx(Stream stream) => OnnxExport.Write(this, stream);
}
