using CreditFunctions.Accounts;

namespace CreditFunctions.Credits;

/// <summary>A spend as the API takes it, validated.</summary>
public sealed record SpendRequest(long Amount, string IdempotencyKey, string? Reason, IReadOnlyDictionary<string, string>? Metadata);

/// <summary>A grant (positive) or an adjustment (negative) as the API takes it, validated.</summary>
public sealed record GrantRequest(long Amount, string IdempotencyKey, DateTimeOffset? ExpiresAt, string Reason);

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

/// <summary>What a spend, grant or adjustment did: the amount per bucket, the total after, and its ledger entry.</summary>
public sealed record CreditsReceipt(
    string CustomerId, string IdempotencyKey, string Kind, long Amount, IReadOnlyList<LedgerPart> Parts, long Available, long LedgerSequence, DateTimeOffset At);

/// <summary>One page of a customer's ledger, newest first; <see cref="Next"/> is where the next page starts (null at the end).</summary>
public sealed record LedgerPage(string CustomerId, IReadOnlyList<LedgerEntry> Entries, long? Next);

/// <summary>
/// The answer of a credits call: a value, or a refusal with its problem type (RFC 9457) and status. The same answer is
/// stored with an idempotency key and given again for a retry.
/// </summary>
public sealed record CreditsAnswer<T>(T? Value, int Status, CreditsProblem? Problem = null)
    where T : class;

/// <summary>A refusal: a stable <see cref="Type"/> slug clients can switch on, what happened, and what is available.</summary>
public sealed record CreditsProblem(string Type, string Title, string Detail, long? Available = null, long? Requested = null);

/// <summary>The credits API's problem types.</summary>
public static class CreditsProblemType
{
    public const string InsufficientCredits = "insufficient-credits";
    public const string IdempotencyKeyReused = "idempotency-key-reused";
    public const string CustomerNotFound = "customer-not-found";
    public const string TooManyGrants = "too-many-grants";
}
