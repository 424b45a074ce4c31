using CreditFunctions.Resets;
using CreditFunctions.Scheduling;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Storage;

/// <summary>
/// The storage the reset engine needs. The implementation guarantees exactly-once per (subscription, boundary):
/// <see cref="TryApplyResetAsync"/> is one conditional, atomic write.
/// </summary>
public interface ICreditStore
{
    Task<Subscription?> GetSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes <paramref name="subscription"/> (insert when its token is null, else replace if unchanged) and, when
    /// <paramref name="eventId"/> is given, records that event in the same transaction, so a redelivered event writes nothing.
    /// When applied, the outcome carries the row's new concurrency token, so the caller needs no read to write again.
    /// </summary>
    Task<UpsertOutcome> TryUpsertSubscriptionAsync(Subscription subscription, string? eventId, CancellationToken cancellationToken = default);

    /// <summary>Streams index entries whose due date is on or before <paramref name="asOf"/>'s date, oldest first, page by page.</summary>
    IAsyncEnumerable<DueEntry> ReadDueAsync(DateTimeOffset asOf, CancellationToken cancellationToken = default);

    /// <summary>Adds (or moves within its day) the index entry that makes a run look at the subscription at <paramref name="dueAt"/>.</summary>
    Task ScheduleAsync(string subscriptionId, DateTimeOffset dueAt, CancellationToken cancellationToken = default);

    /// <summary>Writes many index entries in as few batches as the store allows (one UTC day and at most 100 a batch).</summary>
    Task ScheduleManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>Removes many index entries in batches; an entry rewritten since it was read stays.</summary>
    Task RemoveDueManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes an index entry, unless it was rewritten since it was read (its token) or, for an entry known only by
    /// its time, unless the row on that day now holds another time (a newer entry of the same subscription).
    /// </summary>
    Task RemoveDueAsync(DueEntry entry, CancellationToken cancellationToken = default);

    /// <summary>
    /// If the subscription is unchanged since <paramref name="current"/> was read: records <paramref name="dueAt"/> as
    /// where its index entry now is and, with a <paramref name="reset"/>, sets the balance to
    /// <see cref="AppliedReset.BalanceAfter"/> and inserts the reset record keyed by the boundary. All or nothing.
    /// </summary>
    Task<CommitResult> TryCommitAsync(
        Subscription current, AppliedReset? reset, DateTimeOffset? dueAt, CancellationToken cancellationToken = default);

    /// <summary>Whether the Stripe event <paramref name="eventId"/> was recorded with a write of this subscription.</summary>
    Task<bool> HasEventAsync(string subscriptionId, string eventId, CancellationToken cancellationToken = default);

    /// <summary>The applied resets of one subscription, oldest boundary first.</summary>
    Task<IReadOnlyList<AppliedReset>> GetResetHistoryAsync(string subscriptionId, CancellationToken cancellationToken = default);

    Task SaveRunAsync(ResetRunSummary summary, CancellationToken cancellationToken = default);
}
