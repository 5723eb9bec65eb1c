extern alias Float64;

namespace Sequor.Tests;

/// <summary>
/// Runs tests under each <see cref="KernelChoice"/> this host has (reference, 256-bit, 512-bit). The choice is process
/// wide, so every test class that switches it belongs to <see cref="KernelChoiceCollection"/>, which xunit runs on its
/// own after the parallel classes: no other test ever sees a choice it did not make.
/// </summary>
public static class KernelChoices
{
    /// <summary>The choices available here, as theory data.</summary>
    public static TheoryData<KernelChoice> Available() => new(Kernels.Available);

    /// <summary>Every available choice crossed with <paramref name="cases"/>, as theory data.</summary>
    public static TheoryData<KernelChoice, string> Crossed(IEnumerable<string> cases)
    {
        var data = new TheoryData<KernelChoice, string>();
        foreach (var choice in Kernels.Available)
            foreach (var c in cases) data.Add(choice, c);
        return data;
    }

    /// <summary>Every available choice in front of each row of <paramref name="rows"/> (MemberData of a theory
    /// whose first parameter is the <see cref="KernelChoice"/>).</summary>
    public static IEnumerable<object[]> Cross(IEnumerable<object[]> rows)
    {
        var all = rows.ToArray();
        foreach (var choice in Kernels.Available)
            foreach (var row in all) yield return [choice, .. row];
    }

    /// <summary>Selects <paramref name="choice"/> in the shipped (float) and the gradient-check (double) builds until
    /// the returned scope is disposed.</summary>
    public static IDisposable Use(KernelChoice choice)
    {
        var saved = Kernels.Choice;
        var savedDouble = Float64::Sequor.Kernels.Choice;
        Kernels.Choice = choice;
        Float64::Sequor.Kernels.Choice = (Float64::Sequor.KernelChoice)(int)choice;
        return new Restore(saved, savedDouble);
    }

    private sealed class Restore(KernelChoice saved, Float64::Sequor.KernelChoice savedDouble) : IDisposable
    {
        public void Dispose()
        {
            Kernels.Choice = saved;
            Float64::Sequor.Kernels.Choice = savedDouble;
        }
    }
}

/// <summary>The tests that switch <see cref="Kernels.Choice"/>: run one at a time, after the parallel ones.</summary>
[CollectionDefinition(nameof(KernelChoiceCollection), DisableParallelization = true)]
public sealed class KernelChoiceCollection;
