using Microsoft.Extensions.Logging;
using static CreditFunctions.Tests.Stripe.Deliveries;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Stripe;

/// <summary>The daily run recovering lost renewal webhooks from the Stripe API (a fake one on 127.0.0.1).</summary>
public sealed class ReconciliationTests : IDisposable
{
    private static readonly DateTimeOffset PeriodStart = Utc(2026, 1, 15, 9, 30);
    private static readonly DateTimeOffset Renewal = PeriodStart.AddMonths(1);
    private static readonly DateTimeOffset NextRun = Utc(2026, 2, 16, 2); // the first 02:00 run after the renewal
    private static readonly DateTimeOffset P1 = PeriodStart;
    private static readonly DateTimeOffset P2 = Renewal;

    private readonly FakeStripeApi _stripe = new();

    public void Dispose() => _stripe.Dispose();

    /// <summary>A monthly subscription as the webhooks left it in January; February's renewal webhooks were lost.</summary>
    private static async Task<ICreditStore> SeedJanuaryAsync(AppHost app, string id)
    {
        var result = await WebhookClient.DeliverOkAsync(app, Event("evt_" + id[4..], "customer.subscription.created", PeriodStart,
            Subscription(id, "active", MonthlyPro, PeriodStart, Renewal)));
        Assert.Equal("synced; reset", result);
        return app.Services.GetRequiredService<ICreditStore>();
    }

    private void StripeHasRenewed(string id, string status = "active", string invoiceStatus = "paid") =>
        _stripe.Subscriptions[id] = Subscription(id, status, MonthlyPro, Renewal, Renewal.AddMonths(1),
            latestInvoice: Invoice("in_" + id[4..], id, MonthlyPro, Renewal, Renewal.AddMonths(1), invoiceStatus));

    [Fact]
    public async Task PeriodEnded_StripeSaysRenewedAndPaid_SyncsAndResets()
    {
        await using var app = await AppHost.StartAsync(PeriodStart, stripe: _stripe);
        var store = await SeedJanuaryAsync(app, "sub_1Lost");
        Assert.True((await store.TryChangeAsync("sub_1Lost", s => s with { Balance = 3 })).Applied);
        StripeHasRenewed("sub_1Lost");
        app.Time.SetUtcNow(NextRun);

        var summary = await app.RunAsync();

        Assert.Equal(1, summary.Counts.Reset);
        var stored = await store.GetRequiredAsync("sub_1Lost");
        Assert.Equal((Renewal, Renewal.AddMonths(1), 1000L), (stored.Stripe.PeriodStart, stored.Stripe.PeriodEnd, stored.Balance));
        var renewal = (await store.GetResetHistoryAsync("sub_1Lost"))[^1];
        Assert.Equal((Renewal, 3L, ResetTrigger.Timer, summary.RunId), (renewal.Boundary, renewal.BalanceBefore, renewal.Trigger, renewal.RunId));
        Assert.Equal([Renewal.AddMonths(1)], (await store.AllDueAsync()).Select(d => d.DueAt));
        var request = Assert.Single(_stripe.Requests);
        Assert.StartsWith("/v1/subscriptions/sub_1Lost?", request.PathAndQuery, StringComparison.Ordinal);
        Assert.Contains("latest_invoice", Uri.UnescapeDataString(request.PathAndQuery), StringComparison.Ordinal);
        Assert.Equal($"Bearer {FakeStripeApi.ApiKey}", request.Authorization);
    }

    [Fact]
    public async Task PeriodEnded_StripeSaysRenewedButUnpaid_SyncsWithoutReset()
    {
        await using var app = await AppHost.StartAsync(PeriodStart, stripe: _stripe);
        var store = await SeedJanuaryAsync(app, "sub_1Unpaid");
        StripeHasRenewed("sub_1Unpaid", status: "past_due", invoiceStatus: "open");
        app.Time.SetUtcNow(NextRun);

        var summary = await app.RunAsync();

        Assert.Equal(0, summary.Counts.Reset);
        var stored = await store.GetRequiredAsync("sub_1Unpaid");
        Assert.Equal(("past_due", Renewal), (stored.Stripe.Status, stored.Stripe.PeriodStart));
        Assert.Single(await store.GetResetHistoryAsync("sub_1Unpaid"));
    }

