using Microsoft.Extensions.Logging;
using static CreditFunctions.Tests.Stripe.Deliveries;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Stripe;

/// <summary>Rollover of unused plan credits over a year of daily runs, and plan changes within a period in every order.</summary>
public class PlanChangeTests
{
    private static readonly DateTimeOffset Start = Utc(2026, 1, 31, 10);
    private static readonly Plan YearlyRollover = new("price_1YearlyRoll", "year", 1000, UnitAmount: 20000, RolloverMax: "300");

    private static Task<ResetRunResult> RunAsync(AppHost app) =>
        app.Services.GetRequiredService<CreditResetHandler>().RunAsync(new ResetRequest(ResetTrigger.Timer));

    [Fact]
    public async Task Rollover_AYearOfDailyRuns_CarriesUnusedCreditsUpToTheCapForOneMonthOnly()
    {
        await using var app = await AppHost.StartAsync(Start.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1RollC", "customer.subscription.created", Start, "sub_1Roll", "active", YearlyRollover, Start));
        var credits = app.Services.GetRequiredService<CreditFunctions.Credits.CreditsService>();

        // Spent each month, on the 15th: under the cap's reach, over it, nothing, everything.
        long[] spends = [900, 200, 0, 1000, 750, 50, 1000, 0, 400, 999, 600];
        var (rollover, plan) = (0L, 1000L);
        var day = Start.AddDays(1);
        var month = 0;
        while (month < spends.Length)
        {
            app.Time.SetUtcNow(new DateTimeOffset(day.Year, day.Month, day.Day, 2, 0, 0, TimeSpan.Zero));
            var run = (await RunAsync(app)).Summary!;
            if (run.Counts.Reset == 1)
            {
                // The model: last month's rollover expires, unused plan credits up to 300 roll, the plan is set again.
                (rollover, plan) = (Math.Min(300, plan), 1000);
                var held = (await app.Store.GetAccountAsync("cus_1Roll"))!.State.Grants.SingleOrDefault(g => g.Kind == BucketKind.Rollover);
                Assert.Equal(rollover, held?.Remaining ?? 0);
                Assert.True(held is null || held.ExpiresAt == CreditFunctions.Periods.CreditPeriods.Boundary(Start, month + 1), "a rollover lasts until the next boundary only");
            }

            if (day.Day == 15)
            {
                var spend = spends[month++];
                if (spend > 0)
                {
                    Assert.Equal(200, (await credits.SpendAsync("cus_1Roll", new CreditFunctions.Accounts.SpendRequest(spend, $"month-{month}", null, null))).Status());
                    var fromRollover = Math.Min(rollover, spend);
                    (rollover, plan) = (rollover - fromRollover, plan - (spend - fromRollover));
                }
            }

            Assert.True((await credits.ReadAsync("cus_1Roll")).Value!.Available == rollover + plan, $"on {day:yyyy-MM-dd}");
            day = day.AddDays(1);
        }

        var ledger = await CreditsClient.FullLedgerAsync(app.Store, "cus_1Roll");
        Assert.All(ledger.Where(e => e.Kind == LedgerKind.Rollover), e => Assert.InRange(e.Parts.Single(p => p.BucketId.StartsWith("rollover-", StringComparison.Ordinal)).Amount, 1, 300));
        Assert.Contains(ledger, e => e.Kind == LedgerKind.Rollover && e.Parts[1].Amount == 300);   // the cap hit
        Assert.Contains(ledger, e => e.Kind == LedgerKind.Rollover && e.Parts[1].Amount < 300);    // and not hit
        Assert.Contains(ledger, e => e.Kind == LedgerKind.Expiry && e.Reason == "rollover expired");
        await CreditsClient.AssertLedgerReplaysAsync(app.Store, "cus_1Roll");
    }

    [Fact]
    public async Task Rollover_AfterMonthsDown_IsAppliedOnceForTheLatestBoundary()
    {
        await using var app = await AppHost.StartAsync(Start.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1DownC", "customer.subscription.created", Start, "sub_1Down", "active", YearlyRollover, Start));

        app.Time.SetUtcNow(Utc(2026, 6, 2, 2));
        await RunAsync(app);

        var ledger = await CreditsClient.FullLedgerAsync(app.Store, "cus_1Down");
        var rolled = Assert.Single(ledger, e => e.Kind == LedgerKind.Rollover);
        Assert.Equal((Utc(2026, 5, 31, 10), 300L), (rolled.Boundary!.Value, rolled.Parts[1].Amount));
        Assert.Equal(1300, Buckets.Available((await app.Store.GetAccountAsync("cus_1Down"))!.State, app.Time.GetUtcNow(), CreditFunctions.Resets.ResetPolicy.DefaultRenewalGrace));
    }

    [Fact]
    public async Task RolloverMetadataThatIsNotANumber_IsReportedAndRollsNothing()
    {
        await using var app = await AppHost.StartAsync(Start.AddMinutes(1));
        var plan = YearlyRollover with { PriceId = "price_1BadRoll", RolloverMax = "plenty" };

        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1BadRoll", "customer.subscription.created", Start, "sub_1BadRoll", "active", plan, Start));
        app.Time.SetUtcNow(Utc(2026, 3, 1, 2));
        await RunAsync(app);

        Assert.Contains(app.Logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("credits_rollover_max='plenty'", StringComparison.Ordinal));
        Assert.DoesNotContain(await CreditsClient.FullLedgerAsync(app.Store, "cus_1BadRoll"), e => e.Kind == LedgerKind.Rollover);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UpgradeWithinThePeriod_RaisesThePlanBucketAtOnceByTheDifferenceOnceInEitherOrder(bool olderStateArrivesLate)
    {
        var p1 = Utc(2026, 1, 15, 9, 30);
        await using var app = await AppHost.StartAsync(p1.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1UpC", "customer.subscription.created", p1, "sub_1Up", "active", MonthlyLite, p1));
        Assert.True((await app.Store.TryChangeAsync("sub_1Up", s => s with { Balance = 100 })).Applied);
        app.Time.SetUtcNow(p1.AddDays(10));
        var upgrade = SubscriptionEvent("evt_1UpU", "customer.subscription.updated", p1.AddDays(10), "sub_1Up", "active", MonthlyPro, p1);
        var older = SubscriptionEvent("evt_1UpOld", "customer.subscription.updated", p1.AddDays(5), "sub_1Up", "active", MonthlyLite, p1, cancelAtPeriodEnd: true);

        if (!olderStateArrivesLate)
        {
            await WebhookClient.DeliverOkAsync(app, older);
        }

        var result = await WebhookClient.DeliverOkAsync(app, upgrade);
        var again = await WebhookClient.DeliverOkAsync(app, upgrade);
        if (olderStateArrivesLate)
        {
            Assert.Equal("stale", await WebhookClient.DeliverOkAsync(app, older));
        }

        Assert.Equal(("synced", "duplicate"), (result, again));
        var stored = await app.Store.GetRequiredAsync("sub_1Up");
        Assert.Equal((800L, 1000), (stored.Balance, stored.AllowanceInEffect!.Value)); // 100 left + (1000 - 300)
        var entry = Assert.Single(await CreditsClient.FullLedgerAsync(app.Store, "cus_1Up"), e => e.Kind == LedgerKind.Upgrade);
        Assert.Equal((700L, "evt_1UpU"), (entry.Amount, entry.RunId));
    }

    [Fact]
    public async Task DowngradeWithinThePeriod_KeepsWhatWasPaidForUntilTheNextBoundary()
    {
        var p1 = Utc(2026, 1, 15, 9, 30);
        var p2 = p1.AddMonths(1);
        await using var app = await AppHost.StartAsync(p1.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1DnC", "customer.subscription.created", p1, "sub_1Dn", "active", MonthlyPro, p1));
        app.Time.SetUtcNow(p1.AddDays(10));

        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1DnU", "customer.subscription.updated", p1.AddDays(10), "sub_1Dn", "active", MonthlyLite, p1));
        var during = (await app.Store.GetRequiredAsync("sub_1Dn")).Balance;
        app.Time.SetUtcNow(p2.AddHours(1));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1DnR", "customer.subscription.updated", p2, "sub_1Dn", "active", MonthlyLite, p2));
        await WebhookClient.DeliverOkAsync(app, InvoicePaid("evt_1DnP", p2.AddMinutes(1), "sub_1Dn", MonthlyLite, p2));

        Assert.Equal(1000, during);
        Assert.Equal(300, (await app.Store.GetRequiredAsync("sub_1Dn")).Balance);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DowngradeBetweenRenewalAndItsPayment_TheRenewalIsGrantedWithThePlanThePeriodStartedWith(bool paidBeforeDowngrade)
    {
        var p1 = Utc(2026, 1, 15, 9, 30);
        var p2 = p1.AddMonths(1);
        await using var app = await AppHost.StartAsync(p1.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1BtC", "customer.subscription.created", p1, "sub_1Bt", "active", MonthlyPro, p1));
        app.Time.SetUtcNow(p2.AddHours(2));
        var renewal = SubscriptionEvent("evt_1BtR", "customer.subscription.updated", p2, "sub_1Bt", "active", MonthlyPro, p2);
        var downgrade = SubscriptionEvent("evt_1BtD", "customer.subscription.updated", p2.AddMinutes(30), "sub_1Bt", "active", MonthlyLite, p2);
        var paid = InvoicePaid("evt_1BtP", p2.AddHours(1), "sub_1Bt", MonthlyPro, p2);

        await WebhookClient.DeliverOkAsync(app, renewal);
        await WebhookClient.DeliverOkAsync(app, paidBeforeDowngrade ? paid : downgrade);
        await WebhookClient.DeliverOkAsync(app, paidBeforeDowngrade ? downgrade : paid);

        var renewed = Assert.Single(await app.Store.GetResetHistoryAsync("sub_1Bt"), r => r.Boundary == p2);
        Assert.Equal(1000, renewed.BalanceAfter);
        Assert.Equal(MonthlyLite.PriceId, (await app.Store.GetRequiredAsync("sub_1Bt")).Stripe.PriceId); // the next period is Lite
    }

    [Fact]
    public async Task SwitchToYearlyMidMonth_WithARolloverLive_TheLedgerStillAddsUpToTheBalance()
    {
        var monthlyRoll = new Plan("price_1MonthlyRoll", "month", 1000, RolloverMax: "300");
        var (march, april, switchAt) = (Utc(2026, 3, 1, 10), Utc(2026, 4, 1, 10), Utc(2026, 4, 15, 10));
        await using var app = await AppHost.StartAsync(march.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1Sw1", "customer.subscription.created", march, "sub_1Switch", "active", monthlyRoll, march));
        app.Time.SetUtcNow(april.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1Sw2", "customer.subscription.updated", april, "sub_1Switch", "active", monthlyRoll, april));
        await WebhookClient.DeliverOkAsync(app, InvoicePaid("evt_1Sw3", april, "sub_1Switch", monthlyRoll, april));
        Assert.Equal(1300, (await CreditsClient.GetAsync(app, "cus_1Switch")).Body.GetProperty("available").GetInt64());

        app.Time.SetUtcNow(switchAt.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1Sw4", "customer.subscription.updated", switchAt, "sub_1Switch", "active", YearlyRollover, switchAt));
        await WebhookClient.DeliverOkAsync(app, InvoicePaid("evt_1Sw5", switchAt, "sub_1Switch", YearlyRollover, switchAt, billingReason: "subscription_update"));

        var ledger = await CreditsClient.FullLedgerAsync(app.Store, "cus_1Switch");
        Assert.Equal(1300, (await CreditsClient.GetAsync(app, "cus_1Switch")).Body.GetProperty("available").GetInt64());
        Assert.Equal(1300, ledger.Sum(e => e.Amount));
        Assert.Contains(ledger, e => e.Kind == LedgerKind.Expiry && e.Amount == -300 && e.Reason == "rollover ended with its month");
        await CreditsClient.AssertLedgerReplaysAsync(app.Store, "cus_1Switch");
    }
}
