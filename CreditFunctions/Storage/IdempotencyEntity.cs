using System.Text.Json;
using Azure.Data.Tables;
using CreditFunctions.Accounts;

namespace CreditFunctions.Storage;

/// <summary>
/// An idempotency key's record in the customer's partition, written with the change it made; the stored answer split
/// over columns like the account (a spend across hundreds of buckets answers with all of them).
/// </summary>
internal static class IdempotencyEntity
{
    private const int AnswerChunks = 8;

    public static TableEntity From(string customerId, IdempotencyRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var entity = new TableEntity(customerId, Keys.IdempotencyRow(customerId, record.Key))
        {
            ["Key"] = record.Key,
            ["Operation"] = record.Operation,
            ["Fingerprint"] = record.Fingerprint,
            ["CreatedAt"] = record.CreatedAt,
        };
        if (!JsonColumns.TryWriteText(entity, "Answer", JsonSerializer.Serialize(record.Answer, record.Answer.GetType(), CreditJson.Options), AnswerChunks))
        {
            throw new InvalidOperationException($"The answer to idempotency key '{record.Key}' of {customerId} is too large to store.");
        }

        return entity;
    }

    public static IdempotencyRecord ToRecord(TableEntity entity)
    {
        using var answer = JsonDocument.Parse(JsonColumns.ReadText(entity, "Answer") ?? "null");
        return new(
            entity.GetString("Key") ?? "",
            entity.GetString("Operation") ?? "",
            entity.GetString("Fingerprint") ?? "",
            answer.RootElement.Clone(),
            entity.GetDateTimeOffset("CreatedAt") ?? default);
    }
}
