using System.Globalization;

namespace CreditFunctions.Benchmarks;

internal sealed record ResultRow(
    TimeSpan RoundTrip,
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
        $"[{Benchmarks.RoundTrip.Label(RoundTrip)}] engine {Engine.TotalSeconds:F2} s ({EngineResetsPerSecond:F0}/s), naive {Naive.TotalSeconds:F2} s, "
        + $"store limit {StoreWritesPerSecond:F0} writes/s, read+commit {ReadAndCommitPerSecond:F0}/s, x{SpeedupOverNaive:F1} vs naive, "
        + $"{FractionOfStoreLimit:P0} of store limit, {FractionOfResetProtocol:P0} of read+commit, {Memory.ToConsole()}, "
        + $"requests: engine {EngineRequests:N0}, naive {NaiveRequests:N0} reading {NaiveRowsRead:N0} rows");
}
