using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using CreditFunctions.Resets;
using CreditFunctions.Tests.Functions;
using CreditFunctions.Tests.Resets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Stripe;

/// <summary>The daily run recovering lost renewal webhooks from the Stripe API (a fake one on 127.0.0.1).</summary>
public sealed class ReconciliationTests : IDisposable
{
    private static readonly DateTimeOffset PeriodStart = Utc(2026, 1, 15, 9, 30);
    private static readonly DateTimeOffset Renewal = PeriodStart.AddMonths(1);
    private static readonly DateTimeOffset NextRun = Utc(2026, 2, 16, 2); // the first 02:00 run after the renewal

    private readonly FakeStripeApi _stripe = new();

    public void Dispose() => _stripe.Dispose();

    private Task<AppHost> StartAsync(DateTimeOffset now, bool withApiKey = true) => AppHost.StartAsync(now, withApiKey
        ? new Dictionary<string, string?> { ["Stripe:ApiKey"] = "sk_test_fakeKeyForTests", ["Stripe:ApiBase"] = _stripe.BaseUri.ToString() }
        : null);

    /// <summary>A monthly subscription as the webhooks left it in January; February's renewal webhooks were lost.</summary>
    private static async Task<ICreditStore> SeedJanuaryAsync(AppHost app, string id)
    {
        var result = await WebhookClient.DeliverOkAsync(app, Event("evt_" + id[4..], "customer.subscription.created", PeriodStart,
            Subscription(id, "active", MonthlyPro, PeriodStart, Renewal)));
        Assert.Equal("synced; first allowance applied", result);
        return app.Services.GetRequiredService<ICreditStore>();
    }

    private void StripeHasRenewed(string id, string status = "active", string invoiceStatus = "paid") =>
        _stripe.Subscriptions[id] = Subscription(id, status, MonthlyPro, Renewal, Renewal.AddMonths(1),
            latestInvoice: Invoice("in_" + id[4..], id, MonthlyPro, Renewal, Renewal.AddMonths(1), invoiceStatus));

    private static Task<ResetRunSummary> TimerRunAsync(AppHost app) =>
        app.Services.GetRequiredService<CreditResetHandler>().RunAsync(new ResetRequest(ResetTrigger.Timer))
            .ContinueWith(t => t.Result.Summary!, TaskScheduler.Default);

    [Fact]
    public async Task PeriodEnded_StripeSaysRenewedAndPaid_SyncsAndResets()
    {
        await using var app = await StartAsync(PeriodStart);
        var store = await SeedJanuaryAsync(app, "sub_1Lost");
        var spent = await store.GetRequiredAsync("sub_1Lost");
        Assert.True(await store.TrySaveAsync(spent with { Balance = 3, Version = spent.Version + 1 }));
        StripeHasRenewed("sub_1Lost");
        app.Time.SetUtcNow(NextRun);

        var summary = await TimerRunAsync(app);

        Assert.Equal(1, summary.Counts.Reset);
        var stored = await store.GetRequiredAsync("sub_1Lost");
        Assert.Equal((Renewal, Renewal.AddMonths(1), 1000L), (stored.Stripe.PeriodStart, stored.Stripe.PeriodEnd, stored.Balance));
        var renewal = (await store.GetResetHistoryAsync("sub_1Lost"))[^1];
        Assert.Equal((Renewal, 3L, ResetTrigger.Timer, summary.RunId), (renewal.Boundary, renewal.BalanceBefore, renewal.Trigger, renewal.RunId));
        Assert.Equal([Renewal.AddMonths(1)], (await store.AllDueAsync()).Select(d => d.DueAt));
        var request = Assert.Single(_stripe.Requests);
        Assert.StartsWith("/v1/subscriptions/sub_1Lost?", request.PathAndQuery, StringComparison.Ordinal);
        Assert.Contains("latest_invoice", Uri.UnescapeDataString(request.PathAndQuery), StringComparison.Ordinal);
        Assert.Equal("Bearer sk_test_fakeKeyForTests", request.Authorization);
    }

