using System.Globalization;
using Azure.Data.Tables;
using CreditFunctions.Accounts;
using CreditFunctions.Scheduling;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Storage;

/// <summary>
/// The account row: the subscriptions, granted buckets and due-index entries as JSON split over numbered columns
/// (<see cref="JsonColumns"/>), beside plain columns for what an operator looks for in a table browser. Room for about 250
/// subscriptions and well over the 1,000 open grants the API allows, within the 1 MiB an entity may hold. Every save
/// writes every column the row can have (unused chunks empty), so a merge leaves no stale column behind.
/// </summary>
internal static class AccountRow
{
    private const int SubscriptionChunks = 3;
    private const int GrantChunks = 12;
    private const int DueChunks = 2;
    private const int PendingRefundChunks = 1;

    public static TableEntity ToEntity(AccountWrite write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var state = write.State;
        var entity = new TableEntity(state.CustomerId, Keys.AccountRow(state.CustomerId))
        {
            ["LedgerSequence"] = state.LedgerSequence,
            ["EventSequence"] = state.EventSequence,
            ["AlertLevel"] = state.AlertLevel ?? "",
            ["AlertLowBelow"] = state.Alerts?.LowBelow ?? -1,
            ["AlertLowBelowPercent"] = state.Alerts?.LowBelowPercent ?? -1,
            ["Version"] = write.Version,
            ["SubscriptionCount"] = state.Subscriptions.Count,
            ["GrantCount"] = state.Grants.Count,
        };
        Write(entity, "Subscriptions", state.Subscriptions, SubscriptionChunks, state.CustomerId, "subscriptions");
        Write(entity, "Grants", state.Grants, GrantChunks, state.CustomerId, "granted buckets");
        Write(entity, "PendingRefunds", state.PendingRefunds, PendingRefundChunks, state.CustomerId, "refunds kept for their purchase");
        var due = write.Due.Values
            .OrderBy(e => e.SubscriptionId, StringComparer.Ordinal)
            .Select(e => new StoredDue(e.SubscriptionId, e.DueAt, e.ConcurrencyToken))
            .ToList();
        Write(entity, "Due", due, DueChunks, state.CustomerId, "due-index entries");
        return entity;
    }

    public static StoredAccount FromEntity(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var customerId = entity.PartitionKey;
        var state = new AccountState
        {
            CustomerId = customerId,
            Subscriptions = JsonColumns.Read<List<Subscription>>(entity, "Subscriptions") ?? [],
            Grants = JsonColumns.Read<List<GrantedBucket>>(entity, "Grants") ?? [],
            LedgerSequence = entity.GetInt64("LedgerSequence") ?? 0,
            EventSequence = entity.GetInt64("EventSequence") ?? 0,
            AlertLevel = entity.GetString("AlertLevel") is { Length: > 0 } level ? level : null,
            Alerts = Alerts(entity.GetInt64("AlertLowBelow"), entity.GetInt32("AlertLowBelowPercent")),
            PendingRefunds = JsonColumns.Read<List<PendingRefund>>(entity, "PendingRefunds") ?? [],
        };
        var due = (JsonColumns.Read<List<StoredDue>>(entity, "Due") ?? [])
            .ToDictionary(d => d.SubscriptionId, d => new DueEntry(d.SubscriptionId, customerId, d.At, d.Token), StringComparer.Ordinal);
        return new StoredAccount(state, entity.GetInt64("Version") ?? 0, entity.ETag.ToString(), due);
    }

    /// <summary>Negative stands for "not set", so the columns are always written and a merge leaves none stale.</summary>
    private static AlertSettings? Alerts(long? lowBelow, int? percent)
    {
        var below = lowBelow is >= 0 ? lowBelow : null;
        var pct = percent is >= 0 ? percent : null;
        return below is null && pct is null ? null : new AlertSettings(below, pct);
    }

    private static void Write<T>(TableEntity entity, string field, T value, int chunks, string customerId, string what)
    {
        if (!JsonColumns.TryWrite(entity, field, value, chunks, padToMax: true))
        {
            throw new AccountTooLargeException(customerId, what);
        }
    }

    /// <summary>Where a subscription's due-index entry is, and the entry's ETag.</summary>
    private sealed record StoredDue(string SubscriptionId, DateTimeOffset At, string? Token);
}

/// <summary>An account grew past what one row holds (hundreds of subscriptions, or thousands of open grants).</summary>
public sealed class AccountTooLargeException(string customerId, string field)
    : InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The account of {customerId} is too large to store ({field}); spend or let granted buckets expire before adding more."))
{
    public string CustomerId { get; } = customerId;
}
