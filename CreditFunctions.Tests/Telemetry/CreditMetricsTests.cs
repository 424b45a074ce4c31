using CreditFunctions.Functions;
using CreditFunctions.Telemetry;
using Microsoft.Azure.Functions.Worker;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Telemetry;

/// <summary>What an operator's charts and alerts are built on: each instrument, with the right tags, after real work.</summary>
public class CreditMetricsTests
{
    private static readonly DateTimeOffset Start = Utc(2025, 1, 31, 10);
    private static readonly DateTimeOffset RunTime = Utc(2025, 3, 1, 2);

    [Fact]
    public async Task TimerRun_PublishesResetsSkipsOutcomeDurationAndBacklog()
    {
        await using var app = await AppHost.StartAsync(RunTime);
        using var metrics = new MetricCapture(app.Services);
        await app.Store.SeedAsync(Yearly("sub_1MetReset", Start, balance: 2), Utc(2025, 2, 28, 10));
        await app.Store.SeedAsync(Yearly("sub_1MetUnknown", Start, allowance: null), Utc(2025, 2, 28, 10));

        await app.Function<ResetCreditsTimer>().RunAsync(new TimerInfo(), CancellationToken.None);

        Assert.Equal(1, metrics.Sum(CreditMetrics.ResetsApplied, "trigger=timer"));
        Assert.Equal(1, metrics.Sum(CreditMetrics.ResetsSkipped, "trigger=timer", "reason=unknown-plan"));
        Assert.Equal(0, metrics.Sum(CreditMetrics.ResetsFailed));
        var finished = Assert.Single(metrics.Of(CreditMetrics.RunsFinished));
        Assert.Equal(("timer", "succeeded", "false"), (finished.Tags["trigger"], finished.Tags["outcome"], finished.Tags["dry_run"]));
        var duration = Assert.Single(metrics.Of(CreditMetrics.RunsDuration, "trigger=timer", "outcome=succeeded"));
        Assert.InRange(duration.Value, 0, 60);
        Assert.Equal(2, Assert.Single(metrics.Of(CreditMetrics.RunsDue, "trigger=timer")).Value);

        // The reset's ledger entry: 2 credits left, reset to 1000, so the entry moved 998.
        Assert.Equal(998, metrics.Sum(CreditMetrics.LedgerAppended, "kind=reset"));
    }

    [Fact]
    public async Task DryRun_PublishesItsRunButNoResets()
    {
        await using var app = await AppHost.StartAsync(RunTime);
        using var metrics = new MetricCapture(app.Services);
        await app.Store.SeedAsync(Yearly("sub_1MetDry", Start), Utc(2025, 2, 28, 10));

        await app.Services.GetRequiredService<CreditResetHandler>().RunAsync(new ResetRequest(ResetTrigger.Manual, DryRun: true));

        Assert.Equal(0, metrics.Sum(CreditMetrics.ResetsApplied));
        Assert.Empty(metrics.Of(CreditMetrics.LedgerAppended));
        Assert.Single(metrics.Of(CreditMetrics.RunsFinished, "trigger=manual", "outcome=succeeded", "dry_run=true"));
    }

    [Fact]
    public async Task Run_WithAFailingCustomer_PublishesTheFailureAndOutcomeFailed()
    {
        var (app, outage) = await AppHost.StartAsync(RunTime, inner => new OutageStore(inner));
        await using var _ = app;
        using var metrics = new MetricCapture(app.Services);
        await app.Store.SeedAsync(Yearly("sub_1MetOk", Start), Utc(2025, 2, 28, 10));
        await app.Store.SeedAsync(Yearly("sub_1MetFails", Start), Utc(2025, 2, 28, 10));
        outage.FailingCustomers["cus_1MetFails"] = OutageStore.Unreachable;

        await app.Services.GetRequiredService<CreditResetHandler>().RunAsync(new ResetRequest(ResetTrigger.Manual));

        Assert.Equal(1, metrics.Sum(CreditMetrics.ResetsFailed, "trigger=manual"));
        Assert.Equal(1, metrics.Sum(CreditMetrics.ResetsApplied, "trigger=manual"));
        Assert.Single(metrics.Of(CreditMetrics.RunsFinished, "trigger=manual", "outcome=failed"));
    }

    [Fact]
    public async Task TimerRun_StoreUnreachable_PublishesAnAbortedRunAndFailsTheInvocation()
    {
        var (app, outage) = await AppHost.StartAsync(RunTime, inner => new OutageStore(inner));
        await using var _ = app;
        using var metrics = new MetricCapture(app.Services);
        outage.Failure = OutageStore.Unreachable();

        // Thrown, so the Functions host retries the run (see the timer's retry policy).
        var aborted = await Assert.ThrowsAsync<ResetRunAbortedException>(() => app.Function<ResetCreditsTimer>().RunAsync(new TimerInfo(), CancellationToken.None));
        Assert.IsType<Azure.RequestFailedException>(aborted.InnerException);
        Assert.True(aborted.Summary.Aborted);

        Assert.Single(metrics.Of(CreditMetrics.RunsFinished, "trigger=timer", "outcome=aborted", "dry_run=false"));
    }

