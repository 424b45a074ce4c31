using CreditFunctions.Resets;
using CreditFunctions.Storage;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Scheduling;

/// <summary>
/// The due-date index and its one rule: every path that writes a subscription asks here where its entry goes, puts it
/// there before the write and takes the old one away after it (<see cref="DueMove"/>), so a crash between the two
/// leaves an extra entry (which a run drops as stale), never a missing one. Entries are hints; the subscription row
/// decides what is due.
/// </summary>
public sealed class DueIndex(ICreditStore store, IOptions<ResetOptions> options)
{
    private readonly ResetPolicy _policy = options.Value.Policy;

    /// <summary>
    /// The rule: a subscription's entry sits where its next decision is needed. That is now when a reset is due that the
    /// write at hand does not carry out (a sync, say), else when the decision says to look next; null takes it out.
    /// </summary>
    public static DateTimeOffset? Placement(ResetDecision decision, bool carriedOut, DateTimeOffset now) =>
        decision.Boundary is not null && !carriedOut ? now : decision.NextCheck;

    /// <summary>Where the entry of a subscription stored as <paramref name="subscription"/> belongs at <paramref name="now"/>.</summary>
    public DateTimeOffset? PlacementFor(Subscriptions.Subscription subscription, DateTimeOffset now) =>
        Placement(ResetPlanner.Plan(subscription, now, _policy), carriedOut: false, now);

    /// <summary>Starts moving a subscription's entry around one writer's conditional write of its row.</summary>
    public DueMove Move(string subscriptionId, string customerId) => new(store, subscriptionId, customerId);

    /// <summary>Entries due on or before <paramref name="asOf"/>'s day, oldest first, page by page.</summary>
    public IAsyncEnumerable<DueEntry> ReadDueAsync(DateTimeOffset asOf, CancellationToken cancellationToken = default) =>
        store.ReadDueAsync(asOf, cancellationToken);

    /// <summary>A run's <see cref="DueMove.PlaceAsync"/> for a whole chunk: batched per day.</summary>
    public Task PlaceManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
        entries.Count == 0 ? Task.CompletedTask : store.ScheduleManyAsync(entries, cancellationToken);

    /// <summary>
    /// A run's <see cref="DueMove.CommitAsync"/> for a whole chunk: removes each handled entry unless its subscription's new
    /// placement replaced it (written for the same day and subscription, so it is the new entry now). Batched per day.
    /// </summary>
    public Task ReleaseManyAsync(IEnumerable<(IReadOnlyList<DueEntry> Entries, DateTimeOffset? Placement)> handled, CancellationToken cancellationToken = default)
    {
        var stale = handled.SelectMany(h => h.Entries.Where(e => h.Placement is not { } at || !e.IsSameDay(at))).ToList();
        return stale.Count == 0 ? Task.CompletedTask : store.RemoveDueManyAsync(stale, cancellationToken);
    }
}
