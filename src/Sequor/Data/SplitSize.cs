using System.Globalization;

namespace Sequor.Data;

/// <summary>
/// A split size as sklearn takes it: a fraction (a double in (0, 1)) or a count (an int). Both convert
/// implicitly, so <c>testSize: 0.2</c> and <c>testSize: 5000</c> read like sklearn.
/// </summary>
public readonly struct SplitSize
{
    private SplitSize(double fraction, int count, bool isCount)
    {
        Fraction = fraction;
        Count = count;
        IsCount = isCount;
    }

    public bool IsCount { get; }

    public double Fraction { get; }

    public int Count { get; }

    public static implicit operator SplitSize(double fraction) => new(fraction, 0, false);

    public static implicit operator SplitSize(int count) => new(0, count, true);

    public override string ToString() => IsCount ? Count.ToString(CultureInfo.InvariantCulture) : Fraction.ToString("R", CultureInfo.InvariantCulture);
}
