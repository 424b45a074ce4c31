using CreditFunctions.Accounts;
using CreditFunctions.Scheduling;

namespace CreditFunctions.Storage;

/// <summary>
/// An account as the store holds it: its state, the row's version and ETag (what the next write is conditional on), and
/// where each subscription's due-index entry is (with that entry's own ETag), so the next save moves or removes it exactly.
/// </summary>
public sealed record StoredAccount(AccountState State, long Version, string ConcurrencyToken, IReadOnlyDictionary<string, DueEntry> Due);

/// <summary>
/// One save of an account: its state, the records its verbs recorded, and the due entries it names, written in one
/// entity-group transaction with If-Match on <see cref="ConcurrencyToken"/> (an insert when null).
/// </summary>
public sealed record AccountWrite(AccountState State, AccountChanges Changes, long Version, string? ConcurrencyToken, IReadOnlyDictionary<string, DueEntry> Due)
{
    /// <summary>Operations in the transaction: the account row and a record each.</summary>
    public int Operations => 1 + Changes.Records;
}

/// <summary>What a conditional account write did.</summary>
public enum AccountWriteResult
{
    /// <summary>The account and every record were written.</summary>
    Applied,

    /// <summary>The account (or a purchase record) changed since it was read, or appeared: load again and apply again.</summary>
    Conflict,

    /// <summary>The Stripe event was recorded before: a redelivery. Nothing was written.</summary>
    EventRecorded,

    /// <summary>An idempotency key was used by another request that got there first. Nothing was written.</summary>
    IdempotencyKeyTaken,

    /// <summary>A reset record for one of the (subscription, boundary) keys exists: another writer applied it. Nothing was written.</summary>
    ResetRecorded,

    /// <summary>The purchase was granted before (a redelivery, or its other event). Nothing was written.</summary>
    PurchaseRecorded,
}

/// <summary>The outcome of a write, the account's new ETag when it was applied, and for a taken key, which one.</summary>
public sealed record AccountWriteOutcome(AccountWriteResult Result, string? ConcurrencyToken = null, string? TakenKey = null);
