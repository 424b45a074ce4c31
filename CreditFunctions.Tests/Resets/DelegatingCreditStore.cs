using CreditFunctions.Resets;
using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Tests.Resets;

/// <summary>A store that passes every call to a real one; test doubles override only the calls they change.</summary>
internal abstract class DelegatingCreditStore(ICreditStore inner) : ICreditStore
{
    protected ICreditStore Inner { get; } = inner;

    public virtual Task<Subscription?> GetSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
        Inner.GetSubscriptionAsync(subscriptionId, cancellationToken);

    public virtual Task<UpsertOutcome> TryUpsertSubscriptionAsync(Subscription subscription, string? eventId, CancellationToken cancellationToken = default) =>
        Inner.TryUpsertSubscriptionAsync(subscription, eventId, cancellationToken);

    public virtual IAsyncEnumerable<DueEntry> ReadDueAsync(DateTimeOffset asOf, CancellationToken cancellationToken = default) =>
        Inner.ReadDueAsync(asOf, cancellationToken);

    public virtual Task ScheduleAsync(string subscriptionId, DateTimeOffset dueAt, CancellationToken cancellationToken = default) =>
        Inner.ScheduleAsync(subscriptionId, dueAt, cancellationToken);

    public virtual Task ScheduleManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
        Inner.ScheduleManyAsync(entries, cancellationToken);

    public virtual Task RemoveDueManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
        Inner.RemoveDueManyAsync(entries, cancellationToken);

    public virtual Task RemoveDueAsync(DueEntry entry, CancellationToken cancellationToken = default) =>
        Inner.RemoveDueAsync(entry, cancellationToken);

    public virtual Task<CommitResult> TryCommitAsync(Subscription current, AppliedReset? reset, DateTimeOffset? dueAt, CancellationToken cancellationToken = default) =>
        Inner.TryCommitAsync(current, reset, dueAt, cancellationToken);

    public virtual Task<bool> HasEventAsync(string subscriptionId, string eventId, CancellationToken cancellationToken = default) =>
        Inner.HasEventAsync(subscriptionId, eventId, cancellationToken);

    public virtual Task<IReadOnlyList<AppliedReset>> GetResetHistoryAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
        Inner.GetResetHistoryAsync(subscriptionId, cancellationToken);

    public virtual Task SaveRunAsync(ResetRunSummary summary, CancellationToken cancellationToken = default) =>
        Inner.SaveRunAsync(summary, cancellationToken);
}