    [Fact]
    public async Task Run_RenewalThatNeverArrived_PublishesHowLongItHasWaited()
    {
        var periodStart = Utc(2025, 2, 10, 9);
        var periodEnd = periodStart.AddMonths(1);
        await using var app = await AppHost.StartAsync(periodEnd.AddHours(30));
        using var metrics = new MetricCapture(app.Services);
        await app.Store.SeedAsync(Monthly("sub_1MetLate", periodStart), periodEnd);

        await app.Services.GetRequiredService<CreditResetHandler>().RunAsync(new ResetRequest(ResetTrigger.Timer));

        var waiting = Assert.Single(metrics.Of(CreditMetrics.RenewalsWaiting, "reason=period-ended-awaiting-renewal"));
        Assert.Equal(30, waiting.Value, precision: 6);
        Assert.Equal(1, metrics.Sum(CreditMetrics.ResetsSkipped, "trigger=timer", "reason=period-ended-awaiting-renewal"));
    }

    [Fact]
    public async Task Run_PausedSubscriptionPastItsPeriod_IsNotAStuckRenewal()
    {
        var periodStart = Utc(2025, 2, 10, 9);
        var periodEnd = periodStart.AddMonths(1);
        await using var app = await AppHost.StartAsync(periodEnd.AddDays(20));
        using var metrics = new MetricCapture(app.Services);
        await app.Store.SeedAsync(Monthly("sub_1MetPaused", periodStart, "paused"), periodEnd);

        await app.Services.GetRequiredService<CreditResetHandler>().RunAsync(new ResetRequest(ResetTrigger.Timer));

        Assert.Equal(1, metrics.Sum(CreditMetrics.ResetsSkipped, "reason=period-ended-awaiting-renewal"));
        Assert.Empty(metrics.Of(CreditMetrics.RenewalsWaiting));
    }

    [Fact]
    public async Task DailyRuns_StartingAtSlightlyDifferentTimes_LookAtAWaitingRenewalEveryDay()
    {
        var periodStart = Utc(2025, 2, 10, 9);
        var periodEnd = periodStart.AddMonths(1);
        await using var app = await AppHost.StartAsync(periodEnd);
        using var metrics = new MetricCapture(app.Services);
        await app.Store.SeedAsync(Monthly("sub_1MetDaily", periodStart), periodEnd);
        var handler = app.Services.GetRequiredService<CreditResetHandler>();

        // Cold and warm starts: each day's run begins a few seconds earlier or later than the day before.
        var examined = new List<int>();
        foreach (var start in new[] { Utc(2025, 3, 11, 2).AddSeconds(40), Utc(2025, 3, 12, 2).AddSeconds(3), Utc(2025, 3, 13, 2).AddSeconds(25), Utc(2025, 3, 14, 2) })
        {
            app.Time.SetUtcNow(start);
            examined.Add((await handler.RunAsync(new ResetRequest(ResetTrigger.Timer))).Summary!.Counts.Examined);
        }

        Assert.Equal([1, 1, 1, 1], examined);
        Assert.Equal(4, metrics.Of(CreditMetrics.RenewalsWaiting).Count);
    }

    [Fact]
    public async Task Webhook_PublishesEachDeliveryByTypeAndResult_AndRefusalsAsUnverified()
    {
        var now = Utc(2026, 1, 15, 9, 31);
        await using var app = await AppHost.StartAsync(now);
        using var metrics = new MetricCapture(app.Services);
        var created = Deliveries.SubscriptionEvent("evt_1MetCreated", "customer.subscription.created", now, "sub_1MetHook", "active", MonthlyPro, now.AddMinutes(-1));

        await WebhookClient.DeliverOkAsync(app, created);
        await WebhookClient.DeliverOkAsync(app, created);
        var (status, _) = await WebhookClient.DeliverAsync(app, created, secret: "whsec_wrongSecret");

        Assert.Equal(400, status);
        Assert.Equal(1, metrics.Sum(CreditMetrics.WebhooksReceived, "event_type=customer.subscription.created", "result=synced"));
        Assert.Equal(1, metrics.Sum(CreditMetrics.WebhooksReceived, "event_type=customer.subscription.created", "result=duplicate"));
        Assert.Equal(1, metrics.Sum(CreditMetrics.WebhooksReceived, "event_type=unverified", "result=refused"));
        Assert.Equal(1, metrics.Sum(CreditMetrics.ResetsApplied, "trigger=webhook"));
    }

    [Fact]
    public async Task CreditsApi_PublishesGrantsAndSpendsWithTheirCredits()
    {
        await using var app = await AppHost.StartAsync(RunTime);
        using var metrics = new MetricCapture(app.Services);

        await CreditsClient.GrantAsync(app, "cus_1MetApi", 500, "grant-1");
        await CreditsClient.SpendAsync(app, "cus_1MetApi", 120, "spend-1");
        await CreditsClient.SpendAsync(app, "cus_1MetApi", 120, "spend-1"); // a replay spends nothing
        await CreditsClient.SpendAsync(app, "cus_1MetApi", 10_000, "spend-2"); // refused: not enough

        Assert.Equal([500.0], metrics.Of(CreditMetrics.LedgerAppended, "kind=grant").Select(m => m.Value));
        Assert.Equal([120.0], metrics.Of(CreditMetrics.LedgerAppended, "kind=spend").Select(m => m.Value));
    }

    [Fact]
    public void Instruments_CarryOnlyLowCardinalityTags()
    {
        var tags = CreditMetrics.Instruments.Values.SelectMany(t => t).Distinct().ToList();

        Assert.All(tags, tag => Assert.DoesNotContain("id", tag, StringComparison.OrdinalIgnoreCase));
        Assert.All(CreditMetrics.Instruments.Keys, name => Assert.Matches(@"\Acredits\.[a-z]+\.[a-z]+\z", name));
    }
}
