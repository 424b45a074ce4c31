using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CreditFunctions.Accounts;

namespace CreditFunctions.Storage;

/// <summary>A ledger entry in the customer's partition, newest first; its parts as JSON beside plain columns.</summary>
public sealed class LedgerEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public long Sequence { get; set; }
    public DateTimeOffset At { get; set; }
    public string Kind { get; set; } = "";
    public long Amount { get; set; }
    public long BalanceAfter { get; set; }
    public string PartsJson { get; set; } = "[]";
    public string? SubscriptionId { get; set; }
    public DateTimeOffset? Boundary { get; set; }
    public string? RunId { get; set; }
    public string? IdempotencyKey { get; set; }
    public string? Reason { get; set; }
    public string? MetadataJson { get; set; }

    public static LedgerEntity From(string customerId, LedgerEntry entry) => new()
    {
        PartitionKey = customerId,
        RowKey = Keys.LedgerRow(entry.Sequence),
        Sequence = entry.Sequence,
        At = entry.At,
        Kind = entry.Kind,
        Amount = entry.Amount,
        BalanceAfter = entry.BalanceAfter,
        PartsJson = JsonSerializer.Serialize(entry.Parts, CreditJson.Options),
        SubscriptionId = entry.SubscriptionId,
        Boundary = entry.Boundary,
        RunId = entry.RunId,
        IdempotencyKey = entry.IdempotencyKey,
        Reason = entry.Reason,
        MetadataJson = entry.Metadata is null ? null : JsonSerializer.Serialize(entry.Metadata, CreditJson.Options),
    };

    public LedgerEntry ToEntry() => new()
    {
        Sequence = Sequence,
        At = At,
        Kind = Kind,
        Parts = JsonSerializer.Deserialize<List<LedgerPart>>(PartsJson, CreditJson.Options) ?? [],
        BalanceAfter = BalanceAfter,
        SubscriptionId = SubscriptionId,
        Boundary = Boundary,
        RunId = RunId,
        IdempotencyKey = IdempotencyKey,
        Reason = Reason,
        Metadata = MetadataJson is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(MetadataJson, CreditJson.Options),
    };
}
