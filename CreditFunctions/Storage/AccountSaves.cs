using CreditFunctions.Accounts;
using CreditFunctions.Scheduling;

namespace CreditFunctions.Storage;

/// <summary>An account as loaded: the aggregate the verbs change, and what the store held (null for a customer not stored).</summary>
public sealed record LoadedAccount(CustomerAccount Account, StoredAccount? Stored)
{
    /// <summary>Loaded from this instance's <see cref="AccountCache"/>, not read: a guess that only a landed write confirms.</summary>
    public bool FromCache { get; init; }
}

/// <summary>What became of a save.</summary>
public enum SaveStatus
{
    /// <summary>The account and its records were written.</summary>
    Written,

    /// <summary>Nothing had changed: nothing was written.</summary>
    Unchanged,

    /// <summary>The caller chose not to save (the verb refused): nothing was written.</summary>
    NotSaved,

    /// <summary>A record of the change exists already (the event, an idempotency key, the purchase): nothing was written.</summary>
    AlreadyRecorded,

    /// <summary>Another writer changed the account first: load again and apply again.</summary>
    Conflict,
}

/// <summary>Which record was there already: what kind, and for a key, which one.</summary>
public sealed record RecordTaken(AccountWriteResult Kind, string? Key);

internal sealed record Saved(SaveStatus Status, IReadOnlyDictionary<string, DueEntry>? Due, RecordTaken? Taken = null);

/// <summary>
/// The result of load → verb → save: what the verb answered, the account as the verb left it (as saved when
/// <see cref="Status"/> is <see cref="SaveStatus.Written"/>), and where its due entries are now.
/// </summary>
public sealed record Changed<T>(T Result, CustomerAccount Account, SaveStatus Status, IReadOnlyDictionary<string, DueEntry>? Due, RecordTaken? Taken = null);

/// <summary>A customer's account kept changing under a write for all its attempts: the change was not made; retry it.</summary>
public sealed class AccountContentionException(string customerId, int attempts)
    : Exception($"The account of {customerId} kept changing during {attempts} write attempts; nothing was changed by this one. Retry it.")
{
    public string CustomerId { get; } = customerId;
}
