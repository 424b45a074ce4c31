using CreditFunctions.Subscriptions;

namespace CreditFunctions.Tests;

/// <summary>Builds subscriptions for tests: a yearly plan unless told otherwise.</summary>
internal static class TestSubscriptions
{
    public static DateTimeOffset Utc(int year, int month, int day, int hour = 0, int minute = 0) =>
        new(year, month, day, hour, minute, 0, TimeSpan.Zero);

    public static Subscription Yearly(
        string id,
        DateTimeOffset periodStart,
        string status = SubscriptionStatus.Active,
        int? allowance = 1000,
        long balance = 12,
        DateTimeOffset? lastReset = null) => new()
        {
            Stripe = new StripeView
            {
                Id = id,
                CustomerId = "cus_" + id[4..],
                PriceId = "price_yearly_pro",
                Interval = BillingInterval.Year,
                Status = status,
                PeriodStart = periodStart,
                PeriodEnd = periodStart.AddYears(1),
                MonthlyAllowance = allowance,
            },
            Balance = balance,
            LastResetBoundary = lastReset ?? periodStart,
        };

    public static Subscription Monthly(string id, DateTimeOffset periodStart, string status = SubscriptionStatus.Active)
    {
        var yearly = Yearly(id, periodStart, status);
        return yearly with { Stripe = yearly.Stripe with { Interval = BillingInterval.Month, PriceId = "price_monthly_pro", PeriodEnd = periodStart.AddMonths(1) } };
    }
}
