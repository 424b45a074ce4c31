using CreditFunctions.Resets;
using CreditFunctions.Runs;
using CreditFunctions.Storage;
using CreditFunctions.Tests.Functions;
using CreditFunctions.Tests.Resets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static CreditFunctions.Tests.Stripe.Deliveries;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Stripe;

/// <summary>Cases an adopter's review of the webhook path found losing credits or answering 500; each failed before its fix.</summary>
public sealed class StripeReviewFindingsTests : IDisposable
{
    private static readonly DateTimeOffset P1 = Utc(2026, 1, 15, 9, 30);
    private static readonly DateTimeOffset P2 = P1.AddMonths(1);

    private readonly FakeStripeApi _stripe = new();

    public void Dispose() => _stripe.Dispose();

    private async Task<AppHost> StartAsync(DateTimeOffset now, bool withApiKey = false, Dictionary<string, string?>? extra = null)
    {
        var settings = withApiKey
            ? new Dictionary<string, string?> { ["Stripe:ApiKey"] = "rk_test_fakeKeyForTests", ["Stripe:ApiBase"] = _stripe.BaseUri.ToString() }
            : [];
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        var app = await AppHost.StartAsync(now, settings);
        _stripe.Clock = app.Time.GetUtcNow;
        return app;
    }

    private static ICreditStore Store(AppHost app) => app.Services.GetRequiredService<ICreditStore>();

    private static Task<ResetRunSummary> TimerRunAsync(AppHost app) =>
        app.Services.GetRequiredService<CreditResetHandler>().RunAsync(new ResetRequest(ResetTrigger.Timer)).ContinueWith(t => t.Result.Summary!, TaskScheduler.Default);

    [Fact]
    public async Task PlanChangeThatReplacesTheItem_InvoicePaidFirstWithoutApiKey_ResetsWithTheNewPlanWhenItsStateArrives()
    {
        await using var app = await StartAsync(P1.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, Event("evt_1RC", "customer.subscription.created", P1, Subscription("sub_1Repl", "active", MonthlyPro, P1, P2, itemId: "si_1Old")));
        app.Time.SetUtcNow(P2.AddHours(1));

        // items: [{ id: si_1Old, deleted: true }, { price: yearly team }] at renewal: a new item on the invoice.
        var paid = await WebhookClient.DeliverOkAsync(app, InvoicePaid("evt_1RP", P2.AddMinutes(2), "sub_1Repl", YearlyTeam, P2,
            [Line("in_1RP", "sub_1Repl", "si_1New", YearlyTeam, P2, P2.AddYears(1))]));
        var updated = await WebhookClient.DeliverOkAsync(app, Event("evt_1RU", "customer.subscription.updated", P2,
            Subscription("sub_1Repl", "active", YearlyTeam, P2, P2.AddYears(1), itemId: "si_1New")));

        Assert.StartsWith("paid-recorded", paid, StringComparison.Ordinal);
        Assert.Equal("synced; reset", updated);
        Assert.Equal(5000, (await Store(app).GetRequiredAsync("sub_1Repl")).Balance);
    }

    [Fact]
    public async Task AllowPastDue_AMonthlyRenewalWhosePaymentFailed_StillGetsItsAllowance()
    {
        await using var app = await StartAsync(P1.AddMinutes(1), extra: new() { ["Reset:AllowPastDue"] = "true" });
        await WebhookClient.DeliverOkAsync(app, Event("evt_1PC", "customer.subscription.created", P1, Subscription("sub_1Late", "active", MonthlyPro, P1, P2)));
        Assert.True((await Store(app).TryChangeAsync("sub_1Late", s => s with { Balance = 3 })).Applied);
        app.Time.SetUtcNow(P2.AddHours(2));

        var updated = await WebhookClient.DeliverOkAsync(app, Event("evt_1PU", "customer.subscription.updated", P2.AddHours(1), Subscription("sub_1Late", "past_due", MonthlyPro, P2, P2.AddMonths(1))));

        Assert.Equal("synced; reset", updated);
        Assert.Equal(1000, (await Store(app).GetRequiredAsync("sub_1Late")).Balance);
    }

    [Fact]
    public async Task Reconciliation_ThePlansLineOnThePaidInvoicesSecondPage_IsFoundAndResets()
    {
        await using var app = await StartAsync(P1.AddMinutes(1), withApiKey: true);
        await WebhookClient.DeliverOkAsync(app, Event("evt_1LC", "customer.subscription.created", P1, Subscription("sub_1Page", "active", MonthlyPro, P1, P2)));
        var others = Enumerable.Range(0, 10).Select(i => Line("in_1Page", "sub_1Page", $"si_1Seat{i}", MonthlyLite, P2, P2.AddMonths(1))).ToList();
        var planLine = Line("in_1Page", "sub_1Page", "si_1Page", MonthlyPro, P2, P2.AddMonths(1));
        _stripe.Subscriptions["sub_1Page"] = Subscription("sub_1Page", "active", MonthlyPro, P2, P2.AddMonths(1),
            latestInvoice: Invoice("in_1Page", "sub_1Page", MonthlyPro, P2, P2.AddMonths(1), lines: others, hasMore: true));
        _stripe.InvoiceLines["in_1Page"] = [.. others.Select(l => l.ToJsonString()), planLine.ToJsonString()];
        app.Time.SetUtcNow(Utc(2026, 2, 16, 2));

        var summary = await TimerRunAsync(app);

        Assert.Equal(1, summary.Counts.Reset);
        Assert.Contains(_stripe.Requests, r => r.PathAndQuery.StartsWith("/v1/invoices/in_1Page/lines", StringComparison.Ordinal));
    }

