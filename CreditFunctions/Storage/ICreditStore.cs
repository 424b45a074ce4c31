using CreditFunctions.Accounts;
using CreditFunctions.Resets;
using CreditFunctions.Scheduling;

namespace CreditFunctions.Storage;

/// <summary>
/// The storage the app needs. A customer's account and all its records live in the customer's partition, so that every
/// change (a reset, a spend, a grant, a Stripe sync) is one conditional, atomic write: <see cref="TryWriteAccountAsync"/>.
/// </summary>
public interface ICreditStore
{
    Task<CustomerAccount?> GetAccountAsync(string customerId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes the account (an insert when its token is null, else a replace if unchanged since it was read) together
    /// with the write's records, all or nothing. When applied, the outcome carries the account's new token.
    /// </summary>
    Task<AccountWriteOutcome> TryWriteAccountAsync(AccountWrite write, CancellationToken cancellationToken = default);

    /// <summary>The applied resets of one subscription, oldest boundary first.</summary>
    Task<IReadOnlyList<AppliedReset>> GetResetHistoryAsync(string customerId, string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> of the customer's ledger entries numbered below <paramref name="before"/> (all when null), newest first.</summary>
    Task<IReadOnlyList<LedgerEntry>> GetLedgerAsync(string customerId, int limit, long? before = null, CancellationToken cancellationToken = default);

    Task<IdempotencyRecord?> GetIdempotencyAsync(string customerId, string key, CancellationToken cancellationToken = default);

    Task<PurchaseRecord?> GetPurchaseAsync(string customerId, string purchaseId, CancellationToken cancellationToken = default);

    /// <summary>The customer's purchase paid with <paramref name="paymentIntentId"/>, if any.</summary>
    Task<PurchaseRecord?> FindPurchaseByPaymentAsync(string customerId, string paymentIntentId, CancellationToken cancellationToken = default);

    /// <summary>Whether the Stripe event <paramref name="eventId"/> was recorded with a write of the customer's account.</summary>
    Task<bool> HasEventAsync(string customerId, string eventId, CancellationToken cancellationToken = default);

    /// <summary>The customer a subscription belongs to (Stripe never moves a subscription to another customer).</summary>
    Task<string?> FindCustomerAsync(string subscriptionId, CancellationToken cancellationToken = default);

    Task RememberCustomerAsync(string subscriptionId, string customerId, CancellationToken cancellationToken = default);

    /// <summary>Streams index entries whose due date is on or before <paramref name="asOf"/>'s date, oldest first, page by page.</summary>
    IAsyncEnumerable<DueEntry> ReadDueAsync(DateTimeOffset asOf, CancellationToken cancellationToken = default);

    /// <summary>Adds (or moves within its day) the index entry that makes a run look at the subscription at its time.</summary>
    Task ScheduleAsync(DueEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Writes many index entries in as few batches as the store allows (one UTC day and at most 100 a batch).</summary>
    Task ScheduleManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>Removes many index entries in batches; an entry rewritten since it was read stays.</summary>
    Task RemoveDueManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes an index entry, unless it was rewritten since it was read (its token) or, for an entry known only by
    /// its time, unless the row on that day now holds another time (a newer entry of the same subscription).
    /// </summary>
    Task RemoveDueAsync(DueEntry entry, CancellationToken cancellationToken = default);

    Task SaveRunAsync(ResetRunSummary summary, CancellationToken cancellationToken = default);
}