    [Fact]
    public async Task PeriodEnded_StripeSaysCanceled_SyncsAndLeavesTheIndex()
    {
        await using var app = await AppHost.StartAsync(PeriodStart, stripe: _stripe);
        var store = await SeedJanuaryAsync(app, "sub_1Gone");
        _stripe.Subscriptions["sub_1Gone"] = Subscription("sub_1Gone", "canceled", MonthlyPro, PeriodStart, Renewal);
        app.Time.SetUtcNow(NextRun);

        var summary = await app.RunAsync();

        Assert.Equal([new SkippedSubscription("sub_1Gone", "status:canceled")], summary.Skipped);
        Assert.Equal("canceled", (await store.GetRequiredAsync("sub_1Gone")).Stripe.Status);
        Assert.Empty(await store.AllDueAsync());
    }

    [Fact]
    public async Task PeriodEnded_NoApiKey_WarnsAndReportsStaleSubscription()
    {
        await using var app = await AppHost.StartAsync(PeriodStart);
        var store = await SeedJanuaryAsync(app, "sub_1Quiet");
        app.Time.SetUtcNow(NextRun);

        var summary = await app.RunAsync();

        Assert.Equal([new SkippedSubscription("sub_1Quiet", SkipReason.AwaitingRenewal)], summary.Skipped);
        Assert.Single(app.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("sub_1Quiet: billing period ended", StringComparison.Ordinal));
        Assert.Empty(_stripe.Requests);
        Assert.Equal([Utc(2026, 2, 17)], (await store.AllDueAsync()).Select(d => d.DueAt)); // looked at again tomorrow, from the start of the day
    }

    [Fact]
    public async Task RenewalWebhookRacingTheTimer_ResetsEachPeriodOnce()
    {
        await using var app = await AppHost.StartAsync(PeriodStart, stripe: _stripe);
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
        var timer = app.RunAsync();
        var results = await Task.WhenAll(webhooks);
        var summary = await timer;

        var store = app.Services.GetRequiredService<ICreditStore>();
        foreach (var id in ids)
        {
            var renewals = (await store.GetResetHistoryAsync(id)).Where(r => r.Boundary == Renewal).ToList();
            Assert.Single(renewals);
            Assert.Equal(1000, (await store.GetRequiredAsync(id)).Balance);
        }

        Assert.Equal(ids.Length, summary.Counts.Reset + results.Count(r => r.EndsWith("; reset", StringComparison.Ordinal)));
    }

    /// <summary>The renewal's update arrived (the stored period moved on) but its invoice.paid never did.</summary>
    private static async Task<ICreditStore> RenewedWithoutPaymentAsync(AppHost app, string id)
    {
        var store = await SeedJanuaryAsync(app, id);
        Assert.True((await store.TryChangeAsync(id, s => s with { Balance = 5 })).Applied);
        app.Time.SetUtcNow(Renewal.AddMinutes(1));
        Assert.Equal("synced", await WebhookClient.DeliverOkAsync(app, Event("evt_upd" + id[4..], "customer.subscription.updated", Renewal,
            Subscription(id, "active", MonthlyPro, Renewal, Renewal.AddMonths(1)))));
        return store;
    }

