using CreditFunctions.Accounts;

namespace CreditFunctions.Credits;

/// <summary>A customer's credits as of an instant: the total available and every bucket, in spend order; what open holds reserve.</summary>
public sealed record CreditsView(string CustomerId, DateTimeOffset AsOf, long Available, IReadOnlyList<BucketAnswer> Buckets)
{
    /// <summary>Credits reserved by open holds: out of the buckets, so not in <see cref="Available"/>.</summary>
    public long Held { get; init; }

    public IReadOnlyList<HoldView> Holds { get; init; } = [];
}

/// <summary>An open hold as answered: what it reserves from which bucket, and until when.</summary>
public sealed record HoldView(string HoldId, long Amount, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string? Reason, IReadOnlyList<HeldPartView> Parts)
{
    public static HoldView From(Hold hold)
    {
        ArgumentNullException.ThrowIfNull(hold);
        return new(hold.Id, hold.Amount, hold.CreatedAt, hold.ExpiresAt, hold.Reason, [.. hold.Parts.Select(p => new HeldPartView(p.BucketId, p.Amount))]);
    }
}

/// <summary>Credits a hold reserves from one bucket.</summary>
public sealed record HeldPartView(string BucketId, long Amount);

/// <summary>
/// What a hold, capture or release answers: the hold (its id, status, and the amounts held, captured and given back),
/// what moved from which bucket, the credits available after, and the ledger entry.
/// </summary>
public sealed record HoldAnswer(
    string CustomerId, string HoldId, string Status, long Amount, long Captured, long Returned, DateTimeOffset ExpiresAt,
    IReadOnlyList<LedgerPart> Parts, long Available, long LedgerSequence, DateTimeOffset At, string IdempotencyKey)
{
    public static HoldAnswer From(CreditsReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        var hold = receipt.Hold ?? throw new ArgumentException("Not a hold's receipt.", nameof(receipt));
        return new(receipt.CustomerId, hold.HoldId, hold.Status, hold.Held, hold.Captured, hold.Returned, hold.ExpiresAt,
            receipt.Parts, receipt.Available, receipt.LedgerSequence, receipt.At, receipt.IdempotencyKey);
    }
}

/// <summary>
/// One bucket as answered: for a plan bucket its subscription, allowance and next reset; for a granted bucket what was
/// granted, when it expires, and why.
/// </summary>
public sealed record BucketAnswer(
    string Id, string Kind, long Remaining, string? SubscriptionId, int? Allowance, DateTimeOffset? NextResetAt, long? Granted, DateTimeOffset? ExpiresAt, string? Reason)
{
    public static BucketAnswer From(BucketView bucket)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        return bucket.Kind == BucketKind.Plan
            ? new(bucket.Id, bucket.Kind, bucket.Remaining, bucket.SubscriptionId, bucket.Allowance, bucket.ExpiresAt, null, null, null)
            : new(bucket.Id, bucket.Kind, bucket.Remaining, null, null, null, bucket.Grant?.Granted, bucket.ExpiresAt, bucket.Grant?.Reason);
    }
}

/// <summary>One page of a customer's ledger, newest first; <see cref="Next"/> is where the next page starts (null at the end).</summary>
public sealed record LedgerPage(string CustomerId, IReadOnlyList<LedgerEntry> Entries, long? Next);

/// <summary>A customer's low-credits threshold: its own settings, the defaults, the threshold in credits, and its level.</summary>
public sealed record AlertsView(
    string CustomerId, long? LowBelow, int? LowBelowPercent, AlertSettings Defaults, long Threshold, long Available, string? Level, bool EventsEnabled)
{
    public static AlertsView Of(CustomerAccount account, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(account);
        var own = account.State.Alerts;
        return new(account.CustomerId, own?.LowBelow, own?.LowBelowPercent, account.Events.Defaults, account.LowThreshold, account.Available(now),
            account.State.AlertLevel, account.Events.Enabled);
    }
}
