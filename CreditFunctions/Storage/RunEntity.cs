using Azure;
using Azure.Data.Tables;

namespace CreditFunctions.Storage;

/// <summary>A run summary record: partition = UTC month of the run, rows newest first.</summary>
public sealed class RunEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string RunId { get; set; } = "";
    public string Trigger { get; set; } = "";
    public DateTimeOffset AsOf { get; set; }
    public bool DryRun { get; set; }
    public string? SubscriptionId { get; set; }
    public string? CustomerId { get; set; }
    public int Examined { get; set; }
    public int Reset { get; set; }
    public int Skipped { get; set; }
    public int Failed { get; set; }
    public bool Remaining { get; set; }
    public long DurationMs { get; set; }

    /// <summary>The whole summary as JSON, lists cut to stay under a property's 64 KiB.</summary>
    public string SummaryJson { get; set; } = "";
}
