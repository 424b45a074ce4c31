using Azure;
using Azure.Data.Tables;
using CreditFunctions.Accounts;

namespace CreditFunctions.Storage;

/// <summary>A purchase record in the customer's partition, keyed by the Stripe object that made it.</summary>
public sealed class PurchaseEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string PurchaseId { get; set; } = "";
    public string? PaymentIntentId { get; set; }
    public long Credits { get; set; }
    public string BucketIds { get; set; } = "";
    public long RefundedCredits { get; set; }
    public DateTimeOffset PurchasedAt { get; set; }
    public string EventId { get; set; } = "";

    public static PurchaseEntity From(string customerId, PurchaseRecord record) => new()
    {
        PartitionKey = customerId,
        RowKey = Keys.PurchaseRow(record.Id),
        PurchaseId = record.Id,
        PaymentIntentId = record.PaymentIntentId,
        Credits = record.Credits,
        BucketIds = string.Join(',', record.BucketIds),
        RefundedCredits = record.RefundedCredits,
        PurchasedAt = record.PurchasedAt,
        EventId = record.EventId,
    };

    public PurchaseRecord ToRecord() => new()
    {
        Id = PurchaseId,
        PaymentIntentId = PaymentIntentId,
        Credits = Credits,
        BucketIds = BucketIds.Split(',', StringSplitOptions.RemoveEmptyEntries),
        RefundedCredits = RefundedCredits,
        PurchasedAt = PurchasedAt,
        EventId = EventId,
        ConcurrencyToken = ETag.ToString(),
    };
}
