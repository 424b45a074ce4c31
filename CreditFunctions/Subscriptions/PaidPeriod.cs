namespace CreditFunctions.Subscriptions;

/// <summary>A billing period whose payment was seen (an invoice's line for the plan), and the price it was paid at when known.</summary>
public sealed record PaidPeriod(DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, string? PriceId);
