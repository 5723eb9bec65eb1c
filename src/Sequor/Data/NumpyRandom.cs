namespace Sequor.Data;

/// <summary>
/// numpy's legacy <c>numpy.random.RandomState(seed)</c>: MT19937 seeded with <c>init_genrand</c>, and the
/// legacy bounded-integer algorithm (masked rejection sampling) behind <c>shuffle</c>, <c>permutation</c>,
/// <c>randint</c> and <c>choice(replace=False)</c>. Bit-for-bit the same stream as numpy, so Keras's IMDB
/// shuffling and sklearn's splits come out identical.
/// </summary>
internal sealed class NumpyRandom
{
    private const int N = 624;
    private const int M = 397;
    private readonly uint[] mt = new uint[N];
    private int index;

    public NumpyRandom(uint seed)
    {
        mt[0] = seed;
        for (int i = 1; i < N; i++) mt[i] = unchecked(1812433253u * (mt[i - 1] ^ (mt[i - 1] >> 30)) + (uint)i);
        index = N;
    }

    /// <summary>An int seed as numpy accepts it: 0 ≤ seed &lt; 2^32.</summary>
    public static NumpyRandom FromSeed(long seed, string argument) =>
        seed is >= 0 and <= uint.MaxValue
            ? new NumpyRandom((uint)seed)
            : throw new SequorException($"{argument}: seed {seed} is out of range (numpy's RandomState takes 0 to 2^32 - 1)");

    public uint NextUInt32()
    {
        if (index >= N) Twist();
        uint y = mt[index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9D2C5680u;
        y ^= (y << 15) & 0xEFC60000u;
        y ^= y >> 18;
        return y;
    }

    public ulong NextUInt64() => ((ulong)NextUInt32() << 32) | NextUInt32();

    /// <summary><c>random_sample()</c>: a double in [0, 1) from 53 random bits.</summary>
    public double NextDouble()
    {
        uint a = NextUInt32() >> 5, b = NextUInt32() >> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    /// <summary>Uniform integer in [0, max] by masked rejection, one 32-bit draw per try when max fits 32 bits.</summary>
    public ulong RandomInterval(ulong max)
    {
        if (max == 0) return 0;
        ulong mask = max;
        mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4; mask |= mask >> 8; mask |= mask >> 16; mask |= mask >> 32;
        ulong v;
        if (max <= uint.MaxValue)
            do v = NextUInt32() & mask; while (v > max);
        else
            do v = NextUInt64() & mask; while (v > max);
        return v;
    }

    /// <summary><c>randint(low, high)</c> with numpy's default int64 dtype: uniform in [low, high).</summary>
    public long RandInt(long low, long high)
    {
        if (high <= low) throw new SequorException($"randint: low {low} must be below high {high}");
        ulong range = (ulong)(high - 1 - low);
        if (range == 0) return low;
        if (range == uint.MaxValue) return low + NextUInt32();
        if (range == ulong.MaxValue) return unchecked(low + (long)NextUInt64());
        return unchecked(low + (long)RandomInterval(range));
    }

    /// <summary>In-place Fisher–Yates from the end, as <c>RandomState.shuffle</c> does.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i >= 1; i--)
        {
            int j = (int)RandomInterval((ulong)i);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary><c>permutation(n)</c>: a shuffled <c>arange(n)</c>.</summary>
    public int[] Permutation(int n)
    {
        var a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        Shuffle(a.AsSpan());
        return a;
    }

    /// <summary><c>permutation(array)</c>: a shuffled copy.</summary>
    public T[] Permutation<T>(IEnumerable<T> items)
    {
        var a = items.ToArray();
        Shuffle(a.AsSpan());
        return a;
    }

    /// <summary><c>choice(a, size, replace=False)</c> without weights: the first <paramref name="size"/> of a permutation.</summary>
    public T[] ChoiceWithoutReplacement<T>(T[] population, int size)
    {
        if (size < 0 || size > population.Length)
            throw new SequorException($"choice: cannot take {size} items without replacement from {population.Length}");
        var perm = Permutation(population.Length);
        var result = new T[size];
        for (int i = 0; i < size; i++) result[i] = population[perm[i]];
        return result;
    }

    private void Twist()
    {
        for (int i = 0; i < N; i++)
        {
            uint y = (mt[i] & 0x80000000u) | (mt[(i + 1) % N] & 0x7FFFFFFFu);
            uint v = mt[(i + M) % N] ^ (y >> 1);
            if ((y & 1) != 0) v ^= 0x9908B0DFu;
            mt[i] = v;
        }
        index = 0;
    }
}
