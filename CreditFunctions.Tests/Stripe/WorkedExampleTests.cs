using static CreditFunctions.Tests.Stripe.Deliveries;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Stripe;

/// <summary>The README's "A month, worked through", row by row: the table is only true while this passes.</summary>
public class WorkedExampleTests
{
    private static readonly Plan MonthlyProRollover = MonthlyPro with { PriceId = "price_1MonthlyProRoll", RolloverMax = "300" };
    private const string Customer = "cus_1Worked";

    [Fact]
    public async Task AMonthWorkedThrough_MatchesTheReadme()
    {
        var april = Utc(2026, 4, 1);
        var may = Utc(2026, 5, 1);
        await using var app = await AppHost.StartAsync(april.AddMinutes(1));
        var store = app.Services.GetRequiredService<CreditFunctions.Storage.ICreditStore>();

        async Task<(long Plan, long Rollover, long Pack, long Available)> StateAsync()
        {
            var account = (await store.GetAccountAsync(Customer))!.State;
            var available = (await CreditsClient.GetAsync(app, Customer)).Body.GetProperty("available").GetInt64();
            return (account.Find("sub_1Worked")!.Balance,
                account.Grants.Where(g => g.Kind == BucketKind.Rollover).Sum(g => g.Remaining),
                account.Grants.Where(g => g.Kind == BucketKind.Pack).Sum(g => g.Remaining),
                available);
        }

        await WebhookClient.DeliverOkAsync(app, Event("evt_1WC", "customer.subscription.created", april,
            Subscription("sub_1Worked", "active", MonthlyProRollover, april, may, customerId: Customer)));
        Assert.Equal((1000, 0, 0, 1000), await StateAsync());

        app.Time.SetUtcNow(Utc(2026, 4, 3, 12));
        await WebhookClient.DeliverOkAsync(app, Event("evt_1WP", "checkout.session.completed", Utc(2026, 4, 3, 12),
            CheckoutSession("cs_test_1Worked", Customer, paymentIntentId: "pi_1Worked", metadata: new Dictionary<string, string> { ["credits"] = "500", ["credits_expire_days"] = "90" })));
        Assert.Equal((1000, 0, 500, 1500), await StateAsync());

        app.Time.SetUtcNow(Utc(2026, 4, 10, 12));
        await CreditsClient.SpendAsync(app, Customer, 500, "apr-10");
        Assert.Equal((500, 0, 500, 1000), await StateAsync());

        app.Time.SetUtcNow(Utc(2026, 4, 20, 12));
        await CreditsClient.SpendAsync(app, Customer, 100, "apr-20");
        Assert.Equal((400, 0, 500, 900), await StateAsync());

        app.Time.SetUtcNow(Utc(2026, 4, 25, 12));
        await WebhookClient.DeliverOkAsync(app, Event("evt_1WR", "charge.refunded", Utc(2026, 4, 25, 12), Charge("ch_1Worked", Customer, "pi_1Worked", 1000, 500, Utc(2026, 4, 3, 12))));
        Assert.Equal((400, 0, 250, 650), await StateAsync());

        app.Time.SetUtcNow(may.AddMinutes(30));
        await WebhookClient.DeliverOkAsync(app, Event("evt_1WU", "customer.subscription.updated", may,
            Subscription("sub_1Worked", "active", MonthlyProRollover, may, Utc(2026, 6, 1), customerId: Customer)));
        await WebhookClient.DeliverOkAsync(app, Event("evt_1WI", "invoice.paid", may.AddMinutes(20),
            Invoice("in_1WorkedMay", "sub_1Worked", MonthlyProRollover, may, Utc(2026, 6, 1), customerId: Customer)));
        Assert.Equal((1000, 300, 250, 1550), await StateAsync());

        app.Time.SetUtcNow(Utc(2026, 5, 5, 12));
        var spend = await CreditsClient.SpendAsync(app, Customer, 400, "may-5");
        Assert.Equal((900, 0, 250, 1150), await StateAsync());
        Assert.Equal(["rollover-sub_1Worked", "plan-sub_1Worked"], spend.Body.GetProperty("parts").EnumerateArray().Select(p => p.GetProperty("bucketId").GetString()));

        var kinds = (await CreditsClient.FullLedgerAsync(store, Customer)).Select(e => (e.Kind, e.Amount)).ToList();
        Assert.Equal([("reset", 1000L), ("purchase", 500L), ("spend", -500L), ("spend", -100L), ("refund", -250L), ("rollover", 0L), ("reset", 900L), ("spend", -400L)], kinds);
        await CreditsClient.AssertLedgerReplaysAsync(store, Customer);
    }
}
