using System.Globalization;

namespace CreditFunctions.Storage;

/// <summary>
/// Row and partition key formats. Sortable text, so range queries and listings come out in time order. Row keys name
/// their customer (or subscription) although the partition already does: Azure finds a row by its partition and row key
/// alike, but Azurite looks the row key up first, so a row key every customer shares ("account") would make each point
/// read and write there scan every customer's row. Unique row keys keep local runs, the tests and the benchmark at the
/// cost they have in Azure.
/// </summary>
internal static class Keys
{
    public const string AccountRowPrefix = "account-";
    public const string EventRowPrefix = "event-";
    public const string LedgerRowPrefix = "ledger-";
    public const string IdempotencyRowPrefix = "idem-";
    public const string PurchaseRowPrefix = "purchase-";
    public const string DirectoryRowPrefix = "customer-";
    public const string OutboxRowPrefix = "out-";

    /// <summary>The customer's account row; its partition is the customer id, shared with all its records.</summary>
    public static string AccountRow(string customerId) => AccountRowPrefix + customerId;

    /// <summary>The directory row of a subscription (partition = subscription id): which customer it belongs to.</summary>
    public static string DirectoryRow(string subscriptionId) => DirectoryRowPrefix + subscriptionId;

    /// <summary>Marks a Stripe event as applied to the customer's account: the duplicate-delivery guard.</summary>
    public static string EventRow(string eventId) => EventRowPrefix + eventId;

    /// <summary>The exactly-once key: one reset record per (subscription, boundary).</summary>
    public static string ResetRow(string subscriptionId, DateTimeOffset boundary) =>
        ResetRowPrefix(subscriptionId) + boundary.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    public static string ResetRowPrefix(string subscriptionId) => "reset-" + subscriptionId + "-";

    /// <summary>The customer's ledger rows all start with this.</summary>
    public static string LedgerPrefix(string customerId) => LedgerRowPrefix + customerId + "-";

    /// <summary>Newest first: the inverted sequence number sorts descending as text.</summary>
    public static string LedgerRow(string customerId, long sequence) =>
        LedgerPrefix(customerId) + (long.MaxValue - sequence).ToString("D19", CultureInfo.InvariantCulture);

    public static string IdempotencyRow(string customerId, string key) => IdempotencyRowPrefix + customerId + "-" + key;

    public static string PurchaseRow(string purchaseId) => PurchaseRowPrefix + purchaseId;

    /// <summary>The customer's events not delivered yet all start with this; in event order.</summary>
    public static string OutboxPrefix(string customerId) => OutboxRowPrefix + customerId + "-";

    /// <summary>One save's events, numbered from <paramref name="firstSequence"/>: in order as text.</summary>
    public static string OutboxRow(string customerId, long firstSequence) =>
        OutboxPrefix(customerId) + firstSequence.ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>The first key after every key that starts with <paramref name="prefix"/>, for range queries.</summary>
    public static string After(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);

    /// <summary>Due-index partitions are UTC days, so "everything due by now" is one range over partition keys.</summary>
    public static string DueDay(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    public static string RunMonth(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyyMM", CultureInfo.InvariantCulture);

    /// <summary>Newest first within a month: inverted ticks sort descending as text.</summary>
    public static string RunRow(DateTimeOffset asOf, string runId) =>
        (DateTimeOffset.MaxValue.UtcTicks - asOf.UtcTicks).ToString("D19", CultureInfo.InvariantCulture) + "-" + runId;
}
