using CreditFunctions.Accounts;
using CreditFunctions.Runs;
using CreditFunctions.Scheduling;
using CreditFunctions.Storage;

namespace CreditFunctions.Tests.Resets;

/// <summary>A store that passes every call to a real one; test doubles override only the calls they change.</summary>
internal abstract class DelegatingCreditStore(ICreditStore inner) : ICreditStore
{
    public ICreditStore Inner { get; } = inner;

    public virtual Task<StoredAccount?> GetAccountAsync(string customerId, CancellationToken cancellationToken = default) =>
        Inner.GetAccountAsync(customerId, cancellationToken);

    public virtual Task<AccountWriteOutcome> TryWriteAccountAsync(AccountWrite write, CancellationToken cancellationToken = default) =>
        Inner.TryWriteAccountAsync(write, cancellationToken);

    public virtual Task<IReadOnlyList<LedgerEntry>> GetLedgerAsync(string customerId, int limit, long? before = null, CancellationToken cancellationToken = default) =>
        Inner.GetLedgerAsync(customerId, limit, before, cancellationToken);

    public virtual Task<IdempotencyRecord?> GetIdempotencyAsync(string customerId, string key, CancellationToken cancellationToken = default) =>
        Inner.GetIdempotencyAsync(customerId, key, cancellationToken);

    public virtual Task<PurchaseRecord?> FindPurchaseByPaymentAsync(string customerId, string paymentIntentId, CancellationToken cancellationToken = default) =>
        Inner.FindPurchaseByPaymentAsync(customerId, paymentIntentId, cancellationToken);

    public virtual Task<bool> HasEventAsync(string customerId, string eventId, CancellationToken cancellationToken = default) =>
        Inner.HasEventAsync(customerId, eventId, cancellationToken);

    public virtual Task<string?> FindCustomerAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
        Inner.FindCustomerAsync(subscriptionId, cancellationToken);

    public virtual Task RememberCustomerAsync(string subscriptionId, string customerId, CancellationToken cancellationToken = default) =>
        Inner.RememberCustomerAsync(subscriptionId, customerId, cancellationToken);

    public virtual IAsyncEnumerable<DueEntry> ReadDueAsync(DateTimeOffset asOf, CancellationToken cancellationToken = default) =>
        Inner.ReadDueAsync(asOf, cancellationToken);

    public virtual Task<DueEntry> ScheduleAsync(DueEntry entry, CancellationToken cancellationToken = default) =>
        Inner.ScheduleAsync(entry, cancellationToken);

    public virtual Task<IReadOnlyList<DueEntry>> ScheduleManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
        Inner.ScheduleManyAsync(entries, cancellationToken);

    public virtual Task RemoveDueManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
        Inner.RemoveDueManyAsync(entries, cancellationToken);

    public virtual Task SaveRunAsync(ResetRunSummary summary, CancellationToken cancellationToken = default) =>
        Inner.SaveRunAsync(summary, cancellationToken);

    public virtual Task<IReadOnlyList<ResetRunSummary>> GetRecentRunsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) =>
        Inner.GetRecentRunsAsync(now, limit, cancellationToken);

    public virtual Task<IReadOnlyList<OutboxBatch>> GetOutboxAsync(string customerId, CancellationToken cancellationToken = default) =>
        Inner.GetOutboxAsync(customerId, cancellationToken);

    public virtual Task CompleteOutboxAsync(OutboxBatch batch, CancellationToken cancellationToken = default) =>
        Inner.CompleteOutboxAsync(batch, cancellationToken);

    public virtual Task<OutboxBatch?> MarkOutboxAsync(OutboxBatch batch, long deliveredThrough, CancellationToken cancellationToken = default) =>
        Inner.MarkOutboxAsync(batch, deliveredThrough, cancellationToken);
}