    [Fact]
    public async Task PeriodEnded_StripeSaysRenewedButUnpaid_SyncsWithoutReset()
    {
        await using var app = await StartAsync(PeriodStart);
        var store = await SeedJanuaryAsync(app, "sub_1Unpaid");
        StripeHasRenewed("sub_1Unpaid", status: "past_due", invoiceStatus: "open");
        app.Time.SetUtcNow(NextRun);

        var summary = await TimerRunAsync(app);

        Assert.Equal(0, summary.Counts.Reset);
        var stored = await store.GetRequiredAsync("sub_1Unpaid");
        Assert.Equal(("past_due", Renewal), (stored.Stripe.Status, stored.Stripe.PeriodStart));
        Assert.Single(await store.GetResetHistoryAsync("sub_1Unpaid"));
    }

    [Fact]
    public async Task PeriodEnded_StripeSaysCanceled_SyncsAndLeavesTheIndex()
    {
        await using var app = await StartAsync(PeriodStart);
        var store = await SeedJanuaryAsync(app, "sub_1Gone");
        _stripe.Subscriptions["sub_1Gone"] = Subscription("sub_1Gone", "canceled", MonthlyPro, PeriodStart, Renewal);
        app.Time.SetUtcNow(NextRun);

        var summary = await TimerRunAsync(app);

        Assert.Equal([new SkippedSubscription("sub_1Gone", "status:canceled")], summary.Skipped);
        Assert.Equal("canceled", (await store.GetRequiredAsync("sub_1Gone")).Stripe.Status);
        Assert.Empty(await store.AllDueAsync());
    }

    [Fact]
    public async Task PeriodEnded_NoApiKey_WarnsAndReportsStaleSubscription()
    {
        await using var app = await StartAsync(PeriodStart, withApiKey: false);
        var store = await SeedJanuaryAsync(app, "sub_1Quiet");
        app.Time.SetUtcNow(NextRun);

        var summary = await TimerRunAsync(app);

        Assert.Equal([new SkippedSubscription("sub_1Quiet", SkipReason.AwaitingRenewal)], summary.Skipped);
        Assert.Single(app.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("sub_1Quiet: billing period ended", StringComparison.Ordinal));
        Assert.Empty(_stripe.Requests);
        Assert.Equal([NextRun.AddDays(1)], (await store.AllDueAsync()).Select(d => d.DueAt)); // looked at again tomorrow
    }

    [Fact]
    public async Task RenewalWebhookRacingTheTimer_ResetsEachPeriodOnce()
    {
        await using var app = await StartAsync(PeriodStart);
        var ids = Enumerable.Range(0, 12).Select(i => $"sub_1Race{i:D2}").ToArray();
        foreach (var id in ids)
        {
            await SeedJanuaryAsync(app, id);
            StripeHasRenewed(id);
        }

        app.Time.SetUtcNow(NextRun);

        // The late invoice.paid deliveries and the timer's reconciliation land at the same time.
        var webhooks = ids.Select(id => WebhookClient.DeliverOkAsync(app,
            Event("evt_paid" + id[4..], "invoice.paid", NextRun, Invoice("in_" + id[4..], id, MonthlyPro, Renewal, Renewal.AddMonths(1))))).ToList();
        var timer = TimerRunAsync(app);
        var results = await Task.WhenAll(webhooks);
        var summary = await timer;

        var store = app.Services.GetRequiredService<ICreditStore>();
        foreach (var id in ids)
        {
            var renewals = (await store.GetResetHistoryAsync(id)).Where(r => r.Boundary == Renewal).ToList();
            Assert.Single(renewals);
            Assert.Equal(1000, (await store.GetRequiredAsync(id)).Balance);
        }

        Assert.Equal(ids.Length, summary.Counts.Reset + results.Count(r => r == "renewal reset"));
    }
}
