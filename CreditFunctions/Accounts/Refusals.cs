namespace CreditFunctions.Accounts;

/// <summary>
/// Why a verb changed nothing. A closed list: each is one stable problem type at the HTTP edge
/// (<c>Functions/CreditsProblems</c>), and none is stored under an idempotency key, so a retry can succeed later.
/// </summary>
public abstract record Refusal;

/// <summary>No subscription and no grant is stored for the customer (and the request does not create it).</summary>
public sealed record CustomerNotFound(string CustomerId) : Refusal;

/// <summary>Fewer credits are available than the request takes; nothing was taken.</summary>
public sealed record InsufficientCredits(string CustomerId, long Available, long Requested) : Refusal;

/// <summary>The customer holds the most open granted buckets one customer may (<see cref="AccountLimits.MaxOpenGrants"/>).</summary>
public sealed record TooManyGrants(string CustomerId, int Open) : Refusal;

/// <summary>No hold with this id was ever made for the customer.</summary>
public sealed record HoldNotFound(string CustomerId, string HoldId) : Refusal;

/// <summary>The hold was captured, released, or expired (and released) already.</summary>
public sealed record HoldClosed(string CustomerId, string HoldId) : Refusal;

/// <summary>The customer has the most open holds one customer may (<see cref="AccountLimits.MaxOpenHolds"/>).</summary>
public sealed record TooManyHolds(string CustomerId, int Open) : Refusal;

/// <summary>The account grew past what one stored row holds.</summary>
public sealed record AccountFull(string CustomerId, string Detail) : Refusal;

/// <summary>The customer's auto top-up is off (or the Stripe API and its queue are not configured): nothing to retry.</summary>
public sealed record AutoTopUpOff(string CustomerId, bool StripeConfigured) : Refusal;

/// <summary>The month's top-ups (<c>maxPerMonth</c>) were all started: none more until next month or the limit is raised.</summary>
public sealed record TopUpLimitReached(string CustomerId, int MaxPerMonth, string Month) : Refusal;

/// <summary>Overage reports waiting for Stripe are at their bound: an overage spend waits until they are sent.</summary>
public sealed record OverageBacklog(string CustomerId, int Pending) : Refusal;

/// <summary>The top-up's price cannot buy credits (missing, not one-time, inactive, or without credits metadata).</summary>
public sealed record InvalidTopUpPrice(string PriceId, string Problem) : Refusal;

/// <summary>The idempotency key was used before for a different request.</summary>
public sealed record IdempotencyKeyReused(string Key, string Operation, DateTimeOffset FirstUsedAt) : Refusal;

/// <summary>What a verb answered: its value, or why it changed nothing.</summary>
public sealed record Outcome<T>(T? Value, Refusal? Refusal)
    where T : class;

/// <summary>Makes <see cref="Outcome{T}"/>s.</summary>
public static class Outcome
{
    public static Outcome<T> Done<T>(T value)
        where T : class => new(value, null);

    public static Outcome<T> Refused<T>(Refusal refusal)
        where T : class => new(null, refusal);
}
