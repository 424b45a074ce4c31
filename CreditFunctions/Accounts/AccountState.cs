using CreditFunctions.Subscriptions;

namespace CreditFunctions.Accounts;

/// <summary>
/// What a customer's account holds, as one value: its subscriptions (each with its plan bucket), its granted buckets and
/// the number of its last ledger entry. The <see cref="CustomerAccount"/> aggregate changes it; the store keeps it as one row.
/// </summary>
public sealed record AccountState
{
    public required string CustomerId { get; init; }

    public IReadOnlyList<Subscription> Subscriptions { get; init; } = [];

    public IReadOnlyList<GrantedBucket> Grants { get; init; } = [];

    /// <summary>The number of the customer's last ledger entry; entries are numbered from 1 without gaps.</summary>
    public long LedgerSequence { get; init; }

    /// <summary>The number of the customer's last event to the SaaS; events are numbered from 1 without gaps.</summary>
    public long EventSequence { get; init; }

    /// <summary>The customer's own low-credits threshold, over the settings' default; null: the default.</summary>
    public AlertSettings? Alerts { get; init; }

    /// <summary>The balance level last told to the SaaS (<see cref="AlertLevel"/>); null before the first.</summary>
    public string? AlertLevel { get; init; }

    /// <summary>Refunds Stripe told of before the purchase they refund was granted: applied when it is.</summary>
    public IReadOnlyList<PendingRefund> PendingRefunds { get; init; } = [];

    /// <summary>Open holds: credits reserved out of their buckets until captured, released or expired.</summary>
    public IReadOnlyList<Hold> Holds { get; init; } = [];

    /// <summary>The number of the customer's last hold; holds are numbered from 1, so a lower number names a closed one.</summary>
    public long HoldSequence { get; init; }

    /// <summary>The customer's auto top-up (settings, the one in flight, the last); null when never set.</summary>
    public TopUpState? TopUps { get; init; }

    /// <summary>Overage recorded and not yet reported to Stripe, oldest first.</summary>
    public IReadOnlyList<PendingUsage> PendingUsage { get; init; } = [];

    public static AccountState Empty(string customerId) => new() { CustomerId = customerId };

    /// <summary>Nothing held: no subscription, no granted bucket, no open hold.</summary>
    public bool IsEmpty => Subscriptions.Count == 0 && Grants.Count == 0 && Holds.Count == 0;

    /// <summary>Credits reserved by open holds.</summary>
    public long Held => Holds.Sum(h => h.Amount);

    public Subscription? Find(string subscriptionId) => Subscriptions.FirstOrDefault(s => s.Id == subscriptionId);

    /// <summary>This state with <paramref name="subscription"/> added, or replacing the one with its id.</summary>
    public AccountState With(Subscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var others = Subscriptions.Where(s => s.Id != subscription.Id);
        return this with { Subscriptions = [.. others.Append(subscription).OrderBy(s => s.Id, StringComparer.Ordinal)] };
    }

    /// <summary>This state with the granted bucket <paramref name="id"/> changed by <paramref name="change"/>.</summary>
    public AccountState WithGrant(string id, Func<GrantedBucket, GrantedBucket> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return this with { Grants = [.. Grants.Select(g => g.Id == id ? change(g) : g)] };
    }

    /// <summary>Whether <paramref name="other"/> holds the same content (lists compared item by item).</summary>
    public bool SameContent(AccountState? other) =>
        other is not null
        && other.CustomerId == CustomerId
        && other.LedgerSequence == LedgerSequence
        && other.EventSequence == EventSequence
        && other.Alerts == Alerts
        && other.AlertLevel == AlertLevel
        && other.Subscriptions.SequenceEqual(Subscriptions)
        && other.Grants.SequenceEqual(Grants)
        && other.PendingRefunds.SequenceEqual(PendingRefunds)
        && other.HoldSequence == HoldSequence
        && other.TopUps == TopUps
        && other.PendingUsage.SequenceEqual(PendingUsage)
        && other.Holds.Count == Holds.Count
        && other.Holds.Zip(Holds).All(p => p.First.Id == p.Second.Id && p.First.Amount == p.Second.Amount && p.First.ExpiresAt == p.Second.ExpiresAt);
}
