using CreditFunctions.Subscriptions;

namespace CreditFunctions.Accounts;

/// <summary>
/// Everything about one Stripe customer's credits, as one stored row: its subscriptions (each with its plan bucket),
/// its granted buckets and the number of its last ledger entry. Every change to it is one conditional write of this
/// row together with the records of the change (reset records, ledger entries, an idempotency record), so the balance,
/// the ledger and the exactly-once keys never disagree.
/// </summary>
public sealed record CustomerAccount
{
    public required string CustomerId { get; init; }

    public IReadOnlyList<Subscription> Subscriptions { get; init; } = [];

    public IReadOnlyList<GrantedBucket> Grants { get; init; } = [];

    /// <summary>The number of the customer's last ledger entry; entries are numbered from 1 without gaps.</summary>
    public long LedgerSequence { get; init; }

    /// <summary>Incremented on every write.</summary>
    public long Version { get; init; }

    /// <summary>Opaque optimistic-concurrency token of the stored row (its ETag); null for an account not yet stored.</summary>
    public string? ConcurrencyToken { get; init; }

    public static CustomerAccount New(string customerId) => new() { CustomerId = customerId };

    public Subscription? Find(string subscriptionId) => Subscriptions.FirstOrDefault(s => s.Id == subscriptionId);

    /// <summary>This account with <paramref name="subscription"/> added, or replacing the one with its id.</summary>
    public CustomerAccount With(Subscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var others = Subscriptions.Where(s => s.Id != subscription.Id);
        return this with { Subscriptions = [.. others.Append(subscription).OrderBy(s => s.Id, StringComparer.Ordinal)] };
    }

    /// <summary>Whether <paramref name="other"/> holds the same content (its version and token aside).</summary>
    public bool SameContent(CustomerAccount? other) =>
        other is not null
        && other.CustomerId == CustomerId
        && other.LedgerSequence == LedgerSequence
        && other.Subscriptions.SequenceEqual(Subscriptions)
        && other.Grants.SequenceEqual(Grants);
}
