using System.Globalization;
using Azure.Data.Tables;
using CreditFunctions.Accounts;
using CreditFunctions.Scheduling;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Storage;

/// <summary>
/// The account row: the subscriptions, granted buckets, open holds and due-index entries as JSON split over numbered
/// columns (<see cref="JsonColumns"/>), beside plain columns for what an operator looks for in a table browser. Room for
/// about 250 subscriptions, and for the 1,000 open grants or the 1,000 open holds the API allows; a row past the 1 MiB an
/// entity may hold is refused here (<see cref="AccountTooLargeException"/>), not by the store. Every save
/// writes every column the row can have (unused chunks empty), so a merge leaves no stale column behind.
/// </summary>
internal static class AccountRow
{
    private const int SubscriptionChunks = 3;
    private const int GrantChunks = 12;
    private const int DueChunks = 2;
    private const int PendingRefundChunks = 1;
    private const int HoldChunks = 16;
    private const int TopUpChunks = 1;
    private const int PendingUsageChunks = 2;

    /// <summary>Azure's 1 MiB for an entity (names and values, strings as UTF-16), less room for the system properties.</summary>
    private const int MaxEntityBytes = 1_000_000;

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
        Write(entity, "Holds", state.Holds, HoldChunks, state.CustomerId, "open holds");
        Write(entity, "TopUps", state.TopUps, TopUpChunks, state.CustomerId, "auto top-up");
        Write(entity, "PendingUsage", state.PendingUsage, PendingUsageChunks, state.CustomerId, "overage waiting for Stripe");
        entity["HoldSequence"] = state.HoldSequence;
        entity["HoldCount"] = state.Holds.Count;
        var due = write.Due.Values
            .OrderBy(e => e.SubscriptionId, StringComparer.Ordinal)
            .Select(e => new StoredDue(e.SubscriptionId, e.DueAt, e.ConcurrencyToken))
            .ToList();
        Write(entity, "Due", due, DueChunks, state.CustomerId, "due-index entries");
        if (SizeOf(entity) > MaxEntityBytes)
        {
            // Each part fits its columns, all of them together do not (many open grants with long reasons and many holds).
            throw new AccountTooLargeException(state.CustomerId, "granted buckets and open holds together");
        }

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
            Holds = JsonColumns.Read<List<Hold>>(entity, "Holds") ?? [],
            HoldSequence = entity.GetInt64("HoldSequence") ?? 0,
            TopUps = JsonColumns.Read<TopUpState>(entity, "TopUps"),
            PendingUsage = JsonColumns.Read<List<PendingUsage>>(entity, "PendingUsage") ?? [],
        };
        var due = (JsonColumns.Read<List<StoredDue>>(entity, "Due") ?? [])
            .ToDictionary(d => d.SubscriptionId, d => new DueEntry(d.SubscriptionId, customerId, d.At, d.Token), StringComparer.Ordinal);
        return new StoredAccount(state, entity.GetInt64("Version") ?? 0, entity.ETag.ToString(), due);
    }

    /// <summary>The entity's size as Azure counts it: each property's name and value, strings as UTF-16.</summary>
    private static long SizeOf(TableEntity entity) =>
        entity.Sum(p => 8 + (2L * p.Key.Length) + (p.Value is string text ? 4 + (2L * text.Length) : 8));

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
    : InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The account of {customerId} is too large to store ({field}); let granted buckets be spent or expire, or capture or release open holds, before adding more."))
{
    public string CustomerId { get; } = customerId;
}
