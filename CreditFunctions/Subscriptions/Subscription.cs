namespace CreditFunctions.Subscriptions;

/// <summary>A subscription and its credit balance as the store holds them.</summary>
public sealed record Subscription
{
    public required string Id { get; init; }
    public required string CustomerId { get; init; }
    public required string PriceId { get; init; }
    public string? PriceLookupKey { get; init; }

    /// <summary>Stripe's recurring interval: month or year (day and week are stored but get no in-period resets).</summary>
    public required string Interval { get; init; }
    public int IntervalCount { get; init; } = 1;
    public required string Status { get; init; }
    public required DateTimeOffset PeriodStart { get; init; }
    public required DateTimeOffset PeriodEnd { get; init; }
    public bool CancelAtPeriodEnd { get; init; }

    /// <summary>Credits per month; null when the plan is unknown (no metadata and no configured mapping).</summary>
    public int? MonthlyAllowance { get; init; }
    public long Balance { get; init; }

    /// <summary>The latest boundary whose reset has been applied: resets only ever move this forward.</summary>
    public DateTimeOffset? LastResetBoundary { get; init; }

    /// <summary>Where the subscription's due-index entry was last put, so a sync can move or remove it exactly.</summary>
    public DateTimeOffset? DueAt { get; init; }

    /// <summary>Incremented on every write; lets readers order states and detect lost updates.</summary>
    public long Version { get; init; }

    /// <summary>Creation time of the newest Stripe event applied to this record (webhook ordering).</summary>
    public DateTimeOffset? StripeEventCreated { get; init; }

    /// <summary>Opaque optimistic-concurrency token of the stored row (its ETag); null for a record not yet stored.</summary>
    public string? ConcurrencyToken { get; init; }
}
