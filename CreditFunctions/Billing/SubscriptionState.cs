namespace CreditFunctions.Billing;

/// <summary>What Stripe says about a subscription: the fields we sync, without our balance and reset history.</summary>
public sealed record SubscriptionState
{
    public required string Id { get; init; }
    public required string CustomerId { get; init; }
    public required string PriceId { get; init; }
    public string? PriceLookupKey { get; init; }
    public required string Interval { get; init; }
    public int IntervalCount { get; init; } = 1;
    public required string Status { get; init; }
    public required DateTimeOffset PeriodStart { get; init; }
    public required DateTimeOffset PeriodEnd { get; init; }
    public bool CancelAtPeriodEnd { get; init; }
    public int? MonthlyAllowance { get; init; }
}
