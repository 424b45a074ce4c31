using Azure;
using Azure.Data.Tables;
using CreditFunctions.Accounts;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Storage;

/// <summary>
/// The account row: the subscriptions and granted buckets as JSON split over numbered columns (<see cref="JsonColumns"/>),
/// beside plain columns for what an operator looks for in a table browser. Room for about 250 subscriptions and well
/// over the 1,000 open grants the API allows, within the 1 MiB an entity may hold.
/// </summary>
internal static class AccountRow
{
    private const int SubscriptionChunks = 3;
    private const int GrantChunks = 12;

    public static TableEntity ToEntity(CustomerAccount account)
    {
        var entity = new TableEntity(account.CustomerId, Keys.AccountRow(account.CustomerId))
        {
            ["LedgerSequence"] = account.LedgerSequence,
            ["Version"] = account.Version,
            ["SubscriptionCount"] = account.Subscriptions.Count,
            ["GrantCount"] = account.Grants.Count,
        };
        if (!JsonColumns.TryWrite(entity, "Subscriptions", account.Subscriptions, SubscriptionChunks))
        {
            throw new AccountTooLargeException(account.CustomerId, "subscriptions");
        }

        if (!JsonColumns.TryWrite(entity, "Grants", account.Grants, GrantChunks))
        {
            throw new AccountTooLargeException(account.CustomerId, "granted buckets");
        }

        if (account.ConcurrencyToken is { } token)
        {
            entity.ETag = new ETag(token);
        }

        return entity;
    }

    public static CustomerAccount FromEntity(TableEntity entity) => new()
    {
        CustomerId = entity.PartitionKey,
        Subscriptions = JsonColumns.Read<List<Subscription>>(entity, "Subscriptions") ?? [],
        Grants = JsonColumns.Read<List<GrantedBucket>>(entity, "Grants") ?? [],
        LedgerSequence = entity.GetInt64("LedgerSequence") ?? 0,
        Version = entity.GetInt64("Version") ?? 0,
        ConcurrencyToken = entity.ETag.ToString(),
    };
}

/// <summary>An account grew past what one row holds (hundreds of subscriptions, or thousands of open grants).</summary>
public sealed class AccountTooLargeException(string customerId, string field)
    : InvalidOperationException($"The account of {customerId} is too large to store ({field}); spend or let granted buckets expire before adding more.")
{
    public string CustomerId { get; } = customerId;
}
