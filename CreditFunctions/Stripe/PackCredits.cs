using System.Globalization;
using CreditFunctions.Accounts;
using Stripe;

namespace CreditFunctions.Stripe;

/// <summary>
/// The credits a purchase buys: per line, the price's metadata <c>credits</c> (per unit) times the quantity, expiring
/// after <c>credits_expire_days</c> if set; or, when the SaaS puts them on the Checkout session or invoice itself, that
/// object's metadata <c>credits</c> (the purchase's total). Metadata that is not a whole number in range is a problem
/// reported for the purchase, never granted.
/// </summary>
public sealed record PackCredits(IReadOnlyList<PackLine> Lines)
{
    public const string CreditsKey = "credits";
    public const string ExpireDaysKey = "credits_expire_days";
    private const int MaxExpireDays = 3650;

    public long Total => Lines.Sum(l => l.Credits);

    /// <summary>From an object's own metadata; null when it has no <c>credits</c> key.</summary>
    public static PackCredits? FromMetadata(IDictionary<string, string>? metadata, string what, out string? problem)
    {
        problem = null;
        if (metadata is null || !metadata.TryGetValue(CreditsKey, out var raw))
        {
            return null;
        }

        var line = Line(raw, 1, metadata.TryGetValue(ExpireDaysKey, out var days) ? days : null, what, out problem);
        return line is null ? null : new PackCredits([line]);
    }

    /// <summary>From the purchase's priced lines; null when no line's price carries <c>credits</c>.</summary>
    public static PackCredits? FromPrices(IEnumerable<(Price? Price, long? Quantity)> lines, out string? problem)
    {
        problem = null;
        var found = new List<PackLine>();
        foreach (var (price, quantity) in lines)
        {
            if (price?.Metadata is not { } metadata || !metadata.TryGetValue(CreditsKey, out var raw))
            {
                continue; // Not a credit pack: another product bought alongside.
            }

            var line = Line(raw, quantity ?? 1, metadata.TryGetValue(ExpireDaysKey, out var days) ? days : null, $"price {price.Id}", out problem);
            if (line is null)
            {
                return null;
            }

            found.Add(line);
        }

        return found.Count == 0 ? null : new PackCredits(found);
    }

    private static PackLine? Line(string raw, long quantity, string? expireDays, string what, out string? problem)
    {
        problem = null;
        if (!long.TryParse(raw, NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var perUnit)
            || perUnit <= 0 || quantity <= 0 || perUnit > AccountLimits.MaxAmount / quantity)
        {
            problem = $"{what} has {CreditsKey}='{raw}' (quantity {quantity}): not a whole number of credits from 1 to {AccountLimits.MaxAmount} in all";
            return null;
        }

        int? days = null;
        if (expireDays is not null)
        {
            if (!int.TryParse(expireDays, NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var parsed) || parsed is < 1 or > MaxExpireDays)
            {
                problem = $"{what} has {ExpireDaysKey}='{expireDays}': not a whole number of days from 1 to {MaxExpireDays}";
                return null;
            }

            days = parsed;
        }

        return new PackLine(perUnit * quantity, days);
    }
}