    // Case 4: a lost invoice.paid is looked up while the period is open, through the period's own invoice.
    [Fact]
    public async Task LostInvoicePaid_RunAfterTheGrace_FindsThePeriodsPaidInvoiceAndResets()
    {
        await using var app = await AppHost.StartAsync(PeriodStart, stripe: _stripe);
        var store = await RenewedWithoutPaymentAsync(app, "sub_1NoPaid");
        // The latest invoice is a later, unpaid one: the paid renewal invoice is found by listing the paid ones.
        _stripe.Subscriptions["sub_1NoPaid"] = Subscription("sub_1NoPaid", "active", MonthlyPro, Renewal, Renewal.AddMonths(1),
            latestInvoice: Invoice("in_1Later", "sub_1NoPaid", MonthlyPro, Renewal.AddDays(1), Renewal.AddMonths(1), status: "open", billingReason: "subscription_update",
                lines: [Line("in_1Later", "sub_1NoPaid", "si_1NoPaid", MonthlyPro, Renewal.AddDays(1), Renewal.AddMonths(1), proration: true)]));
        _stripe.PaidInvoices["sub_1NoPaid"] = [Invoice("in_1Renewal", "sub_1NoPaid", MonthlyPro, Renewal, Renewal.AddMonths(1))];
        app.Time.SetUtcNow(NextRun);

        var summary = await app.RunAsync();

        Assert.Equal(1, summary.Counts.Reset);
        var stored = await store.GetRequiredAsync("sub_1NoPaid");
        Assert.Equal((1000L, Renewal, Renewal), (stored.Balance, stored.LastResetBoundary!.Value, stored.PaidPeriodStart!.Value));
        Assert.Contains(_stripe.Requests, r => r.PathAndQuery.StartsWith("/v1/invoices?", StringComparison.Ordinal) && r.PathAndQuery.Contains("subscription=sub_1NoPaid", StringComparison.Ordinal));
    }

    // Case 4 without an API key: every run reports it and warns, until the payment is seen.
    [Fact]
    public async Task LostInvoicePaid_NoApiKey_EveryRunReportsItUntilThePaymentArrives()
    {
        await using var app = await AppHost.StartAsync(PeriodStart);
        var store = await RenewedWithoutPaymentAsync(app, "sub_1Unconf");

        var runs = new List<ResetRunSummary>();
        for (var day = 0; day < 3; day++)
        {
            app.Time.SetUtcNow(NextRun.AddDays(day));
            runs.Add(await app.RunAsync());
        }

        Assert.All(runs, r => Assert.Equal([new SkippedSubscription("sub_1Unconf", SkipReason.RenewalUnconfirmed)], r.Skipped));
        Assert.Equal(3, app.Logs.Entries.Count(e => e.Level == LogLevel.Warning && e.Message.Contains("sub_1Unconf: the payment of the billing period", StringComparison.Ordinal)));
        Assert.Equal(5, (await store.GetRequiredAsync("sub_1Unconf")).Balance);

        var paid = await WebhookClient.DeliverOkAsync(app, Event("evt_1LatePaid", "invoice.paid", NextRun.AddDays(2), Invoice("in_1Unconf", "sub_1Unconf", MonthlyPro, Renewal, Renewal.AddMonths(1))));
        Assert.Equal("synced; reset", paid);
        Assert.Equal(1000, (await store.GetRequiredAsync("sub_1Unconf")).Balance);
    }

