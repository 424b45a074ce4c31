using CreditFunctions.Accounts;

namespace CreditFunctions.Credits;

/// <summary>A customer's credits as of an instant: the total available and every bucket, in spend order.</summary>
public sealed record CreditsView(string CustomerId, DateTimeOffset AsOf, long Available, IReadOnlyList<BucketAnswer> Buckets);

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
