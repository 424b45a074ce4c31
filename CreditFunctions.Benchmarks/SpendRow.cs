using System.Globalization;

namespace CreditFunctions.Benchmarks;

/// <summary>One way of spending, measured: how many spends, how long, per-spend latency, requests, retries and lost spends.</summary>
internal sealed record SpendRow(
    TimeSpan RoundTrip, string Scenario, string Method, int Spends, TimeSpan Elapsed, double P50Ms, double P99Ms, long Requests, int Retries, int Lost)
{
    /// <summary>Which sample of the run this row belongs to (from 1): its yardsticks are the rows of the same sample.</summary>
    public int Sample { get; init; } = 1;

    public double PerSecond => Spends / Elapsed.TotalSeconds;

    public string ToConsole() => string.Create(CultureInfo.InvariantCulture,
        $"[{Benchmarks.RoundTrip.Label(RoundTrip)}] {Scenario}, {Method}: {Spends:N0} spends in {Elapsed.TotalSeconds:F2} s ({PerSecond:F0}/s), "
        + $"p50 {P50Ms:F1} ms, p99 {P99Ms:F1} ms, {Requests:N0} requests, {Retries:N0} retries, {Lost:N0} lost");
}
