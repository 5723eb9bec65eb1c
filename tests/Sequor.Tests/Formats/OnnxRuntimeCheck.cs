using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Sequor.Layers;

namespace Sequor.Tests.Formats;

/// <summary>Runs a model's ONNX export in ONNX Runtime and measures how far it is from Sequor's Predict.</summary>
internal static class OnnxRuntimeCheck
{
    /// <summary>The agreement the export promises: ONNX Runtime within 1e-5 of Predict.</summary>
    public const double Tolerance = 1e-5;

    public static byte[] Export(Sequential model)
    {
        using var stream = new MemoryStream();
        model.SaveOnnx(stream);
        return stream.ToArray();
    }

    /// <summary>
    /// The model's outputs for <paramref name="x"/> in ONNX Runtime: ids (as int64) for a model that starts with
    /// an Embedding, else the float tensor itself.
    /// </summary>
    public static float[] Run(byte[] onnx, Sequential model, Tensor x)
    {
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
        using var session = new InferenceSession(onnx, options);
        var shape = x.Shape.ToArray();
        NamedOnnxValue input = model.Layers[0] is Embedding
            ? NamedOnnxValue.CreateFromTensor("input", new DenseTensor<long>(x.Span.ToArray().Select(v => (long)v).ToArray(), shape))
            : NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(x.Span.ToArray(), shape));
        using var results = session.Run([input]);
        var output = results.Single(r => r.Name == "output").AsTensor<float>();
        Assert.Equal([x.Dim(0), .. model.OutputShape], output.Dimensions.ToArray());
        return output.ToArray();
    }

    /// <summary>Exports, runs in ONNX Runtime and Sequor, asserts agreement; returns the largest difference.</summary>
    public static double AssertAgrees(Sequential model, Tensor x, double tolerance = Tolerance)
    {
        var onnx = Export(model);
        var expected = model.Predict(x);
        var actual = Run(onnx, model, x);
        return AssertClose(expected, actual, tolerance);
    }

    public static double AssertClose(Tensor expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        int at = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = Math.Abs(expected.Span[i] - actual[i]);
            if (!(d <= worst)) { worst = d; at = i; }
        }
        Assert.True(worst <= tolerance, $"max |Sequor − ONNX Runtime| = {worst:G3} at {at} (Sequor {expected.Span[at]}, ONNX Runtime {actual[at]}) > {tolerance:G3}");
        return worst;
    }
}
