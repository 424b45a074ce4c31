using System.Globalization;
using System.Text;

namespace CreditFunctions.Benchmarks;

internal sealed record ResultRow(
    int Total,
    int Due,
    TimeSpan Engine,
    TimeSpan Naive,
    TimeSpan StoreLimit,
    TimeSpan ReadAndCommit,
    EngineMemory Memory,
    EngineProfile Profile,
    long EngineRequests,
    long NaiveRequests,
    int NaiveRowsRead)
{
    public double EngineResetsPerSecond => Due / Engine.TotalSeconds;
    public double NaiveResetsPerSecond => Due / Naive.TotalSeconds;
    public double StoreWritesPerSecond => Due / StoreLimit.TotalSeconds;
    public double SpeedupOverNaive => Naive.TotalSeconds / Engine.TotalSeconds;
    public double FractionOfStoreLimit => EngineResetsPerSecond / StoreWritesPerSecond;
    public double ReadAndCommitPerSecond => Due / ReadAndCommit.TotalSeconds;
    public double FractionOfResetProtocol => EngineResetsPerSecond / ReadAndCommitPerSecond;

    public string ToConsole() => string.Create(CultureInfo.InvariantCulture,
        $"engine {Engine.TotalSeconds:F2} s ({EngineResetsPerSecond:F0}/s), naive {Naive.TotalSeconds:F2} s, "
        + $"store limit {StoreWritesPerSecond:F0} writes/s, read+commit {ReadAndCommitPerSecond:F0}/s, x{SpeedupOverNaive:F1} vs naive, "
        + $"{FractionOfStoreLimit:P0} of store limit, {FractionOfResetProtocol:P0} of read+commit, {Memory.ToConsole()}, "
        + $"requests: engine {EngineRequests:N0}, naive {NaiveRequests:N0} reading {NaiveRowsRead:N0} rows");

    public static string Markdown(IReadOnlyList<ResultRow> rows, bool smoke)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Benchmark of the daily run{(smoke ? " (smoke)" : "")}, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, Azurite on 127.0.0.1");
        text.AppendLine();
        text.AppendLine("| N | D | engine time | engine resets/s | naive time | naive resets/s | speed-up vs naive | store limit (cond. writes/s) | fraction of store limit | read+commit pairs/s | fraction of read+commit | peak managed memory (live peak, baseline) | engine requests | naive requests (rows read) |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Total:N0} | {r.Due:N0} | {r.Engine.TotalSeconds:F2} s | {r.EngineResetsPerSecond:F0} | {r.Naive.TotalSeconds:F2} s | {r.NaiveResetsPerSecond:F0} | {r.SpeedupOverNaive:F1}x | {r.StoreWritesPerSecond:F0} | {r.FractionOfStoreLimit:P0} | {r.ReadAndCommitPerSecond:F0} | {r.FractionOfResetProtocol:P0} | {EngineMemory.Megabytes(r.Memory.PeakBytes)} ({EngineMemory.Megabytes(r.Memory.PeakLiveBytes)}, {EngineMemory.Megabytes(r.Memory.BaselineBytes)}) | {r.EngineRequests:N0} | {r.NaiveRequests:N0} ({r.NaiveRowsRead:N0}) |"));
        }

        if (rows.Count > 1)
        {
            text.AppendLine();
            var byDue = rows.GroupBy(r => r.Due).Where(g => g.Count() > 1);
            foreach (var group in byDue)
            {
                var small = group.MinBy(r => r.Total)!;
                var large = group.MaxBy(r => r.Total)!;
                text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"- D = {group.Key:N0}, N {small.Total:N0} -> {large.Total:N0}: engine time x{large.Engine / small.Engine:F2}, naive time x{large.Naive / small.Naive:F2}, "
                    + $"store's conditional write time x{large.StoreLimit / small.StoreLimit:F2}; engine requests x{(double)large.EngineRequests / small.EngineRequests:F2}, "
                    + $"naive rows read x{(double)large.NaiveRowsRead / small.NaiveRowsRead:F2}"));
            }

            var peaks = rows.Where(r => r.Total == rows.Max(x => x.Total)).OrderBy(r => r.Due).ToList();
            if (peaks.Count > 1)
            {
                text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"- N = {peaks[0].Total:N0}, D {peaks[0].Due:N0} -> {peaks[^1].Due:N0}: peak managed memory x{(double)peaks[^1].Memory.PeakBytes / peaks[0].Memory.PeakBytes:F2}, "
                    + $"live peak x{(double)peaks[^1].Memory.PeakLiveBytes / peaks[0].Memory.PeakLiveBytes:F2}, "
                    + $"live growth over the baseline x{(double)peaks[^1].Memory.LiveGrowthBytes / Math.Max(1, peaks[0].Memory.LiveGrowthBytes):F2}"));
            }
        }

        text.AppendLine();
        text.AppendLine("Where the engine's time went: the index steps, each awaited alone; the rest is the per-subscription reads and commits. CPU is a share of one core over the engine run (the client's includes the memory sampler's forced collections).");
        text.AppendLine();
        text.AppendLine("| N | D | engine time | reading the index | writing next entries | removing handled entries | reads and commits | Azurite CPU | client CPU |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            var p = r.Profile;
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Total:N0} | {r.Due:N0} | {r.Engine.TotalSeconds:F2} s | {p.ReadingIndex.TotalSeconds:F2} s | {p.WritingNextEntries.TotalSeconds:F2} s | {p.RemovingHandledEntries.TotalSeconds:F2} s | {(r.Engine - p.IndexTotal).TotalSeconds:F2} s | {EngineProfile.Share(p.StoreCpuShare)} | {EngineProfile.Share(p.ClientCpuShare)} |"));
        }

        return text.ToString();
    }
}
