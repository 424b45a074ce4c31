using Azure.Data.Tables;
using CreditFunctions.Accounts;

namespace CreditFunctions.Storage;

/// <summary>
/// An idempotency key's record in the customer's partition, written with the change it made; the stored answer split
/// over columns like the account (a spend across hundreds of buckets answers with all of them).
/// </summary>
internal static class IdempotencyEntity
{
    private const int ResponseChunks = 8;

    public static TableEntity From(string customerId, IdempotencyRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var entity = new TableEntity(customerId, Keys.IdempotencyRow(customerId, record.Key))
        {
            ["Key"] = record.Key,
            ["Operation"] = record.Operation,
            ["Fingerprint"] = record.Fingerprint,
            ["Status"] = record.Status,
            ["CreatedAt"] = record.CreatedAt,
        };
        if (!JsonColumns.TryWriteText(entity, "Response", record.Response, ResponseChunks))
        {
            throw new InvalidOperationException($"The answer to idempotency key '{record.Key}' of {customerId} is too large to store.");
        }

        return entity;
    }

    public static IdempotencyRecord ToRecord(TableEntity entity) => new(
        entity.GetString("Key") ?? "",
        entity.GetString("Operation") ?? "",
        entity.GetString("Fingerprint") ?? "",
        entity.GetInt32("Status") ?? 0,
        JsonColumns.ReadText(entity, "Response") ?? "",
        entity.GetDateTimeOffset("CreatedAt") ?? default);
}
