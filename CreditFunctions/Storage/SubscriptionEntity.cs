using Azure;
using Azure.Data.Tables;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Storage;

/// <summary>
/// The subscription row: partition = subscription id, so its reset records can share a transaction with it. Stripe's
/// view is stored as plain columns (readable in any table browser); the app's own fields sit beside them.
/// </summary>
public sealed class SubscriptionEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string CustomerId { get; set; } = "";
    public string PriceId { get; set; } = "";
    public string? ItemId { get; set; }
    public string Interval { get; set; } = "";
    public string Status { get; set; } = "";
    public DateTimeOffset PeriodStart { get; set; }
    public DateTimeOffset PeriodEnd { get; set; }
    public bool CancelAtPeriodEnd { get; set; }
    public int? MonthlyAllowance { get; set; }
    public DateTimeOffset? StripeEventCreated { get; set; }

    public long Balance { get; set; }
    public DateTimeOffset? LastResetBoundary { get; set; }
    public DateTimeOffset? PaidPeriodStart { get; set; }
    public DateTimeOffset? DueAt { get; set; }
    public long Version { get; set; }

    public Subscription ToSubscription() => new()
    {
        Stripe = new StripeView
        {
            Id = PartitionKey,
            CustomerId = CustomerId,
            PriceId = PriceId,
            ItemId = ItemId,
            Interval = Interval,
            Status = Status,
            PeriodStart = PeriodStart,
            PeriodEnd = PeriodEnd,
            CancelAtPeriodEnd = CancelAtPeriodEnd,
            MonthlyAllowance = MonthlyAllowance,
            AsOf = StripeEventCreated,
        },
        Balance = Balance,
        LastResetBoundary = LastResetBoundary,
        PaidPeriodStart = PaidPeriodStart,
        DueAt = DueAt,
        Version = Version,
        ConcurrencyToken = ETag.ToString(),
    };

    public static SubscriptionEntity From(Subscription subscription)
    {
        var stripe = subscription.Stripe;
        return new()
        {
            PartitionKey = stripe.Id,
            RowKey = Keys.SubscriptionRow(stripe.Id),
            CustomerId = stripe.CustomerId,
            PriceId = stripe.PriceId,
            ItemId = stripe.ItemId,
            Interval = stripe.Interval,
            Status = stripe.Status,
            PeriodStart = stripe.PeriodStart,
            PeriodEnd = stripe.PeriodEnd,
            CancelAtPeriodEnd = stripe.CancelAtPeriodEnd,
            MonthlyAllowance = stripe.MonthlyAllowance,
            StripeEventCreated = stripe.AsOf,
            Balance = subscription.Balance,
            LastResetBoundary = subscription.LastResetBoundary,
            PaidPeriodStart = subscription.PaidPeriodStart,
            DueAt = subscription.DueAt,
            Version = subscription.Version,
            ETag = subscription.ConcurrencyToken is { } token ? new ETag(token) : default,
        };
    }
}
