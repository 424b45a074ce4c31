using Azure;
using Azure.Data.Tables;

namespace CreditFunctions.Storage;

/// <summary>A due-index row: partition = UTC day, row = subscription id; the customer says which account to read.</summary>
public sealed class DueEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public DateTimeOffset DueAt { get; set; }
    public string CustomerId { get; set; } = "";
}
