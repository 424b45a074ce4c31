using static CreditFunctions.Tests.Stripe.Deliveries;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Stripe;

/// <summary>
/// Stripe as it really delivers: at least once, in any order, several in the same second, invoices whose lines come in
/// Stripe's order and are cut after the first page. Each case here lost or corrupted credits before it was fixed.
/// </summary>
public sealed class StripeDeliveryTests : IDisposable
{
    private static readonly DateTimeOffset P1 = Utc(2026, 1, 15, 9, 30);
    private static readonly DateTimeOffset P2 = P1.AddMonths(1);

    private readonly FakeStripeApi _stripe = new();

    public void Dispose() => _stripe.Dispose();

    /// <summary>
    /// A subscription created and given its first allowance at the start of P1, then spent down to 40; the clock is
    /// left at <paramref name="then"/>.
    /// </summary>
    private static async Task CreateAndSpendAsync(AppHost app, string id, Plan plan, DateTimeOffset then)
    {
        app.Time.SetUtcNow(P1.AddMinutes(1));
        Assert.Equal("synced; reset", await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_c" + id[4..], "customer.subscription.created", P1, id, "active", plan, P1)));
        Assert.True((await app.Store.TryChangeAsync(id, s => s with { Balance = 40 })).Applied);
        app.Time.SetUtcNow(then);
    }

    // Case 1: a renewal's invoice.paid and a later customer.subscription.updated handled at the same time.
    [Fact]
    public async Task InvoicePaidRacingANewerUpdate_KeepsTheNewerStateAndItsTime()
    {
        GateStore? gate = null;
        await using var app = await AppHost.StartAsync(P1, services: s =>
            s.AddSingleton<ICreditStore>(sp => gate = new GateStore(sp.GetRequiredService<TableCreditStore>())));
        await CreateAndSpendAsync(app, "sub_1Race", MonthlyPro, P2.AddHours(1));

        // The invoice's write is held after its read; the renewal's update (cancel at period end) lands in between.
        gate!.Arm("sub_1Race");
        var paid = WebhookClient.DeliverOkAsync(app, InvoicePaid("evt_1RacePaid", P2.AddMinutes(2), "sub_1Race", MonthlyPro, P2));
        await gate.Held.WaitAsync(TimeSpan.FromSeconds(30));
        var updated = await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1RaceUpd", "customer.subscription.updated", P2.AddMinutes(5), "sub_1Race", "active", MonthlyPro, P2, cancelAtPeriodEnd: true));
        gate.Release();
        await paid;

        Assert.StartsWith("synced", updated, StringComparison.Ordinal);
        var stored = await app.Store.GetRequiredAsync("sub_1Race");
        Assert.Equal((P2, true, P2.AddMinutes(5)), (stored.Stripe.PeriodStart, stored.Stripe.CancelAtPeriodEnd, stored.Stripe.AsOf));
        Assert.Equal((1000L, P2, P2), (stored.Balance, stored.LastResetBoundary!.Value, stored.PaidPeriodStart!.Value));
        Assert.Equal([P1, P2], (await app.Store.GetResetHistoryAsync("sub_1Race")).Select(r => r.Boundary));
    }

    // Case 2: a plan change that takes effect at renewal, whichever of invoice.paid and updated arrives first.
    [Theory]
    [InlineData("upgrade", false)]
    [InlineData("upgrade", true)]
    [InlineData("downgrade", false)]
    [InlineData("downgrade", true)]
    public async Task PlanChangeAtRenewal_ResetsTheNewPeriodWithItsOwnPlanInEitherOrder(string change, bool updatedFirst)
    {
        var (from, to, fromStart) = change == "upgrade" ? (MonthlyPro, YearlyTeam, P1) : (YearlyTeam, MonthlyLite, P2.AddYears(-1));
        await using var app = await AppHost.StartAsync(fromStart.AddMinutes(1));
        Assert.Equal("synced; reset", await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1Create", "customer.subscription.created", fromStart, "sub_1Change", "active", from, fromStart)));
        app.Time.SetUtcNow(P2.AddHours(1));
        var paid = InvoicePaid("evt_1ChangePaid", P2.AddMinutes(2), "sub_1Change", to, P2);
        var updated = SubscriptionEvent("evt_1ChangeUpd", "customer.subscription.updated", P2, "sub_1Change", "active", to, P2);

        var first = await WebhookClient.DeliverOkAsync(app, updatedFirst ? updated : paid);
        var second = await WebhookClient.DeliverOkAsync(app, updatedFirst ? paid : updated);

        // Nothing is reset until both are known: the payment alone waits for the period's state, with its plan.
        Assert.Equal(updatedFirst ? "synced" : "paid-recorded; reset skipped (period-ended-awaiting-renewal)", first);
        Assert.Equal("synced; reset", second);
        var stored = await app.Store.GetRequiredAsync("sub_1Change");
        Assert.Equal((to.PriceId, (long)to.CreditsMetadata!.Value), (stored.Stripe.PriceId, stored.Balance));
        var renewal = Assert.Single(await app.Store.GetResetHistoryAsync("sub_1Change"), r => r.Boundary == P2);
        Assert.Equal(to.CreditsMetadata!.Value, renewal.BalanceAfter);
    }

    // Case 2, with an API key: the payment arriving first is enough, the API tells the new period's plan.
    [Fact]
    public async Task PlanChangeAtRenewal_PaidFirstWithApiKey_ResetsAtOnceWithTheNewPlan()
    {
        await using var app = await AppHost.StartAsync(P1, stripe: _stripe);
        await CreateAndSpendAsync(app, "sub_1Api", MonthlyPro, P2.AddHours(1));
        _stripe.Subscriptions["sub_1Api"] = Subscription("sub_1Api", "active", YearlyTeam, P2, P2.AddYears(1));

        var result = await WebhookClient.DeliverOkAsync(app, InvoicePaid("evt_1ApiPaid", P2.AddMinutes(2), "sub_1Api", YearlyTeam, P2));

        Assert.Equal("synced; reset", result);
        Assert.Equal(5000, (await app.Store.GetRequiredAsync("sub_1Api")).Balance);
    }

    // Case 3: a metered (in arrears) line for the previous period listed before the plan's line.
    [Fact]
    public async Task InvoicePaid_MeteredLineFirst_ResetsThePlansPeriodNotThePreviousOne()
    {
        await using var app = await AppHost.StartAsync(P1.AddMinutes(1));
        var metered = (MeteredApi, "si_1MeteredApi");
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1MC", "customer.subscription.created", P1, "sub_1Meter", "active", MonthlyPro, P1, extraItems: [metered]));
        app.Time.SetUtcNow(P2.AddHours(1));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1MU", "customer.subscription.updated", P2, "sub_1Meter", "active", MonthlyPro, P2, extraItems: [metered]));
        var lines = new[]
        {
            Line("in_1Meter", "sub_1Meter", "si_1MeteredApi", MeteredApi, P1, P2),
            Line("in_1Meter", "sub_1Meter", "si_1Meter", MonthlyPro, P2, P2.AddMonths(1)),
        };

        var result = await WebhookClient.DeliverOkAsync(app, InvoicePaid("evt_1Meter", P2.AddMinutes(2), "sub_1Meter", MonthlyPro, P2, lines));

        Assert.Equal("synced; reset", result);
        Assert.Equal([P1, P2], (await app.Store.GetResetHistoryAsync("sub_1Meter")).Select(r => r.Boundary));
    }

    private static List<System.Text.Json.Nodes.JsonObject> ProrationPage(string invoiceId, string subscriptionId) =>
        [.. Enumerable.Range(0, 10).Select(i => Line(invoiceId, subscriptionId, $"si_1Addon{i}", MonthlyLite, P1.AddDays(10), P2, proration: true))];

    // Case 3: the plan's line is cut off the first page (lines.has_more), no API key to list the rest.
    [Fact]
    public async Task InvoicePaid_PlanLineNotOnFirstPageWithoutApiKey_IsReportedAndTheRunSaysUnconfirmed()
    {
        await using var app = await AppHost.StartAsync(P1);
        await CreateAndSpendAsync(app, "sub_1Cut", MonthlyPro, P2.AddMinutes(30));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1CutU", "customer.subscription.updated", P2, "sub_1Cut", "active", MonthlyPro, P2));

        var (status, answer) = await WebhookClient.DeliverAsync(app, InvoicePaid("evt_1Cut", P2.AddMinutes(2), "sub_1Cut", MonthlyPro, P2, ProrationPage("in_1Cut", "sub_1Cut"), hasMore: true));
        app.Time.SetUtcNow(Utc(2026, 2, 16, 2));
        var run = await app.Services.GetRequiredService<CreditResetHandler>().RunAsync(new ResetRequest(ResetTrigger.Timer));

        Assert.Equal((200, "ignored"), (status, answer.GetProperty("result").GetString()));
        Assert.Contains("Stripe:ApiKey", answer.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal([new SkippedSubscription("sub_1Cut", SkipReason.RenewalUnconfirmed)], run.Summary!.Skipped);
        Assert.Equal(40, (await app.Store.GetRequiredAsync("sub_1Cut")).Balance);
    }

    // Case 3: the same with an API key: the lines are listed and the plan's line found.
    [Fact]
    public async Task InvoicePaid_PlanLineNotOnFirstPageWithApiKey_ListsTheLinesAndResets()
    {
        await using var app = await AppHost.StartAsync(P1, stripe: _stripe);
        await CreateAndSpendAsync(app, "sub_1List", MonthlyPro, P2.AddMinutes(30));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1ListU", "customer.subscription.updated", P2, "sub_1List", "active", MonthlyPro, P2));
        var firstPage = ProrationPage("in_1List", "sub_1List");
        _stripe.InvoiceLines["in_1List"] =
            [.. firstPage.Select(l => l.ToJsonString()), Line("in_1List", "sub_1List", "si_1List", MonthlyPro, P2, P2.AddMonths(1)).ToJsonString()];

        var result = await WebhookClient.DeliverOkAsync(app, InvoicePaid("evt_1List", P2.AddMinutes(2), "sub_1List", MonthlyPro, P2, firstPage, hasMore: true));

        Assert.Equal("synced; reset", result);
        Assert.Equal(1000, (await app.Store.GetRequiredAsync("sub_1List")).Balance);
        Assert.Contains(_stripe.Requests, r => r.PathAndQuery.StartsWith("/v1/invoices/in_1List/lines", StringComparison.Ordinal));
    }

    // Case 8: two different updates stamped with the same second.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TwoUpdatesInTheSameSecond_WithApiKeyStripeDecides_WithoutTheLaterDeliveryWins(bool withApiKey)
    {
        await using var app = await AppHost.StartAsync(P1.AddHours(1), stripe: withApiKey ? _stripe : null);
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1SC", "customer.subscription.created", P1, "sub_1Same", "active", MonthlyPro, P1));
        var second = P1.AddMinutes(10);
        // Stripe's current object says the cancellation was undone: the first delivery below is the newer state.
        _stripe.Subscriptions["sub_1Same"] = Subscription("sub_1Same", "active", MonthlyPro, P1, P2, cancelAtPeriodEnd: false);

        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1SA", "customer.subscription.updated", second, "sub_1Same", "active", MonthlyPro, P1, cancelAtPeriodEnd: false));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1SB", "customer.subscription.updated", second, "sub_1Same", "active", MonthlyPro, P1, cancelAtPeriodEnd: true));

        var stored = await app.Store.GetRequiredAsync("sub_1Same");
        Assert.Equal(!withApiKey, stored.Stripe.CancelAtPeriodEnd);
        Assert.Equal(withApiKey, _stripe.Requests.Any(r => r.PathAndQuery.StartsWith("/v1/subscriptions/sub_1Same", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task PlanChangeThatReplacesTheItem_InvoicePaidFirstWithoutApiKey_ResetsWithTheNewPlanWhenItsStateArrives()
    {
        await using var app = await AppHost.StartAsync(P1.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, Event("evt_1RC", "customer.subscription.created", P1, Subscription("sub_1Repl", "active", MonthlyPro, P1, P2, itemId: "si_1Old")));
        app.Time.SetUtcNow(P2.AddHours(1));

        // items: [{ id: si_1Old, deleted: true }, { price: yearly team }] at renewal: a new item on the invoice.
        var paid = await WebhookClient.DeliverOkAsync(app, InvoicePaid("evt_1RP", P2.AddMinutes(2), "sub_1Repl", YearlyTeam, P2,
            [Line("in_1RP", "sub_1Repl", "si_1New", YearlyTeam, P2, P2.AddYears(1))]));
        var updated = await WebhookClient.DeliverOkAsync(app, Event("evt_1RU", "customer.subscription.updated", P2,
            Subscription("sub_1Repl", "active", YearlyTeam, P2, P2.AddYears(1), itemId: "si_1New")));

        Assert.StartsWith("paid-recorded", paid, StringComparison.Ordinal);
        Assert.Equal("synced; reset", updated);
        Assert.Equal(5000, (await app.Store.GetRequiredAsync("sub_1Repl")).Balance);
    }

    [Fact]
    public async Task AllowPastDue_AMonthlyRenewalWhosePaymentFailed_StillGetsItsAllowance()
    {
        await using var app = await AppHost.StartAsync(P1.AddMinutes(1), new Dictionary<string, string?> { ["Reset:AllowPastDue"] = "true" });
        await WebhookClient.DeliverOkAsync(app, Event("evt_1PC", "customer.subscription.created", P1, Subscription("sub_1Late", "active", MonthlyPro, P1, P2)));
        Assert.True((await app.Store.TryChangeAsync("sub_1Late", s => s with { Balance = 3 })).Applied);
        app.Time.SetUtcNow(P2.AddHours(2));

        var updated = await WebhookClient.DeliverOkAsync(app, Event("evt_1PU", "customer.subscription.updated", P2.AddHours(1), Subscription("sub_1Late", "past_due", MonthlyPro, P2, P2.AddMonths(1))));

        Assert.Equal("synced; reset", updated);
        Assert.Equal(1000, (await app.Store.GetRequiredAsync("sub_1Late")).Balance);
    }

    [Fact]
    public async Task InvoiceForAPeriodThatHasNotStarted_IsIgnoredAndLaterEventsStillApply()
    {
        await using var app = await AppHost.StartAsync(P1.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, Event("evt_1FC", "customer.subscription.created", P1, Subscription("sub_1Future", "active", MonthlyPro, P1, P2)));

        var (status, answer) = await WebhookClient.DeliverAsync(app, InvoicePaid("evt_1FP", P1.AddMinutes(2), "sub_1Future", MonthlyPro, P1.AddYears(2)));
        var deleted = await WebhookClient.DeliverOkAsync(app, Event("evt_1FD", "customer.subscription.deleted", P1.AddMinutes(3), Subscription("sub_1Future", "canceled", MonthlyPro, P1, P2)));

        Assert.Equal((200, "ignored"), (status, answer.GetProperty("result").GetString()));
        Assert.Equal("synced", deleted);
        Assert.Equal(("canceled", P1), ((await app.Store.GetRequiredAsync("sub_1Future")).Stripe.Status, (await app.Store.GetRequiredAsync("sub_1Future")).Stripe.PeriodStart));
    }
}