    [Fact]
    public async Task InvoiceForAPeriodThatHasNotStarted_IsIgnoredAndLaterEventsStillApply()
    {
        await using var app = await StartAsync(P1.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, Event("evt_1FC", "customer.subscription.created", P1, Subscription("sub_1Future", "active", MonthlyPro, P1, P2)));

        var (status, answer) = await WebhookClient.DeliverAsync(app, InvoicePaid("evt_1FP", P1.AddMinutes(2), "sub_1Future", MonthlyPro, P1.AddYears(2)));
        var deleted = await WebhookClient.DeliverOkAsync(app, Event("evt_1FD", "customer.subscription.deleted", P1.AddMinutes(3), Subscription("sub_1Future", "canceled", MonthlyPro, P1, P2)));

        Assert.Equal((200, "ignored"), (status, answer.GetProperty("result").GetString()));
        Assert.Equal("synced", deleted);
        Assert.Equal(("canceled", P1), ((await Store(app).GetRequiredAsync("sub_1Future")).Stripe.Status, (await Store(app).GetRequiredAsync("sub_1Future")).Stripe.PeriodStart));
    }

    [Fact]
    public async Task InvoicePaidForASubscriptionStripeDoesNotKnow_Answers200UnknownSubscription()
    {
        await using var app = await StartAsync(P1.AddMinutes(1), withApiKey: true);

        var (status, answer) = await WebhookClient.DeliverAsync(app, InvoicePaid("evt_1Gone", P1, "sub_1Gone", MonthlyPro, P1, billingReason: "subscription_create"));

        Assert.Equal((200, "unknown-subscription"), (status, answer.GetProperty("result").GetString()));
    }

    [Fact]
    public async Task Reconciliation_StripeDoesNotKnowTheSubscription_TheRunReportsItWithoutFailing()
    {
        await using var app = await StartAsync(P1.AddMinutes(1), withApiKey: true);
        await WebhookClient.DeliverOkAsync(app, Event("evt_1NC", "customer.subscription.created", P1, Subscription("sub_1Ghost", "active", MonthlyPro, P1, P2)));
        app.Time.SetUtcNow(Utc(2026, 2, 16, 2));

        var summary = await TimerRunAsync(app);

        Assert.Equal(0, summary.Counts.Failed);
        Assert.Equal([new SkippedSubscription("sub_1Ghost", SkipReason.AwaitingRenewal)], summary.Skipped);
        Assert.Contains(app.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("does not know subscription sub_1Ghost", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("event-id")]
    [InlineData("subscription-id")]
    [InlineData("null-id")]
    public async Task SignedPayloadWithIdsStripeNeverSends_IsRefusedOrIgnoredNever500(string kind)
    {
        await using var app = await StartAsync(P1.AddMinutes(1));
        var subscription = System.Text.Json.Nodes.JsonNode.Parse(Subscription("sub_1Odd", "active", MonthlyPro, P1, P2))!;
        var eventId = "evt_1Odd";
        switch (kind)
        {
            case "event-id":
                eventId = "evt_" + new string('x', 2000);
                break;
            case "subscription-id":
                subscription["id"] = "sub_1Odd#/x";
                break;
            default:
                subscription["id"] = null;
                break;
        }

        var (status, _) = await WebhookClient.DeliverAsync(app, Event(eventId, "customer.subscription.created", P1, subscription.ToJsonString()));

        Assert.Equal(kind == "event-id" ? 400 : 200, status);
        Assert.Null(await Store(app).GetAccountAsync("cus_1Odd"));
        Assert.Empty(await Store(app).AllDueAsync());
    }

    [Fact]
    public async Task CreditsMetadataWithSpaces_IsReadAsTheNumber()
    {
        await using var app = await StartAsync(P1.AddMinutes(1));
        var subscription = System.Text.Json.Nodes.JsonNode.Parse(Subscription("sub_1Space", "active", MonthlyPro, P1, P2))!;
        subscription["items"]!["data"]![0]!["price"]!["metadata"] = new System.Text.Json.Nodes.JsonObject { ["credits_per_month"] = " 1000 " };

        await WebhookClient.DeliverOkAsync(app, Event("evt_1Space", "customer.subscription.created", P1, subscription.ToJsonString()));

        Assert.Equal(1000, (await Store(app).GetRequiredAsync("sub_1Space")).Balance);
    }
}
