using Azure;
using Azure.Data.Tables;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Storage;

/// <summary>The subscription row: partition = subscription id, so its reset records can share a transaction with it.</summary>
public sealed class SubscriptionEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string CustomerId { get; set; } = "";
    public string PriceId { get; set; } = "";
    public string? PriceLookupKey { get; set; }
    public string Interval { get; set; } = "";
    public int IntervalCount { get; set; } = 1;
    public string Status { get; set; } = "";
    public DateTimeOffset PeriodStart { get; set; }
    public DateTimeOffset PeriodEnd { get; set; }
    public bool CancelAtPeriodEnd { get; set; }
    public int? MonthlyAllowance { get; set; }
    public long Balance { get; set; }
    public DateTimeOffset? LastResetBoundary { get; set; }
    public DateTimeOffset? DueAt { get; set; }
    public long Version { get; set; }
    public DateTimeOffset? StripeEventCreated { get; set; }

    public Subscription ToSubscription() => new()
    {
        Id = PartitionKey,
        CustomerId = CustomerId,
        PriceId = PriceId,
        PriceLookupKey = PriceLookupKey,
        Interval = Interval,
        IntervalCount = IntervalCount,
        Status = Status,
        PeriodStart = PeriodStart,
        PeriodEnd = PeriodEnd,
        CancelAtPeriodEnd = CancelAtPeriodEnd,
        MonthlyAllowance = MonthlyAllowance,
        Balance = Balance,
        LastResetBoundary = LastResetBoundary,
        DueAt = DueAt,
        Version = Version,
        StripeEventCreated = StripeEventCreated,
        ConcurrencyToken = ETag.ToString(),
    };

    public static SubscriptionEntity From(Subscription subscription) => new()
    {
        PartitionKey = subscription.Id,
        RowKey = Keys.SubscriptionRow(subscription.Id),
        CustomerId = subscription.CustomerId,
        PriceId = subscription.PriceId,
        PriceLookupKey = subscription.PriceLookupKey,
        Interval = subscription.Interval,
        IntervalCount = subscription.IntervalCount,
        Status = subscription.Status,
        PeriodStart = subscription.PeriodStart,
        PeriodEnd = subscription.PeriodEnd,
        CancelAtPeriodEnd = subscription.CancelAtPeriodEnd,
        MonthlyAllowance = subscription.MonthlyAllowance,
        Balance = subscription.Balance,
        LastResetBoundary = subscription.LastResetBoundary,
        DueAt = subscription.DueAt,
        Version = subscription.Version,
        StripeEventCreated = subscription.StripeEventCreated,
        ETag = subscription.ConcurrencyToken is { } token ? new ETag(token) : default,
    };
}
