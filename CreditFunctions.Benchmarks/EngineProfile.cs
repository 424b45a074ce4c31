using System.Globalization;

namespace CreditFunctions.Benchmarks;

/// <summary>
/// Where an engine run's time went: the index steps (each awaited alone by the handler) and, as the remainder, the
/// per-subscription reads and commits; plus how busy the emulator and the client were.
/// </summary>
internal sealed record EngineProfile(TimeSpan ReadingIndex, TimeSpan WritingNextEntries, TimeSpan RemovingHandledEntries, double? StoreCpuShare, double ClientCpuShare)
{
    public TimeSpan IndexTotal => ReadingIndex + WritingNextEntries + RemovingHandledEntries;

    public static string Share(double? share) => share is { } value ? string.Create(CultureInfo.InvariantCulture, $"{value:P0}") : "n/a";

    public string ToConsole() => string.Create(CultureInfo.InvariantCulture,
        $"index: reading {ReadingIndex.TotalSeconds:F1} s, next entries {WritingNextEntries.TotalSeconds:F1} s, removals {RemovingHandledEntries.TotalSeconds:F1} s; "
        + $"CPU: Azurite {Share(StoreCpuShare)} of a core, client {Share(ClientCpuShare)}");
}
