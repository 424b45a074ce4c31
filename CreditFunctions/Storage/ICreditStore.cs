using CreditFunctions.Accounts;
using CreditFunctions.Runs;
using CreditFunctions.Scheduling;

namespace CreditFunctions.Storage;

/// <summary>
/// The storage the app needs. A customer's account and all its records live in the customer's partition, so that every
/// change (a reset, a spend, a grant, a Stripe sync) is one conditional, atomic write: <see cref="TryWriteAccountAsync"/>.
/// The <see cref="AccountRepository"/> is its one caller for accounts; the due index is written around those writes.
/// </summary>
public interface ICreditStore
{
    Task<StoredAccount?> GetAccountAsync(string customerId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes the account (an insert when its token is null, else a merge if unchanged since it was read) together with
    /// the write's records, all or nothing. When applied, the outcome carries the account's new token.
    /// </summary>
    Task<AccountWriteOutcome> TryWriteAccountAsync(AccountWrite write, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> of the customer's ledger entries numbered below <paramref name="before"/> (all when null), newest first.</summary>
    Task<IReadOnlyList<LedgerEntry>> GetLedgerAsync(string customerId, int limit, long? before = null, CancellationToken cancellationToken = default);

    Task<IdempotencyRecord?> GetIdempotencyAsync(string customerId, string key, CancellationToken cancellationToken = default);

    /// <summary>The customer's purchase paid with <paramref name="paymentIntentId"/>, if any.</summary>
    Task<PurchaseRecord?> FindPurchaseByPaymentAsync(string customerId, string paymentIntentId, CancellationToken cancellationToken = default);

    /// <summary>Whether the Stripe event <paramref name="eventId"/> was recorded with a write of the customer's account.</summary>
    Task<bool> HasEventAsync(string customerId, string eventId, CancellationToken cancellationToken = default);

    /// <summary>The customer a subscription belongs to (Stripe never moves a subscription to another customer).</summary>
    Task<string?> FindCustomerAsync(string subscriptionId, CancellationToken cancellationToken = default);

    Task RememberCustomerAsync(string subscriptionId, string customerId, CancellationToken cancellationToken = default);

    /// <summary>Streams index entries whose due date is on or before <paramref name="asOf"/>'s date, page by page, each with its token.</summary>
    IAsyncEnumerable<DueEntry> ReadDueAsync(DateTimeOffset asOf, CancellationToken cancellationToken = default);

    /// <summary>Writes (or replaces, within its day) an index entry; answers it with its token.</summary>
    Task<DueEntry> ScheduleAsync(DueEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Writes many index entries in as few batches as the store allows; answers them with their tokens.</summary>
    Task<IReadOnlyList<DueEntry>> ScheduleManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes index entries: each by its token, or, when its row was rewritten since (or no token is known), only if the
    /// row still holds the entry's time, so a subscription's newer entry on the same day stays.
    /// </summary>
    Task RemoveDueManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default);

    Task SaveRunAsync(ResetRunSummary summary, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> run records of the UTC month of <paramref name="now"/> and the month before, newest first.</summary>
    Task<IReadOnlyList<ResetRunSummary>> GetRecentRunsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>The customer's events not delivered yet, one batch per save, in event order.</summary>
    Task<IReadOnlyList<OutboxBatch>> GetOutboxAsync(string customerId, CancellationToken cancellationToken = default);

    /// <summary>Takes a batch away once every event of it was delivered (unless another delivery changed it since).</summary>
    Task CompleteOutboxAsync(OutboxBatch batch, CancellationToken cancellationToken = default);

    /// <summary>Records how far delivery of a batch got; null when another delivery changed it since.</summary>
    Task<OutboxBatch?> MarkOutboxAsync(OutboxBatch batch, long deliveredThrough, CancellationToken cancellationToken = default);
}
