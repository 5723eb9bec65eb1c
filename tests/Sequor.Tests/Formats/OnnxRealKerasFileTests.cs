using Xunit.Abstractions;
using static Sequor.Tests.Formats.OnnxRuntimeCheck;

namespace Sequor.Tests.Formats;

/// <summary>
/// The 12 real Keras files of <c>shared/data/keras-models</c>, loaded and exported to ONNX: ONNX Runtime gives
/// Sequor's Predict within 1e-5 on the reference inputs (zeros anywhere, padding only, pre-padded rows), and
/// Keras's reference outputs within the 1e-4 a float32 engine is held to.
/// </summary>
public class OnnxRealKerasFileTests(ITestOutputHelper output)
{
    public static TheoryData<string> Files => RealKerasFileTests.Files;

    [SkippableTheory]
    [MemberData(nameof(Files))]
    public void ExportedKerasFileAgreesInOnnxRuntime(string file)
    {
        var reference = RealKerasFileTests.Open(file);
        using var model = Sequential.Load(reference.Path);
        var x = reference.Inputs();
        var onnx = Export(model);
        var runtime = Run(onnx, model, x);
        double worst = AssertClose(model.Predict(x), runtime, Tolerance);
        var expected = reference.Expected;
        double fromKeras = expected.Select((e, i) => Math.Abs(e - runtime[i])).Max();
        Assert.True(fromKeras <= 1e-4, $"max |Keras reference − ONNX Runtime| = {fromKeras:G3}");
        output.WriteLine($"{file}: max |Sequor − ONNX Runtime| = {worst:G3}, max |Keras reference − ONNX Runtime| = {fromKeras:G3}");
    }
}
