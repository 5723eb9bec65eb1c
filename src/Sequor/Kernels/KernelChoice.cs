using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sequor;

/// <summary>Which implementation of the numeric kernels runs (see <see cref="Kernels.Choice"/>).</summary>
public enum KernelChoice
{
    /// <summary>The plain loops: per-row cell steps, the triple-loop GEMM, scalar sigmoid and tanh. Slow and obvious,
    /// the implementation the others are tested against.</summary>
    Reference,

    /// <summary>256-bit vectors (AVX2, or the runtime's emulation): the fused cell steps and the blocked GEMM.</summary>
    Vector256,

    /// <summary>As <see cref="Vector256"/>, with 512-bit registers where they help (the 8-unit LSTM step, the LSTM and
    /// GRU steps for units a multiple of 16, wide GEMM blocks). Per lane the same operations as <see cref="Vector256"/>:
    /// the same bits.</summary>
    Vector512,
}

public static partial class Kernels
{
    /// <summary>The environment variable that picks the kernels at start-up: <c>reference</c>, <c>vector256</c> or
    /// <c>vector512</c> (unset: the widest this host accelerates).</summary>
    public const string EnvironmentVariable = "SEQUOR_KERNELS";

    private static KernelChoice choice;
    private static bool chosen;

    /// <summary>
    /// The kernels every layer and model of the process uses from now on, as Llm.cs picks its implementation once:
    /// the layers state the math, the kernels how fast it runs. Starts as <see cref="EnvironmentVariable"/> says, or
    /// the widest choice of <see cref="Available"/>. Set it between runs, not during one.
    /// </summary>
    public static KernelChoice Choice
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => chosen ? choice : FromEnvironment();
        set
        {
            if (!IsAvailable(value))
                throw new SequorException($"kernels {Name(value)} are not available on this host (available: {string.Join(", ", Available.Select(Name))})");
            choice = value;
            chosen = true;
        }
    }

    /// <summary>The choices this host runs, reference first.</summary>
    public static IReadOnlyList<KernelChoice> Available { get; } =
        Enum.GetValues<KernelChoice>().Where(IsAvailable).ToArray();

    /// <summary>Whether this host accelerates <paramref name="kernels"/> (the reference always runs).</summary>
    public static bool IsAvailable(KernelChoice kernels) => kernels switch
    {
        KernelChoice.Reference => true,
        KernelChoice.Vector256 => Vector256.IsHardwareAccelerated,
        KernelChoice.Vector512 => Vector256.IsHardwareAccelerated && Vector512.IsHardwareAccelerated,
        _ => false,
    };

    /// <summary>The lower-case name <see cref="EnvironmentVariable"/> takes.</summary>
    public static string Name(KernelChoice kernels) => kernels.ToString().ToLowerInvariant();

    /// <summary>True unless the reference kernels are chosen.</summary>
    internal static bool Vectorized
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Choice != KernelChoice.Reference;
    }

    /// <summary>True when the 512-bit variants run.</summary>
    internal static bool Wide
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Choice == KernelChoice.Vector512;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static KernelChoice FromEnvironment()
    {
        choice = Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));
        chosen = true;
        return choice;
    }

    /// <summary>The choice a value of <see cref="EnvironmentVariable"/> names (unset or blank: the widest available).</summary>
    internal static KernelChoice Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return Available[^1];
        if (!Enum.TryParse(value.Trim(), ignoreCase: true, out KernelChoice result) || !Enum.IsDefined(result) || char.IsDigit(value.Trim()[0]))
            throw new SequorException($"{EnvironmentVariable}={value}: expected one of {string.Join(", ", Enum.GetValues<KernelChoice>().Select(Name))}");
        if (!IsAvailable(result))
            throw new SequorException($"{EnvironmentVariable}={value}: this host does not accelerate {Name(result)} (available: {string.Join(", ", Available.Select(Name))})");
        return result;
    }
}
