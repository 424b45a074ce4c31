using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using System.Runtime.CompilerServices;
using CreditFunctions.Resets;
using CreditFunctions.Subscriptions;
using Microsoft.Extensions.Time.Testing;

namespace CreditFunctions.Tests.Resets;

/// <summary>A real store whose subscription reads advance a fake clock, to make a run's time budget run out deterministically.</summary>
internal sealed class SlowStore(ICreditStore inner, FakeTimeProvider time, TimeSpan perRead) : ICreditStore
{
    public async Task<Subscription?> GetSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken = default)
    {
        time.Advance(perRead);
        return await inner.GetSubscriptionAsync(subscriptionId, cancellationToken);
    }

    public IAsyncEnumerable<DueEntry> ReadDueAsync(DateTimeOffset asOf, CancellationToken cancellationToken = default) =>
        inner.ReadDueAsync(asOf, cancellationToken);

    public Task<UpsertOutcome> TryUpsertSubscriptionAsync(Subscription subscription, string? eventId, CancellationToken cancellationToken = default) =>
        inner.TryUpsertSubscriptionAsync(subscription, eventId, cancellationToken);

    public Task ScheduleAsync(string subscriptionId, DateTimeOffset dueAt, CancellationToken cancellationToken = default) =>
        inner.ScheduleAsync(subscriptionId, dueAt, cancellationToken);

    public Task ScheduleManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
        inner.ScheduleManyAsync(entries, cancellationToken);

    public Task RemoveDueManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
        inner.RemoveDueManyAsync(entries, cancellationToken);

    public Task RemoveDueAsync(DueEntry entry, CancellationToken cancellationToken = default) =>
        inner.RemoveDueAsync(entry, cancellationToken);

    public Task<CommitResult> TryApplyResetAsync(Subscription current, AppliedReset reset, DateTimeOffset? dueAt, CancellationToken cancellationToken = default) =>
        inner.TryApplyResetAsync(current, reset, dueAt, cancellationToken);

    public Task<IReadOnlyList<AppliedReset>> GetResetHistoryAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
        inner.GetResetHistoryAsync(subscriptionId, cancellationToken);

    public Task SaveRunAsync(ResetRunSummary summary, CancellationToken cancellationToken = default) =>
        inner.SaveRunAsync(summary, cancellationToken);
}
