using System.Diagnostics;
using System.Runtime.CompilerServices;
using CreditFunctions.Resets;
using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using CreditFunctions.Tests.Resets;

namespace CreditFunctions.Benchmarks;

/// <summary>
/// The real store with a stopwatch on the index work. The handler awaits each index step alone (a page of due entries,
/// a chunk's next entries, a chunk's removals), with no subscription read or commit in flight, so the wall time inside
/// those calls is the index's share of a run and the rest belongs to the per-subscription reads and commits.
/// </summary>
internal sealed class TimedStore(ICreditStore inner) : DelegatingCreditStore(inner)
{
    private readonly Meter _reading = new();
    private readonly Meter _scheduling = new();
    private readonly Meter _removing = new();

    public TimeSpan ReadingIndex => _reading.Elapsed;

    public TimeSpan WritingNextEntries => _scheduling.Elapsed;

    public TimeSpan RemovingHandledEntries => _removing.Elapsed;

    public override async IAsyncEnumerable<DueEntry> ReadDueAsync(DateTimeOffset asOf, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var entries = Inner.ReadDueAsync(asOf, cancellationToken).GetAsyncEnumerator(cancellationToken);
        var more = true;
        while (more)
        {
            await _reading.TimeAsync(async () => more = await entries.MoveNextAsync());
            if (more)
            {
                yield return entries.Current;
            }
        }
    }

    public override Task ScheduleManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
        _scheduling.TimeAsync(() => Inner.ScheduleManyAsync(entries, cancellationToken));

    public override Task RemoveDueManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
        _removing.TimeAsync(() => Inner.RemoveDueManyAsync(entries, cancellationToken));

    /// <summary>Wall time summed over the calls it wraps.</summary>
    private sealed class Meter
    {
        private long _ticks;

        public TimeSpan Elapsed => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _ticks));

        public async Task TimeAsync(Func<Task> work)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await work();
            }
            finally
            {
                Interlocked.Add(ref _ticks, Stopwatch.GetTimestamp() - started);
            }
        }
    }
}
