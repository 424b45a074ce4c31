namespace CreditFunctions.Subscriptions;

/// <summary>Stripe's price recurring intervals, and which of them a monthly allowance fits.</summary>
public static class BillingInterval
{
    public const string Day = "day";
    public const string Week = "week";
    public const string Month = "month";
    public const string Year = "year";

    /// <summary>
    /// A monthly allowance is given per month of a period, so the period must be at least a month long: a weekly or
    /// daily price would otherwise hand out a month's credits every week or day.
    /// </summary>
    public static bool CarriesMonthlyCredits(string interval) => interval is Month or Year;
}
