using System.Text.RegularExpressions;

namespace CreditFunctions.Stripe;

/// <summary>
/// The shapes of the Stripe ids the app uses as storage keys. Stripe's ids are a prefix and letters, digits and
/// underscores; anything else in a signed payload is refused before it reaches the store.
/// </summary>
public static partial class StripeIds
{
    public static bool IsEvent(string? id) => id is not null && EventPattern().IsMatch(id);

    public static bool IsSubscription(string? id) => id is not null && SubscriptionPattern().IsMatch(id);

    public static bool IsCustomer(string? id) => id is not null && CustomerPattern().IsMatch(id);

    [GeneratedRegex("^evt_[A-Za-z0-9_]{1,250}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex EventPattern();

    [GeneratedRegex("^sub_[A-Za-z0-9_]{1,250}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex SubscriptionPattern();

    [GeneratedRegex("^cus_[A-Za-z0-9_]{1,250}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex CustomerPattern();
}
