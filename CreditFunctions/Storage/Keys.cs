using System.Globalization;

namespace CreditFunctions.Storage;

/// <summary>Row and partition key formats. Sortable text, so range queries and listings come out in time order.</summary>
internal static class Keys
{
    /// <summary>
    /// The subscription row's key is the subscription id again (its partition is the id too). A constant row key would
    /// do on Azure, but Azurite resolves point reads through its RowKey index first, and a RowKey shared by every row
    /// turns each read and write there into a scan of the table.
    /// </summary>
    public static string SubscriptionRow(string subscriptionId) => subscriptionId;
    public const string ResetRowPrefix = "reset-";
    public const string EventRowPrefix = "event-";

    /// <summary>Marks a Stripe event as applied to the subscription in its partition: the duplicate-delivery guard.</summary>
    public static string EventRow(string eventId) => EventRowPrefix + eventId;

    /// <summary>The exactly-once key: one reset record per (subscription, boundary).</summary>
    public static string ResetRow(DateTimeOffset boundary) =>
        ResetRowPrefix + boundary.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Due-index partitions are UTC days, so "everything due by now" is one range over partition keys.</summary>
    public static string DueDay(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    public static string RunMonth(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyyMM", CultureInfo.InvariantCulture);

    /// <summary>Newest first within a month: inverted ticks sort descending as text.</summary>
    public static string RunRow(DateTimeOffset asOf, string runId) =>
        (DateTimeOffset.MaxValue.UtcTicks - asOf.UtcTicks).ToString("D19", CultureInfo.InvariantCulture) + "-" + runId;
}
