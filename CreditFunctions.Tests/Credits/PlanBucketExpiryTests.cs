using static CreditFunctions.Tests.Credits.CreditsClient;
using static CreditFunctions.Tests.Stripe.Deliveries;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Credits;

/// <summary>
/// A plan bucket expires at its subscription's next boundary: that instant orders it among the other buckets and is its
/// nextResetAt, also in a monthly plan's last month. The renewal's grace only keeps it spendable when the renewal is late.
/// </summary>
public class PlanBucketExpiryTests
{
    private static readonly Plan Monthly100 = new("price_1Monthly100", "month", 100, UnitAmount: 500);
    private static readonly DateTimeOffset P1 = Utc(2027, 1, 20, 10);
    private static readonly DateTimeOffset P2 = Utc(2027, 2, 20, 10);
    private static readonly DateTimeOffset Start = Utc(2026, 1, 31, 10);
    private const string Customer = "cus_1Review";

    private static Task<AppHost> CustomerWithPlanAsync() => TestCustomers.WithPlanAsync("sub_1Review", Start);

    [Fact]
    public async Task MonthlyPlanLastMonth_ExpiresAtItsBoundary_SoItIsSpentBeforeAGrantThatOutlivesIt()
    {
        await using var app = await AppHost.StartAsync(P1.AddMinutes(1));
        Assert.Equal("synced; reset", await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1LastC", "customer.subscription.created", P1, "sub_1Last", "active", Monthly100, P1)));
        app.Time.SetUtcNow(Utc(2027, 2, 20, 8));
        Assert.Equal(201, (await GrantAsync(app, "cus_1Last", 50, "late-grant", Utc(2027, 2, 20, 12))).Status);

        var read = await GetAsync(app, "cus_1Last");
        var spend = await SpendAsync(app, "cus_1Last", 120, "spend-before-renewal");
        app.Time.SetUtcNow(P2.AddMinutes(5));
        Assert.Equal("synced; reset", await WebhookClient.DeliverOkAsync(app, InvoicePaid("evt_1LastI", P2, "sub_1Last", Monthly100, P2)));
        var after = await GetAsync(app, "cus_1Last");

        var plan = read.Body.GetProperty("buckets").EnumerateArray().Single(b => b.GetProperty("kind").GetString() == "plan");
        Assert.Equal(P2, plan.GetProperty("nextResetAt").GetDateTimeOffset());
        Assert.Equal(["plan-sub_1Last", "grant-2"], read.Body.GetProperty("buckets").EnumerateArray().Select(b => b.GetProperty("id").GetString()));
        var parts = spend.Body.GetProperty("parts").EnumerateArray().Select(p => (p.GetProperty("bucketId").GetString(), p.GetProperty("amount").GetInt64()));
        Assert.Equal([("plan-sub_1Last", -100L), ("grant-2", -20L)], parts);
        Assert.Equal(130, after.Body.GetProperty("available").GetInt64());
        await AssertLedgerReplaysAsync(app.Store, "cus_1Last");
    }

    [Fact]
    public async Task MonthlyPlanLastMonth_RenewalLate_StaysSpendableThroughTheGraceButShowsItsBoundary()
    {
        await using var app = await AppHost.StartAsync(P1.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1GraceC", "customer.subscription.created", P1, "sub_1Grace", "active", Monthly100, P1));

        app.Time.SetUtcNow(P2.AddHours(2)); // The renewal is two hours late: within Reset__RenewalGrace (6 h).
        var read = await GetAsync(app, "cus_1Grace");
        var spend = await SpendAsync(app, "cus_1Grace", 30, "late-renewal-spend");

        var plan = Assert.Single(read.Body.GetProperty("buckets").EnumerateArray());
        Assert.Equal((P2, 100L), (plan.GetProperty("nextResetAt").GetDateTimeOffset(), plan.GetProperty("remaining").GetInt64()));
        Assert.Equal(200, spend.Status);
    }

    [Fact]
    public async Task ARenewalUnconfirmedPastTheGrace_HoldsTheLastMonthsCreditsBack()
    {
        var p1 = Utc(2026, 1, 15, 9, 30);
        var p2 = p1.AddMonths(1);
        await using var app = await AppHost.StartAsync(p1.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1HeldC", "customer.subscription.created", p1, "sub_1Held", "active", MonthlyPro, p1));
        await SpendAsync(app, "cus_1Held", 100, "january");
        app.Time.SetUtcNow(p2.AddHours(1));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1HeldU", "customer.subscription.updated", p2, "sub_1Held", "past_due", MonthlyPro, p2));

        var withinGrace = await SpendAsync(app, "cus_1Held", 100, "within-grace");
        app.Time.SetUtcNow(p2.AddDays(20));
        var unpaid = await SpendAsync(app, "cus_1Held", 100, "twenty-days-unpaid");

        Assert.Equal((200, 409), (withinGrace.Status, unpaid.Status));
        Assert.Equal(800, (await app.Store.GetAccountAsync("cus_1Held"))!.State.Find("sub_1Held")!.Balance); // held, not gone
    }

    [Fact]
    public async Task ACancellation_IsInTheLedgerWithTheWriteThatStoresIt()
    {
        await using var app = await CustomerWithPlanAsync();
        app.Time.SetUtcNow(Start.AddDays(3));

        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1RevD", "customer.subscription.deleted", Start.AddDays(3), "sub_1Review", "canceled", YearlyPro, Start));

        var newest = (await FullLedgerAsync(app.Store, Customer))[^1];
        Assert.Equal((LedgerKind.Expiry, -1000L, 0L, Start.AddDays(3)), (newest.Kind, newest.Amount, newest.BalanceAfter, newest.At));
    }
}
