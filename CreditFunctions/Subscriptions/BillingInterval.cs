namespace CreditFunctions.Subscriptions;

/// <summary>Stripe's price recurring intervals.</summary>
public static class BillingInterval
{
    public const string Day = "day";
    public const string Week = "week";
    public const string Month = "month";
    public const string Year = "year";

    public static bool IsKnown(string interval) => interval is Day or Week or Month or Year;
}
