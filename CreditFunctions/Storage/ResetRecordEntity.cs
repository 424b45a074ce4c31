using System.Globalization;
using Azure;
using Azure.Data.Tables;
using CreditFunctions.Resets;

namespace CreditFunctions.Storage;

/// <summary>The audit record of an applied reset, keyed by (subscription, boundary) in the customer's partition.</summary>
public sealed class ResetRecordEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string SubscriptionId { get; set; } = "";
    public DateTimeOffset Boundary { get; set; }
    public long BalanceBefore { get; set; }
    public long BalanceAfter { get; set; }
    public string Trigger { get; set; } = "";
    public string RunId { get; set; } = "";
    public DateTimeOffset AppliedAt { get; set; }

    /// <summary>Boundaries catch-up passed over, ISO 8601, comma-separated (at most 11 in a yearly period).</summary>
    public string? SkippedBoundaries { get; set; }

    public bool RecordOnly { get; set; }

    public static ResetRecordEntity From(string customerId, AppliedReset reset) => new()
    {
        PartitionKey = customerId,
        RowKey = Keys.ResetRow(reset.SubscriptionId, reset.Boundary),
        SubscriptionId = reset.SubscriptionId,
        Boundary = reset.Boundary,
        BalanceBefore = reset.BalanceBefore,
        BalanceAfter = reset.BalanceAfter,
        Trigger = reset.Trigger.ToString(),
        RunId = reset.RunId,
        AppliedAt = reset.AppliedAt,
        RecordOnly = reset.RecordOnly,
        SkippedBoundaries = reset.SkippedBoundaries.Count == 0
            ? null
            : string.Join(',', reset.SkippedBoundaries.Select(b => b.UtcDateTime.ToString("O", CultureInfo.InvariantCulture))),
    };

    public AppliedReset ToAppliedReset() => new()
    {
        SubscriptionId = SubscriptionId,
        Boundary = Boundary,
        BalanceBefore = BalanceBefore,
        BalanceAfter = BalanceAfter,
        Trigger = Enum.Parse<ResetTrigger>(Trigger),
        RunId = RunId,
        AppliedAt = AppliedAt,
        RecordOnly = RecordOnly,
        SkippedBoundaries = string.IsNullOrEmpty(SkippedBoundaries)
            ? []
            : [.. SkippedBoundaries.Split(',').Select(s => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal))],
    };
}
