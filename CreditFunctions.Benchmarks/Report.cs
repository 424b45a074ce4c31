using System.Globalization;
using System.Text;

namespace CreditFunctions.Benchmarks;

/// <summary>The benchmark's tables, as printed and saved: both round trips side by side, then each in full.</summary>
internal static class Report
{
    public static string Markdown(
        IReadOnlyList<ResultRow> rows, IReadOnlyList<SpendRow> spends, IReadOnlyList<EventsRow> events, bool smoke, string command, TimeSpan took, IReadOnlyDictionary<TimeSpan, TimeSpan> waited)
    {
        var text = new StringBuilder();
        var rtts = rows.Select(r => r.RoundTrip).Concat(spends.Select(s => s.RoundTrip)).Concat(events.Select(e => e.On.RoundTrip)).Distinct().Order().ToList();
        Line(text, $"Benchmark{(smoke ? " (smoke: tiny sizes, correctness only)" : "")}, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, Azurite on 127.0.0.1, round trips {string.Join(" and ", rtts.Select(RoundTrip.Label))}, {took.TotalMinutes:F0} minutes.");
        Line(text, $"Command: `{command}`");
        foreach (var (rtt, mean) in waited.OrderBy(w => w.Key))
        {
            Line(text, $"A {RoundTrip.Label(rtt)} round trip waited {mean.TotalMilliseconds:F2} ms on average.");
        }

        text.AppendLine();

        if (rows.Count > 0)
        {
            Line(text, "### The daily run, side by side");
            text.AppendLine();
            Line(text, "| N | D | " + string.Join(" | ", rtts.Select(r => $"engine ({RoundTrip.Label(r)})")) + " | "
                + string.Join(" | ", rtts.Select(r => $"vs naive ({RoundTrip.Label(r)})")) + " | "
                + string.Join(" | ", rtts.Select(r => $"of read+commit ({RoundTrip.Label(r)})")) + " |");
            Line(text, "|---:|---:|" + string.Concat(Enumerable.Repeat("---:|", rtts.Count * 3)));
            foreach (var size in rows.Select(r => (r.Total, r.Due)).Distinct())
            {
                var at = rtts.Select(rtt => rows.FirstOrDefault(r => r.RoundTrip == rtt && r.Total == size.Total && r.Due == size.Due)).ToList();
                Line(text, $"| {size.Total:N0} | {size.Due:N0} | "
                    + string.Join(" | ", at.Select(r => r is null ? "" : $"{r.Engine.TotalSeconds:F2} s")) + " | "
                    + string.Join(" | ", at.Select(r => r is null ? "" : $"{r.SpeedupOverNaive:F1}x")) + " | "
                    + string.Join(" | ", at.Select(r => r is null ? "" : $"{r.FractionOfResetProtocol:P0}")) + " |");
            }

            text.AppendLine();
            foreach (var rtt in rtts.Where(rtt => rows.Any(r => r.RoundTrip == rtt)))
            {
                Daily(text, [.. rows.Where(r => r.RoundTrip == rtt)], rtt);
            }
        }

        if (spends.Count > 0)
        {
            Line(text, "### The spend path");
            text.AppendLine();
            Line(text, $"Many customers: spends over the customers at {SpendBench.ApiConcurrency} concurrent calls, against the minimal pair a spend needs (read the account, one conditional transaction of the account, a ledger row and a key row) on the same customers. One hot customer: that many concurrent spenders on one account, against a plain optimistic loop (read, If-Match write, retry at once on 412) and a naive read-modify-write without ETag. \"vs\" is the engine's rate over the pair's (many customers) or the optimistic loop's (hot customer); retries are lost write races; lost spends are spends answered as done whose credits were not taken. \"hold + capture\" does the same units of work as a hold of a little more than each costs and a capture of what it cost (two writes of the account), measured against the engine's plain spend.");
            text.AppendLine();
            Line(text, "| round trip | scenario | method | spends | time | spends/s | vs | p50 | p99 | requests | retries | lost |");
            Line(text, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var s in spends)
            {
                var baseline = spends.FirstOrDefault(b => b.RoundTrip == s.RoundTrip && b.Scenario == s.Scenario
                    && b.Method == (s.Scenario == "many customers" ? "minimal read + transaction pair" : "plain optimistic loop"));
                var spend = spends.FirstOrDefault(b => b.RoundTrip == s.RoundTrip && b.Scenario == s.Scenario && b.Method == "engine (CreditsService)");
                var versus = s.Method == "engine, hold + capture" && spend is not null ? $"{s.PerSecond / spend.PerSecond:F2}x of a spend"
                    : s.Method.StartsWith("engine", StringComparison.Ordinal) && baseline is not null ? $"{s.PerSecond / baseline.PerSecond:F2}x" : "";
                Line(text, $"| {RoundTrip.Label(s.RoundTrip)} | {s.Scenario} | {s.Method} | {s.Spends:N0} | {s.Elapsed.TotalSeconds:F2} s | {s.PerSecond:F0} | {versus} | {s.P50Ms:F1} ms | {s.P99Ms:F1} ms | {s.Requests:N0} | {s.Retries:N0} | {s.Lost:N0} |");
            }
        }

        if (events.Count > 0)
        {
            text.AppendLine();
            Line(text, "### The spend path with events on");
            text.AppendLine();
            Line(text, $"The same {events[0].On.Spends:N0} spends over {SpendBench.ApiConcurrency} concurrent calls, on three sets of customers seeded alike: events off; events on with the delivery held back (the spend path's own cost); events on with the delivery running beside the spends as the host runs it (a queue listener taking 16 messages at a time, posting signed to a receiver on 127.0.0.1), on the same two cores and the same emulator. With events on, each customer's threshold sits 10 credits under its balance, so its first spends cross it and record one credits.low, announced to the queue before the write (one queue request more for that spend). The target: events on at least 80 % of off. Commit to delivery is the delivery's own credits.events.latency, from the store's timestamp of the write to the receiver's 2xx; it includes Events:AnnounceDelay (2 s), the hand-off's deliberate wait.");
            text.AppendLine();
            Line(text, "| round trip | spends/s off | on, delivery held back | on, delivering | on / off (held back, delivering) | requests per spend off / on | events written | delivered | delivery requests | commit to delivery p50 | p99 | held-back backlog delivered | spend p50 off / held back / delivering | spend p99 off / held back / delivering |");
            Line(text, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var e in events)
            {
                Line(text, $"| {RoundTrip.Label(e.On.RoundTrip)} | {e.Off.PerSecond:F0} | {e.Quiet.PerSecond:F0} | {e.On.PerSecond:F0} | {e.QuietRatio:P0}, {e.Ratio:P0} | {(double)e.Off.Requests / e.Off.Spends:F2} / {(double)e.On.Requests / e.On.Spends:F2} | {e.Written:N0} | {e.Delivered:N0} | {e.DeliveryRequests:N0} | {e.LatencyP50Ms:F0} ms | {e.LatencyP99Ms:F0} ms | {e.Backlog:N0} in {e.BacklogTime.TotalSeconds:F1} s ({e.Backlog / e.BacklogTime.TotalSeconds:F0}/s) | {e.Off.P50Ms:F1} / {e.Quiet.P50Ms:F1} / {e.On.P50Ms:F1} ms | {e.Off.P99Ms:F1} / {e.Quiet.P99Ms:F1} / {e.On.P99Ms:F1} ms |");
            }
        }

        return text.ToString();
    }

