using CreditFunctions.Resets;
using CreditFunctions.Storage;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Scheduling;

/// <summary>
/// The due-date index and its one rule: every path that writes a subscription asks here where its entry goes, puts it
/// there before the write and takes the old one away after it, so a crash between the two leaves an extra entry (which
/// a run drops as stale), never a missing one. Entries are hints; the subscription row decides what is due.
/// </summary>
public sealed class DueIndex(ICreditStore store, IOptions<ResetOptions> options)
{
    private readonly bool _allowPastDue = options.Value.AllowPastDue;

    /// <summary>
    /// The rule: a subscription's entry sits where its next decision is needed. That is now when a reset is due that the
    /// write at hand does not carry out (a sync, say), else when the decision says to look next; null takes it out.
    /// </summary>
    public static DateTimeOffset? Placement(ResetDecision decision, bool carriedOut, DateTimeOffset now) =>
        decision.Boundary is not null && !carriedOut ? now : decision.NextCheck;

    /// <summary>Where the entry of a subscription stored as <paramref name="subscription"/> belongs at <paramref name="now"/>.</summary>
    public DateTimeOffset? PlacementFor(Subscriptions.Subscription subscription, DateTimeOffset now) =>
        Placement(ResetPlanner.Plan(subscription, now, _allowPastDue), carriedOut: false, now);

    /// <summary>Before a write: puts the entry at <paramref name="placement"/> unless it is there already.</summary>
    public async Task PlaceAsync(string subscriptionId, DateTimeOffset? placement, DateTimeOffset? current, CancellationToken cancellationToken = default)
    {
        if (placement is { } at && at != current)
        {
            await store.ScheduleAsync(subscriptionId, at, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>After a write: removes the entry the subscription had before, unless the new one replaced it (same day).</summary>
    public async Task ReleaseAsync(string subscriptionId, DateTimeOffset? previous, DateTimeOffset? placement, CancellationToken cancellationToken = default)
    {
        if (previous is { } old && (placement is not { } at || !new DueEntry(subscriptionId, old).IsSameDay(at)))
        {
            await store.RemoveDueAsync(new DueEntry(subscriptionId, old), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Entries due on or before <paramref name="asOf"/>'s day, oldest first, page by page.</summary>
    public IAsyncEnumerable<DueEntry> ReadDueAsync(DateTimeOffset asOf, CancellationToken cancellationToken = default) =>
        store.ReadDueAsync(asOf, cancellationToken);

    /// <summary>A run's <see cref="PlaceAsync"/> for a whole chunk: batched per day.</summary>
    public Task PlaceManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
        entries.Count == 0 ? Task.CompletedTask : store.ScheduleManyAsync(entries, cancellationToken);

    /// <summary>
    /// A run's <see cref="ReleaseAsync"/> for a whole chunk: removes each handled entry unless its subscription's new
    /// placement replaced it (written for the same day and subscription, so it is the new entry now). Batched per day.
    /// </summary>
    public Task ReleaseManyAsync(IEnumerable<(IReadOnlyList<DueEntry> Entries, DateTimeOffset? Placement)> handled, CancellationToken cancellationToken = default)
    {
        var stale = handled.SelectMany(h => h.Entries.Where(e => h.Placement is not { } at || !e.IsSameDay(at))).ToList();
        return stale.Count == 0 ? Task.CompletedTask : store.RemoveDueManyAsync(stale, cancellationToken);
    }
}
