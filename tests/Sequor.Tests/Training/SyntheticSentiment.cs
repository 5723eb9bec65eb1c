namespace Sequor.Tests.Training;

/// <summary>
/// A learnable stand-in for IMDB: sequences of noise tokens with left padding, where the label is decided by
/// which of two planted token groups appears more often.
/// </summary>
internal static class SyntheticSentiment
{
    public static (Tensor X, Tensor Y) Make(int samples, int steps = 100, int vocabulary = 500, int seed = 1)
    {
        var random = new Random(seed);
        var x = new Tensor(samples, steps);
        var y = new Tensor(samples);
        for (int i = 0; i < samples; i++)
        {
            int label = random.Next(2);
            y[i] = label;
            int length = random.Next(steps / 2, steps + 1);
            for (int t = steps - length; t < steps; t++) x[i, t] = random.Next(20, vocabulary);
            x[i, steps - length] = 1;  // start token
            int planted = random.Next(3, 7);
            for (int k = 0; k < planted; k++)
            {
                int t = random.Next(steps - length + 1, steps);
                x[i, t] = label == 1 ? random.Next(3, 11) : random.Next(11, 19);  // "good" ids 3–10, "bad" ids 11–18
            }
        }
        return (x, y);
    }
}
