using System.ComponentModel.DataAnnotations;

namespace CreditFunctions.Storage;

/// <summary>
/// Where the app's tables live, bound from the <c>CreditStorage</c> section. Locally a connection string
/// (<c>CreditStorage__ConnectionString=UseDevelopmentStorage=true</c>); in Azure the table endpoint and a managed
/// identity (<c>CreditStorage__TableServiceUri</c>, <c>CreditStorage__ClientId</c>). Exactly one of the two.
/// </summary>
public sealed class StorageOptions : IValidatableObject
{
    public const string SectionName = "CreditStorage";

    public string? ConnectionString { get; set; }

    public Uri? TableServiceUri { get; set; }

    /// <summary>Client id of a user-assigned managed identity; empty for the system-assigned identity or a developer's login.</summary>
    public string? ClientId { get; set; }

    /// <summary>Prefix of the app's table names, so several environments can share one account.</summary>
    [Required(ErrorMessage = "CreditStorage:TablePrefix is required.")]
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{0,39}$",
        ErrorMessage = "CreditStorage:TablePrefix must start with a letter and hold 1 to 40 letters or digits.")]
    public string TablePrefix { get; set; } = "Credits";

    /// <summary>
    /// Accounts an instance keeps from its last read or write of them, so a change's first write attempt needs no read
    /// (<see cref="AccountCache"/>); 0 turns it off. Bounded by <see cref="AccountCacheMegabytes"/> too.
    /// </summary>
    [Range(0, 1_000_000, ErrorMessage = "CreditStorage:AccountCacheSize must be a whole number of accounts from {1} to {2}; 0 turns the cache off.")]
    public int AccountCacheSize { get; set; } = 10_000;

    /// <summary>The most memory the kept accounts may take, as estimated from what they hold.</summary>
    [Range(1, 4096, ErrorMessage = "CreditStorage:AccountCacheMegabytes must be from {1} to {2}.")]
    public int AccountCacheMegabytes { get; set; } = 64;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var hasConnectionString = !string.IsNullOrWhiteSpace(ConnectionString);
        if (hasConnectionString == (TableServiceUri is not null))
        {
            yield return new ValidationResult(
                "Set exactly one of CreditStorage:ConnectionString (local, e.g. UseDevelopmentStorage=true) "
                + "or CreditStorage:TableServiceUri (Azure, with a managed identity).",
                [nameof(ConnectionString), nameof(TableServiceUri)]);
        }

        if (TableServiceUri is { } uri && (!uri.IsAbsoluteUri || uri.Scheme != Uri.UriSchemeHttps && !uri.IsLoopback))
        {
            yield return new ValidationResult(
                $"CreditStorage:TableServiceUri must be an absolute https URI such as https://<account>.table.core.windows.net; got {uri}.",
                [nameof(TableServiceUri)]);
        }
    }

    /// <summary>One partition per customer: the account row, its reset records, ledger, idempotency and Stripe event records.</summary>
    public string CustomersTable => TablePrefix + "Customers";

    /// <summary>Which customer each subscription belongs to, for calls that name only the subscription.</summary>
    public string SubscriptionsTable => TablePrefix + "Subscriptions";

    /// <summary>
    /// The due-date index, one table per day of the month (<c>Due01</c> to <c>Due31</c>), partitioned by date within:
    /// an entry due on the 26th of any month is in <c>Due26</c>. On Azure a table's size costs nothing; on Azurite every
    /// delete costs time in proportion to its table, so a run's removals cost a month's share of the index, not all of it.
    /// </summary>
    public string DueTable(int dayOfMonth) =>
        dayOfMonth is >= 1 and <= 31 ? TablePrefix + "Due" + dayOfMonth.ToString("D2", System.Globalization.CultureInfo.InvariantCulture)
        : throw new ArgumentOutOfRangeException(nameof(dayOfMonth), dayOfMonth, "A day of the month is 1 to 31.");

    public IEnumerable<string> DueTables => Enumerable.Range(1, 31).Select(DueTable);

    /// <summary>Every table the app uses, as the deployment creates them.</summary>
    public IEnumerable<string> AllTables => [CustomersTable, SubscriptionsTable, .. DueTables, RunsTable];

    public string RunsTable => TablePrefix + "Runs";
}
