using Azure;
using Azure.Data.Tables;
using CreditFunctions.Accounts;

namespace CreditFunctions.Storage;

/// <summary>An idempotency key's record in the customer's partition, written with the change it made.</summary>
public sealed class IdempotencyEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string Key { get; set; } = "";
    public string Operation { get; set; } = "";
    public string Fingerprint { get; set; } = "";
    public int Status { get; set; }
    public string Response { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }

    public static IdempotencyEntity From(string customerId, IdempotencyRecord record) => new()
    {
        PartitionKey = customerId,
        RowKey = Keys.IdempotencyRow(record.Key),
        Key = record.Key,
        Operation = record.Operation,
        Fingerprint = record.Fingerprint,
        Status = record.Status,
        Response = record.Response,
        CreatedAt = record.CreatedAt,
    };

    public IdempotencyRecord ToRecord() => new(Key, Operation, Fingerprint, Status, Response, CreatedAt);
}
