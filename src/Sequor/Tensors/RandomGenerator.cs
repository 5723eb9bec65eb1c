namespace Sequor;

/// <summary>
/// The engine's seeded generator (xoshiro256**, seeded through SplitMix64): initial weights, dropout
/// masks and shuffling all draw from generators derived from the model's seed, so a seeded run is
/// reproducible. It can be reseeded in place, so drawing dropout masks allocates nothing.
/// (Data utilities that must match numpy use the MT19937 in Data/, not this.)
/// </summary>
internal sealed class RandomGenerator
{
    private ulong s0, s1, s2, s3;

    public RandomGenerator(ulong seed) => Reseed(seed);

    /// <summary>A seed derived from several integers (seed, layer, step, shard, …), well mixed.</summary>
    public static ulong Derive(ulong seed, ulong a, ulong b = 0, ulong c = 0)
    {
        ulong x = seed;
        x = SplitMix(ref x) ^ a;
        x = SplitMix(ref x) ^ b;
        x = SplitMix(ref x) ^ c;
        return SplitMix(ref x);
    }

    public void Reseed(ulong seed)
    {
        ulong x = seed;
        s0 = SplitMix(ref x);
        s1 = SplitMix(ref x);
        s2 = SplitMix(ref x);
        s3 = SplitMix(ref x);
    }

    public ulong NextUInt64()
    {
        ulong result = RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n) => (int)((NextUInt64() >> 33) * (ulong)n >> 31);

    /// <summary>Standard normal (Box–Muller; one value per call).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Fisher–Yates shuffle of <paramref name="values"/> in place.</summary>
    public void Shuffle(Span<int> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = (int)(NextDouble() * (i + 1));
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
