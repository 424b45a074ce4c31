using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CreditFunctions.Accounts;

namespace CreditFunctions.Storage;

/// <summary>
/// A ledger entry in the customer's partition, newest first: plain columns, and its parts as JSON split over numbered
/// columns (an expiry or a spend may touch hundreds of buckets).
/// </summary>
public sealed class LedgerEntity : ITableEntity
{
    private const int PartChunks = 8;

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public long Sequence { get; set; }
    public DateTimeOffset At { get; set; }
    public string Kind { get; set; } = "";
    public long Amount { get; set; }
    public long BalanceAfter { get; set; }
    public string? SubscriptionId { get; set; }
    public DateTimeOffset? Boundary { get; set; }
    public string? RunId { get; set; }
    public string? IdempotencyKey { get; set; }
    public string? Reason { get; set; }
    public string? MetadataJson { get; set; }
    public string? HoldId { get; set; }
    public long? Overage { get; set; }
    public string? MeterEventIdentifier { get; set; }

    public static TableEntity ToTableEntity(string customerId, LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var typed = From(customerId, entry);
        var entity = new TableEntity(customerId, typed.RowKey)
        {
            [nameof(Sequence)] = typed.Sequence,
            [nameof(At)] = typed.At,
            [nameof(Kind)] = typed.Kind,
            [nameof(Amount)] = typed.Amount,
            [nameof(BalanceAfter)] = typed.BalanceAfter,
            [nameof(SubscriptionId)] = typed.SubscriptionId,
            [nameof(Boundary)] = typed.Boundary,
            [nameof(RunId)] = typed.RunId,
            [nameof(IdempotencyKey)] = typed.IdempotencyKey,
            [nameof(Reason)] = typed.Reason,
            [nameof(MetadataJson)] = typed.MetadataJson,
            [nameof(HoldId)] = typed.HoldId,
            [nameof(Overage)] = typed.Overage,
            [nameof(MeterEventIdentifier)] = typed.MeterEventIdentifier,
        };
        if (!JsonColumns.TryWrite(entity, "Parts", entry.Parts, PartChunks))
        {
            throw new InvalidOperationException($"Ledger entry {entry.Sequence} of {customerId} touches too many buckets to store.");
        }

        return entity;
    }

    public static LedgerEntry FromTableEntity(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var metadata = entity.GetString(nameof(MetadataJson));
        return new LedgerEntry
        {
            Sequence = entity.GetInt64(nameof(Sequence)) ?? 0,
            At = entity.GetDateTimeOffset(nameof(At)) ?? default,
            Kind = entity.GetString(nameof(Kind)) ?? "",
            Parts = JsonColumns.Read<List<LedgerPart>>(entity, "Parts") ?? [],
            BalanceAfter = entity.GetInt64(nameof(BalanceAfter)) ?? 0,
            SubscriptionId = entity.GetString(nameof(SubscriptionId)),
            Boundary = entity.GetDateTimeOffset(nameof(Boundary)),
            RunId = entity.GetString(nameof(RunId)),
            IdempotencyKey = entity.GetString(nameof(IdempotencyKey)),
            Reason = entity.GetString(nameof(Reason)),
            Metadata = metadata is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(metadata, CreditJson.Options),
            HoldId = entity.GetString(nameof(HoldId)),
            Overage = entity.GetInt64(nameof(Overage)),
            MeterEventIdentifier = entity.GetString(nameof(MeterEventIdentifier)),
        };
    }

    private static LedgerEntity From(string customerId, LedgerEntry entry) => new()
    {
        PartitionKey = customerId,
        RowKey = Keys.LedgerRow(customerId, entry.Sequence),
        Sequence = entry.Sequence,
        At = entry.At,
        Kind = entry.Kind,
        Amount = entry.Amount,
        BalanceAfter = entry.BalanceAfter,
        SubscriptionId = entry.SubscriptionId,
        Boundary = entry.Boundary,
        RunId = entry.RunId,
        IdempotencyKey = entry.IdempotencyKey,
        Reason = entry.Reason,
        MetadataJson = entry.Metadata is null ? null : JsonSerializer.Serialize(entry.Metadata, CreditJson.Options),
        HoldId = entry.HoldId,
        Overage = entry.Overage,
        MeterEventIdentifier = entry.MeterEventIdentifier,
    };
}
