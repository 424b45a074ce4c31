using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CreditFunctions.Accounts;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Storage;

/// <summary>
/// The account row: the subscriptions and granted buckets as JSON, each split over numbered columns because Azure caps
/// a string property at 64 KiB (32K characters); plain columns for what an operator looks for in a table browser.
/// </summary>
internal static class AccountRow
{
    private const int ChunkChars = 30_000;

    /// <summary>Columns per JSON field: with two fields, about 720 KB of the 1 MiB an entity may hold.</summary>
    private const int MaxChunks = 6;

    public static TableEntity ToEntity(CustomerAccount account)
    {
        var entity = new TableEntity(account.CustomerId, Keys.AccountRow)
        {
            ["LedgerSequence"] = account.LedgerSequence,
            ["Version"] = account.Version,
            ["SubscriptionCount"] = account.Subscriptions.Count,
            ["GrantCount"] = account.Grants.Count,
        };
        Write(entity, "Subscriptions", JsonSerializer.Serialize(account.Subscriptions, CreditJson.Options), account.CustomerId);
        Write(entity, "Grants", JsonSerializer.Serialize(account.Grants, CreditJson.Options), account.CustomerId);
        if (account.ConcurrencyToken is { } token)
        {
            entity.ETag = new ETag(token);
        }

        return entity;
    }

    public static CustomerAccount FromEntity(TableEntity entity) => new()
    {
        CustomerId = entity.PartitionKey,
        Subscriptions = JsonSerializer.Deserialize<List<Subscription>>(Read(entity, "Subscriptions"), CreditJson.Options) ?? [],
        Grants = JsonSerializer.Deserialize<List<GrantedBucket>>(Read(entity, "Grants"), CreditJson.Options) ?? [],
        LedgerSequence = entity.GetInt64("LedgerSequence") ?? 0,
        Version = entity.GetInt64("Version") ?? 0,
        ConcurrencyToken = entity.ETag.ToString(),
    };

    private static void Write(TableEntity entity, string field, string json, string customerId)
    {
        var chunks = (json.Length + ChunkChars - 1) / ChunkChars;
        if (chunks > MaxChunks)
        {
            throw new AccountTooLargeException(customerId, field);
        }

        for (var i = 0; i < chunks; i++)
        {
            entity[field + i] = json.Substring(i * ChunkChars, Math.Min(ChunkChars, json.Length - (i * ChunkChars)));
        }

        // A replace drops columns the new version does not have, so a shrinking field leaves no old chunk behind.
        entity[field + "Chunks"] = chunks;
    }

    private static string Read(TableEntity entity, string field)
    {
        var chunks = entity.GetInt32(field + "Chunks") ?? 0;
        var json = new StringBuilder();
        for (var i = 0; i < chunks; i++)
        {
            json.Append(entity.GetString(field + i));
        }

        return chunks == 0 ? "[]" : json.ToString();
    }
}

/// <summary>An account grew past what one row holds (hundreds of subscriptions, or thousands of open grants).</summary>
public sealed class AccountTooLargeException(string customerId, string field)
    : InvalidOperationException($"The account of {customerId} is too large to store ({field}); spend or let granted buckets expire before adding more.")
{
    public string CustomerId { get; } = customerId;
}
