using CreditFunctions.Resets;

namespace CreditFunctions.Accounts;

/// <summary>
/// One change of a customer's account as it is written: the account as it is to be stored, and the records written in
/// the same transaction. Each record is an insert that fails if the record exists, which is what makes resets, Stripe
/// events and idempotency keys exactly-once.
/// </summary>
public sealed record AccountWrite(CustomerAccount Account)
{
    public IReadOnlyList<AppliedReset> Resets { get; init; } = [];
    public IReadOnlyList<LedgerEntry> Ledger { get; init; } = [];
    /// <summary>The idempotency keys of the API requests the write carries out (several when concurrent requests are written together).</summary>
    public IReadOnlyList<IdempotencyRecord> Idempotency { get; init; } = [];

    /// <summary>The Stripe event the change came from, recorded so a redelivery writes nothing.</summary>
    public string? EventId { get; init; }

    /// <summary>A purchase granted now (inserted: it fails if the purchase was granted before) or refunded (updated with If-Match).</summary>
    public PurchaseRecord? Purchase { get; init; }

    /// <summary>Operations in the transaction; Azure takes at most 100.</summary>
    public int Operations => 1 + Resets.Count + Ledger.Count + Idempotency.Count + (EventId is null ? 0 : 1) + (Purchase is null ? 0 : 1);
}

/// <summary>What a conditional account write did.</summary>
public enum AccountWriteResult
{
    /// <summary>The account and every record were written.</summary>
    Applied,

    /// <summary>The account changed (or appeared) since it was read: read it again and compute the change again.</summary>
    Conflict,

    /// <summary>The Stripe event was recorded before: a redelivery. Nothing was written.</summary>
    EventRecorded,

    /// <summary>The idempotency key was used by another request that got there first. Nothing was written.</summary>
    IdempotencyKeyTaken,

    /// <summary>A reset record for one of the (subscription, boundary) keys exists. Nothing was written.</summary>
    ResetRecorded,

    /// <summary>The purchase was granted before (a redelivery, or its other event). Nothing was written.</summary>
    PurchaseRecorded,
}

/// <summary>
/// The outcome of a write, and the account's new concurrency token when it was applied; for
/// <see cref="AccountWriteResult.IdempotencyKeyTaken"/>, which key.
/// </summary>
public sealed record AccountWriteOutcome(AccountWriteResult Result, string? ConcurrencyToken = null, string? TakenKey = null);

/// <summary>
/// An API request's idempotency key with what it asked and what it was answered, stored with the change it made: the
/// same key again gets the same answer, and the same key with another request is refused.
/// </summary>
/// <param name="Operation">spend or grant.</param>
/// <param name="Fingerprint">The request's parameters, as compared for a reuse of the key.</param>
/// <param name="Response">The answer's JSON, returned again for a retry.</param>
public sealed record IdempotencyRecord(string Key, string Operation, string Fingerprint, int Status, string Response, DateTimeOffset CreatedAt);
