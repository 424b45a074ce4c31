using static CreditFunctions.Tests.Stripe.Deliveries;
using static CreditFunctions.Tests.Stripe.StripeFixtures;

namespace CreditFunctions.Tests.Credits;

/// <summary>Customers as the credits tests start from them: made by a signed Stripe webhook, as in production.</summary>
internal static class TestCustomers
{
    /// <summary>
    /// The app a minute after <paramref name="start"/>, with the customer of <paramref name="subscriptionId"/>
    /// (<c>cus_</c> + its tail) holding that subscription on <paramref name="plan"/> (yearly Pro, 1000 credits a month,
    /// by default) and its first allowance; the clock is then set to <paramref name="now"/> when given.
    /// </summary>
    public static async Task<AppHost> WithPlanAsync(string subscriptionId, DateTimeOffset start, Plan? plan = null, DateTimeOffset? now = null)
    {
        var app = await AppHost.StartAsync(start.AddMinutes(1));
        var created = SubscriptionEvent("evt_c" + subscriptionId[4..], "customer.subscription.created", start, subscriptionId, "active", plan ?? YearlyPro, start);
        Assert.Equal("synced; reset", await WebhookClient.DeliverOkAsync(app, created));
        if (now is { } later)
        {
            app.Time.SetUtcNow(later);
        }

        return app;
    }
}
