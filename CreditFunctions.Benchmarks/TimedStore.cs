using System.Diagnostics;
using System.Runtime.CompilerServices;
using CreditFunctions.Resets;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Benchmarks;

/// <summary>
/// The real store with a stopwatch on the index work. The handler awaits each index step alone (a page of due entries,
/// a chunk's next entries, a chunk's removals), with no subscription read or commit in flight, so the wall time inside
/// those calls is the index's share of a run and the rest belongs to the per-subscription reads and commits.
/// </summary>
internal sealed class TimedStore(ICreditStore inner) : ICreditStore
{
    private long _readingTicks;
    private long _schedulingTicks;
    private long _removingTicks;

    public TimeSpan ReadingIndex => Stopwatch.GetElapsedTime(0, _readingTicks);

    public TimeSpan WritingNextEntries => Stopwatch.GetElapsedTime(0, _schedulingTicks);

    public TimeSpan RemovingHandledEntries => Stopwatch.GetElapsedTime(0, _removingTicks);

    public async IAsyncEnumerable<DueEntry> ReadDueAsync(DateTimeOffset asOf, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var entries = inner.ReadDueAsync(asOf, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            var more = await entries.MoveNextAsync();
            Interlocked.Add(ref _readingTicks, Stopwatch.GetTimestamp() - started);
            if (!more)
            {
                yield break;
            }

            yield return entries.Current;
        }
    }

    public async Task ScheduleManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await inner.ScheduleManyAsync(entries, cancellationToken);
        }
        finally
        {
            Interlocked.Add(ref _schedulingTicks, Stopwatch.GetTimestamp() - started);
        }
    }

    public async Task RemoveDueManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await inner.RemoveDueManyAsync(entries, cancellationToken);
        }
        finally
        {
            Interlocked.Add(ref _removingTicks, Stopwatch.GetTimestamp() - started);
        }
    }

    public Task<Subscription?> GetSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
        inner.GetSubscriptionAsync(subscriptionId, cancellationToken);

    public Task<UpsertOutcome> TryUpsertSubscriptionAsync(Subscription subscription, string? eventId, CancellationToken cancellationToken = default) =>
        inner.TryUpsertSubscriptionAsync(subscription, eventId, cancellationToken);

    public Task ScheduleAsync(string subscriptionId, DateTimeOffset dueAt, CancellationToken cancellationToken = default) =>
        inner.ScheduleAsync(subscriptionId, dueAt, cancellationToken);

    public Task RemoveDueAsync(DueEntry entry, CancellationToken cancellationToken = default) =>
        inner.RemoveDueAsync(entry, cancellationToken);

    public Task<CommitResult> TryApplyResetAsync(
        Subscription current, AppliedReset reset, DateTimeOffset? dueAt, CancellationToken cancellationToken = default) =>
        inner.TryApplyResetAsync(current, reset, dueAt, cancellationToken);

    public Task<IReadOnlyList<AppliedReset>> GetResetHistoryAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
        inner.GetResetHistoryAsync(subscriptionId, cancellationToken);

    public Task SaveRunAsync(ResetRunSummary summary, CancellationToken cancellationToken = default) =>
        inner.SaveRunAsync(summary, cancellationToken);
}
