using System.Globalization;

namespace CreditFunctions.Benchmarks;

/// <summary>
/// Where an engine run's store time went: call time summed over concurrent calls, for the index steps and for the
/// accounts' reads and commits; plus how busy the emulator and the client were.
/// </summary>
internal sealed record EngineProfile(
    TimeSpan ReadingIndex, TimeSpan WritingNextEntries, TimeSpan RemovingHandledEntries, TimeSpan ReadingAccounts, TimeSpan Committing,
    double? StoreCpuShare, double ClientCpuShare)
{
    public TimeSpan IndexTotal => ReadingIndex + WritingNextEntries + RemovingHandledEntries;

    /// <summary>The index's share of all the run's call time.</summary>
    public double IndexShare => IndexTotal / (IndexTotal + ReadingAccounts + Committing);

    public static string Share(double? share) => share is { } value ? string.Create(CultureInfo.InvariantCulture, $"{value:P0}") : "n/a";

    public string ToConsole() => string.Create(CultureInfo.InvariantCulture,
        $"index: reading {ReadingIndex.TotalSeconds:F1} s, next entries {WritingNextEntries.TotalSeconds:F1} s, removals {RemovingHandledEntries.TotalSeconds:F1} s ({IndexShare:P0} of call time); accounts: reads {ReadingAccounts.TotalSeconds:F1} s, commits {Committing.TotalSeconds:F1} s; "
        + $"CPU: Azurite {Share(StoreCpuShare)} of a core, client {Share(ClientCpuShare)}");
}
