using System.Diagnostics;

namespace CreditFunctions.Benchmarks;

/// <summary>
/// Samples the managed heap while a measured run goes. Two peaks: the highest heap size seen every few milliseconds
/// (what the process holds, garbage not yet collected included), and the highest live heap, taken right after a full
/// collection every 100 ms (what the run retains). The first depends on when the GC chooses to collect, which drifts
/// with a run's length; the second is what bounded buffers bound. Sampling often gives short and long runs alike many
/// chances to catch the moment a page of index entries is in memory; a full collection of a heap this small takes a
/// millisecond or two. Only samples taken during the run count towards the peaks.
/// </summary>
internal sealed class MemorySampler : IAsyncDisposable
{
    private static readonly TimeSpan LiveInterval = TimeSpan.FromMilliseconds(100);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly int _fullCollectionsBefore;
    private long _peak;
    private long _peakLive;

    private MemorySampler(long baselineBytes)
    {
        BaselineBytes = baselineBytes;
        _fullCollectionsBefore = GC.CollectionCount(2);
        _loop = Task.Run(async () =>
        {
            var sinceLive = Stopwatch.StartNew();
            while (!_stop.IsCancellationRequested)
            {
                _peak = Math.Max(_peak, GC.GetTotalMemory(forceFullCollection: false));
                if (sinceLive.Elapsed >= LiveInterval)
                {
                    _peakLive = Math.Max(_peakLive, GC.GetTotalMemory(forceFullCollection: true));
                    sinceLive.Restart();
                }

                try
                {
                    await Task.Delay(5, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });
    }

    /// <summary>
    /// Measures what the process holds live before the run (the harness, pooled buffers), then starts sampling. A full
    /// collection right after a phase that built a large collection can still find it reachable (56 MB at N = 300,000
    /// that a heap dump moments later did not show); after any short pause it is gone, so the baseline is taken once the
    /// process has settled for a quarter second.
    /// </summary>
    public static async Task<MemorySampler> StartAsync()
    {
        GC.GetTotalMemory(forceFullCollection: true);
        await Task.Delay(TimeSpan.FromMilliseconds(250));
        return new MemorySampler(GC.GetTotalMemory(forceFullCollection: true));
    }

    /// <summary>Final once disposed.</summary>
    public long PeakBytes => _peak;

    public long PeakLiveBytes => _peakLive;

    /// <summary>The live heap before the run: what the process already held (the harness, pooled buffers).</summary>
    public long BaselineBytes { get; }

    /// <summary>Full collections during the run, forced ones included.</summary>
    public int FullCollections => GC.CollectionCount(2) - _fullCollectionsBefore;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _peak = Math.Max(_peak, GC.GetTotalMemory(forceFullCollection: false));
        _peakLive = Math.Max(_peakLive, GC.GetTotalMemory(forceFullCollection: true));
        _stop.Dispose();
    }
}