    // Case 5: a Stripe API that hangs costs the subscriptions that need it, not the run.
    [Fact]
    public async Task HangingStripeApi_TheRunCompletesResetsTheRestAndRecordsTheFailure()
    {
        await using var app = await AppHost.StartAsync(PeriodStart, new Dictionary<string, string?>
        {
            ["Stripe:ApiKey"] = "sk_test_fakeKeyForTests",
            ["Stripe:ApiBase"] = _stripe.BaseUri.ToString(),
            ["Stripe:RequestTimeout"] = "00:00:01",
        });
        var store = await SeedJanuaryAsync(app, "sub_1Hung");
        var yearly = Enumerable.Range(0, 5).Select(i => $"sub_1Yearly{i}").ToArray();
        foreach (var id in yearly)
        {
            await store.SeedAsync(Yearly(id, PeriodStart.AddMonths(-3), balance: 1), Renewal.AddMonths(-2));
        }

        _stripe.Hang = true;
        app.Time.SetUtcNow(NextRun);

        var started = System.Diagnostics.Stopwatch.StartNew();
        var summary = await app.RunAsync();

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"the run took {started.Elapsed}");
        Assert.Equal((yearly.Length, 1), (summary.Counts.Reset, summary.Counts.Failed));
        Assert.All(yearly, id => Assert.Equal(1000, store.GetRequiredAsync(id).Result.Balance));
        Assert.Contains(app.Logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("Reset of sub_1Hung failed", StringComparison.Ordinal));
        Assert.Contains(await store.AllDueAsync(), e => e.SubscriptionId == "sub_1Hung"); // it stays due for the next run
    }

    // Case 8: a paused subscription past its period end is looked up daily for a week, then weekly, and only writes what changes.
    [Fact]
    public async Task PausedPastPeriodEnd_IsLookedUpDailyForAWeekThenWeekly()
    {
        await using var app = await AppHost.StartAsync(PeriodStart, stripe: _stripe);
        var store = await SeedJanuaryAsync(app, "sub_1Paused");
        await WebhookClient.DeliverOkAsync(app, Event("evt_1Pause", "customer.subscription.paused", PeriodStart.AddDays(3),
            Subscription("sub_1Paused", "paused", MonthlyPro, PeriodStart, Renewal)));
        _stripe.Subscriptions["sub_1Paused"] = Subscription("sub_1Paused", "paused", MonthlyPro, PeriodStart, Renewal);
        var before = await store.GetRequiredAsync("sub_1Paused");

        for (var day = 0; day < 35; day++)
        {
            app.Time.SetUtcNow(NextRun.AddDays(day));
            await app.RunAsync();
        }

        var lookups = _stripe.Requests.Count(r => r.PathAndQuery.StartsWith("/v1/subscriptions/sub_1Paused", StringComparison.Ordinal));
        Assert.InRange(lookups, 10, 12); // daily for the first week, then weekly: not 35
        var after = await store.GetRequiredAsync("sub_1Paused");
        Assert.Equal(before.Stripe, after.Stripe); // a sync that changes nothing writes nothing of Stripe's view
        var next = Assert.Single(await store.AllDueAsync());
        Assert.Equal((await store.GetAccountAsync("cus_1Paused"))!.Due["sub_1Paused"].DueAt, next.DueAt);
    }

    // Case 8: the API's answer is stamped with Stripe's clock (its Date header), not ours, so events order against it.
    [Fact]
    public async Task Reconciled_StateIsStampedWithStripesTimeSoALaterEventStillApplies()
    {
        await using var app = await AppHost.StartAsync(PeriodStart, stripe: _stripe);
        var store = await SeedJanuaryAsync(app, "sub_1Clock");
        StripeHasRenewed("sub_1Clock");
        app.Time.SetUtcNow(NextRun);
        var stripeNow = NextRun.AddMinutes(-10); // Stripe's clock is behind ours here
        _stripe.Clock = () => stripeNow;

        await app.RunAsync();
        var late = await WebhookClient.DeliverOkAsync(app, Event("evt_1Late", "customer.subscription.updated", stripeNow.AddMinutes(5),
            Subscription("sub_1Clock", "active", MonthlyPro, Renewal, Renewal.AddMonths(1), cancelAtPeriodEnd: true)));

        Assert.Equal("synced", late);
        var stored = await store.GetRequiredAsync("sub_1Clock");
        Assert.Equal((true, stripeNow.AddMinutes(5)), (stored.Stripe.CancelAtPeriodEnd, stored.Stripe.AsOf!.Value));
    }

    // Case 8: canceling a subscription takes every index entry it has, even one a run moved while skipping it.
    [Fact]
    public async Task DeletedAfterARunSkippedIt_LeavesNoIndexEntry()
    {
        await using var app = await AppHost.StartAsync(PeriodStart);
        await WebhookClient.DeliverOkAsync(app, Event("evt_1YC", "customer.subscription.created", PeriodStart, Subscription("sub_1Gone", "active", YearlyPro, PeriodStart, PeriodStart.AddYears(1))));
        await WebhookClient.DeliverOkAsync(app, Event("evt_1YU", "customer.subscription.updated", PeriodStart.AddDays(20), Subscription("sub_1Gone", "past_due", YearlyPro, PeriodStart, PeriodStart.AddYears(1))));
        app.Time.SetUtcNow(NextRun);
        var run = await app.RunAsync();
        var store = app.Services.GetRequiredService<ICreditStore>();
        Assert.Equal([new SkippedSubscription("sub_1Gone", "status:past_due")], run.Skipped);
        Assert.Equal([Renewal.AddMonths(1)], (await store.AllDueAsync()).Select(e => e.DueAt));

        await WebhookClient.DeliverOkAsync(app, Event("evt_1YD", "customer.subscription.deleted", NextRun, Subscription("sub_1Gone", "canceled", YearlyPro, PeriodStart, PeriodStart.AddYears(1))));

        Assert.Empty(await store.AllDueAsync());
    }

    [Fact]
    public async Task Reconciliation_ThePlansLineOnThePaidInvoicesSecondPage_IsFoundAndResets()
    {
        await using var app = await AppHost.StartAsync(P1.AddMinutes(1), stripe: _stripe);
        await WebhookClient.DeliverOkAsync(app, Event("evt_1LC", "customer.subscription.created", P1, Subscription("sub_1Page", "active", MonthlyPro, P1, P2)));
        var others = Enumerable.Range(0, 10).Select(i => Line("in_1Page", "sub_1Page", $"si_1Seat{i}", MonthlyLite, P2, P2.AddMonths(1))).ToList();
        var planLine = Line("in_1Page", "sub_1Page", "si_1Page", MonthlyPro, P2, P2.AddMonths(1));
        _stripe.Subscriptions["sub_1Page"] = Subscription("sub_1Page", "active", MonthlyPro, P2, P2.AddMonths(1),
            latestInvoice: Invoice("in_1Page", "sub_1Page", MonthlyPro, P2, P2.AddMonths(1), lines: others, hasMore: true));
        _stripe.InvoiceLines["in_1Page"] = [.. others.Select(l => l.ToJsonString()), planLine.ToJsonString()];
        app.Time.SetUtcNow(Utc(2026, 2, 16, 2));

        var summary = await app.RunAsync();

        Assert.Equal(1, summary.Counts.Reset);
        Assert.Contains(_stripe.Requests, r => r.PathAndQuery.StartsWith("/v1/invoices/in_1Page/lines", StringComparison.Ordinal));
    }

    [Fact]
    public async Task InvoicePaidForASubscriptionStripeDoesNotKnow_Answers200UnknownSubscription()
    {
        await using var app = await AppHost.StartAsync(P1.AddMinutes(1), stripe: _stripe);

        var (status, answer) = await WebhookClient.DeliverAsync(app, InvoicePaid("evt_1Gone", P1, "sub_1Gone", MonthlyPro, P1, billingReason: "subscription_create"));

        Assert.Equal((200, "unknown-subscription"), (status, answer.GetProperty("result").GetString()));
    }

    [Fact]
    public async Task Reconciliation_StripeDoesNotKnowTheSubscription_TheRunReportsItWithoutFailing()
    {
        await using var app = await AppHost.StartAsync(P1.AddMinutes(1), stripe: _stripe);
        await WebhookClient.DeliverOkAsync(app, Event("evt_1NC", "customer.subscription.created", P1, Subscription("sub_1Ghost", "active", MonthlyPro, P1, P2)));
        app.Time.SetUtcNow(Utc(2026, 2, 16, 2));

        var summary = await app.RunAsync();

        Assert.Equal(0, summary.Counts.Failed);
        Assert.Equal([new SkippedSubscription("sub_1Ghost", SkipReason.AwaitingRenewal)], summary.Skipped);
        Assert.Contains(app.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("does not know subscription sub_1Ghost", StringComparison.Ordinal));
    }
}
