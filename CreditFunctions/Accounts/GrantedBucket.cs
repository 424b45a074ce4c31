namespace CreditFunctions.Accounts;

/// <summary>
/// Credits granted apart from any plan (a top-up, a promotion, a support adjustment, a bought pack): never touched by a
/// reset, spent in the order of their expiry, gone at their expiry with what is left of them.
/// </summary>
public sealed record GrantedBucket
{
    public required string Id { get; init; }

    /// <summary>What kind of grant: <see cref="BucketKind"/>.</summary>
    public required string Kind { get; init; }

    public required long Granted { get; init; }
    public required long Remaining { get; init; }
    public required DateTimeOffset GrantedAt { get; init; }

    /// <summary>When what is left of it expires; null for never.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    public string? Reason { get; init; }

    /// <summary>Where it came from: the idempotency key of the grant, or the Stripe object of a purchase.</summary>
    public string? Source { get; init; }

    /// <summary>For a rollover bucket, the subscription whose unused credits it holds.</summary>
    public string? SubscriptionId { get; init; }

    /// <summary>Whether <c>credits.grant_expiring</c> was told for it (once per bucket).</summary>
    public bool ExpiringTold { get; init; }

    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } at && at <= now;
}

/// <summary>The kinds of bucket a customer's credits sit in.</summary>
public static class BucketKind
{
    /// <summary>A subscription's monthly allowance, set at each boundary.</summary>
    public const string Plan = "plan";

    /// <summary>Credits granted through the API: top-ups, promotions, support adjustments.</summary>
    public const string Grant = "grant";

    /// <summary>A subscription's unused credits carried over a boundary (up to its plan's cap), until the next one.</summary>
    public const string Rollover = "rollover";

    /// <summary>A credit pack bought through Stripe (Checkout or a one-off invoice).</summary>
    public const string Pack = "pack";
}