    private static void Daily(StringBuilder text, IReadOnlyList<ResultRow> rows, TimeSpan rtt)
    {
        Line(text, $"### The daily run, round trip {RoundTrip.Label(rtt)}");
        text.AppendLine();
        Line(text, "| N | D | engine time | engine resets/s | naive time | naive resets/s | speed-up vs naive | store limit (cond. writes/s) | fraction of store limit | read+commit pairs/s | fraction of read+commit | peak managed memory (live peak, baseline) | engine requests | naive requests (rows read) |");
        Line(text, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            // Memory comes from one untimed engine pass per size (see Program.EngineAsync), the same at every round trip.
            Line(text, $"| {r.Total:N0} | {r.Due:N0} | {r.Engine.TotalSeconds:F2} s | {r.EngineResetsPerSecond:F0} | {r.Naive.TotalSeconds:F2} s | {r.NaiveResetsPerSecond:F0} | {r.SpeedupOverNaive:F1}x | {r.StoreWritesPerSecond:F0} | {r.FractionOfStoreLimit:P0} | {r.ReadAndCommitPerSecond:F0} | {r.FractionOfResetProtocol:P0} | {EngineMemory.Megabytes(r.Memory.PeakBytes)} ({EngineMemory.Megabytes(r.Memory.PeakLiveBytes)}, {EngineMemory.Megabytes(r.Memory.BaselineBytes)}) | {r.EngineRequests:N0} | {r.NaiveRequests:N0} ({r.NaiveRowsRead:N0}) |");
        }

        text.AppendLine();
        Line(text, "Memory is measured in a separate, untimed engine pass over the same data set, once per size, and shown at each round trip. The yardsticks run after the engine and the naive cron, always in that order, one sample each.");

        if (rows.Count > 1)
        {
            text.AppendLine();
            foreach (var group in rows.GroupBy(r => r.Due).Where(g => g.Count() > 1))
            {
                var small = group.MinBy(r => r.Total)!;
                var large = group.MaxBy(r => r.Total)!;
                Line(text, $"- D = {group.Key:N0}, N {small.Total:N0} -> {large.Total:N0}: engine time x{large.Engine / small.Engine:F2}, naive time x{large.Naive / small.Naive:F2}, "
                    + $"store's conditional write time x{large.StoreLimit / small.StoreLimit:F2}; engine requests x{(double)large.EngineRequests / small.EngineRequests:F2}, "
                    + $"naive rows read x{(double)large.NaiveRowsRead / small.NaiveRowsRead:F2}");
            }

            var peaks = rows.Where(r => r.Total == rows.Max(x => x.Total)).OrderBy(r => r.Due).ToList();
            if (peaks.Count > 1)
            {
                Line(text, $"- N = {peaks[0].Total:N0}, D {peaks[0].Due:N0} -> {peaks[^1].Due:N0}: peak managed memory x{(double)peaks[^1].Memory.PeakBytes / peaks[0].Memory.PeakBytes:F2}, "
                    + $"live peak x{(double)peaks[^1].Memory.PeakLiveBytes / peaks[0].Memory.PeakLiveBytes:F2}, "
                    + $"live growth over the baseline x{(double)peaks[^1].Memory.LiveGrowthBytes / Math.Max(1, peaks[0].Memory.LiveGrowthBytes):F2}");
            }
        }

        text.AppendLine();
        Line(text, "Where the engine's store time went: time inside each kind of store call, summed over concurrent calls (a run keeps up to 32 in flight over several chunks, so these add up to more than the run's wall time), and the index's share of it. On Azurite a slow call is mostly one waiting for the emulator's single busy core. CPU is a share of one core over the engine run.");
        text.AppendLine();
        Line(text, "| N | D | engine time | reading the index | writing next entries | removing handled entries | reading accounts | commits | index share | Azurite CPU | client CPU |");
        Line(text, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            var p = r.Profile;
            Line(text, $"| {r.Total:N0} | {r.Due:N0} | {r.Engine.TotalSeconds:F2} s | {p.ReadingIndex.TotalSeconds:F2} s | {p.WritingNextEntries.TotalSeconds:F2} s | {p.RemovingHandledEntries.TotalSeconds:F2} s | {p.ReadingAccounts.TotalSeconds:F2} s | {p.Committing.TotalSeconds:F2} s | {p.IndexShare:P0} | {EngineProfile.Share(p.StoreCpuShare)} | {EngineProfile.Share(p.ClientCpuShare)} |");
        }

        text.AppendLine();
    }

    private static void Line(StringBuilder text, FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));

    private static void Line(StringBuilder text, string line) => text.AppendLine(line);
}
