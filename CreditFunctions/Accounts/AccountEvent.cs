using System.Globalization;

namespace CreditFunctions.Accounts;

/// <summary>
/// One thing the SaaS is told about a customer's credits, recorded in the same transaction as the change that caused it
/// (the outbox) and delivered after it, in order, signed. Its id is the same on every delivery.
/// </summary>
/// <param name="Sequence">The customer's event number, from 1 without gaps.</param>
/// <param name="LedgerSequence">The ledger entry it belongs to (the customer's last one, for an event of no entry of its own).</param>
/// <param name="Available">The customer's available credits right after it.</param>
/// <param name="Data">What happened, by type (<see cref="CreditEventTypes"/>).</param>
public sealed record AccountEvent(
    string CustomerId, long Sequence, string Type, DateTimeOffset OccurredAt, long LedgerSequence, long Available, IReadOnlyDictionary<string, object?> Data)
{
    /// <summary>Stable across deliveries, unique across customers: <c>ce_</c>, the customer, the number.</summary>
    public string Id => string.Create(CultureInfo.InvariantCulture, $"ce_{CustomerId}_{Sequence}");
}

/// <summary>The closed list of event types (docs/events.md has each with an example).</summary>
public static class CreditEventTypes
{
    /// <summary>A boundary was applied: the plan set to its allowance (with what rolled over).</summary>
    public const string Reset = "credits.reset";

    /// <summary>Available went from at or above the customer's low threshold to below it.</summary>
    public const string Low = "credits.low";

    /// <summary>Available reached 0.</summary>
    public const string Depleted = "credits.depleted";

    /// <summary>Available is back at or above the threshold (above 0 without one) after low or depleted.</summary>
    public const string Recovered = "credits.recovered";

    /// <summary>Credits were granted: a grant through the API, a purchased pack, a plan upgraded within its period.</summary>
    public const string Granted = "credits.granted";

    /// <summary>Credits were taken back by an adjustment (a negative grant).</summary>
    public const string Adjusted = "credits.adjusted";

    /// <summary>A refund took back its share of a purchase's unspent credits.</summary>
    public const string Refunded = "credits.refunded";

    /// <summary>Buckets expired with credits left in them (granted buckets, rollovers, an ended subscription's plan).</summary>
    public const string Expired = "credits.expired";

    /// <summary>A granted bucket with credits left expires within <c>Events__ExpiringWithin</c> (once per bucket).</summary>
    public const string GrantExpiring = "credits.grant_expiring";

    /// <summary>A period's payment was not seen past the renewal's grace, or its period ended with no renewal (once per period).</summary>
    public const string RenewalUnconfirmed = "renewal.unconfirmed";

    /// <summary>An auto top-up was not paid (declined, needing the customer, no payment method, Stripe unreachable), or one was due past <c>maxPerMonth</c>.</summary>
    public const string TopUpFailed = "credits.top_up_failed";

    public static readonly IReadOnlyList<string> All = [Reset, Low, Depleted, Recovered, Granted, Adjusted, Refunded, Expired, GrantExpiring, RenewalUnconfirmed, TopUpFailed];
}
