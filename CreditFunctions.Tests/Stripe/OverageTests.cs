using static CreditFunctions.Tests.Credits.CreditsClient;
using static CreditFunctions.Tests.Stripe.Deliveries;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Stripe;

/// <summary>Overage end to end: a plan that allows it (price metadata), spends within, at and past it, and the meter event sent once under the spend's identifier across lost answers and retries.</summary>
public sealed class OverageTests : IDisposable
{
    private static readonly DateTimeOffset Start = Utc(2026, 4, 1, 12);
    private const string Customer = "cus_1Overage";
    private static readonly Plan Metered = new("price_1MonthlyOver", "month", 100, OverageMeter: "api_credits", OverageMax: "50");

    private readonly FakeStripeApi _stripe = new();

    public void Dispose() => _stripe.Dispose();

    [Fact]
    public async Task SpendsWithinAtAndPastTheAllowance_AndEachOverageReportedOnce_UnderItsIdentifier()
    {
        await using var app = await AppHost.StartAsync(Start.AddMinutes(1), StripeQueuePump.Settings(), stripe: _stripe);
        await WebhookClient.DeliverOkAsync(app, Event("evt_1OverC", "customer.subscription.created", Start,
            Subscription("sub_1Overage", "active", Metered, Start, PeriodEnd(Metered, Start), customerId: Customer)));
        var lost = 0;
        _stripe.LoseAnswer = c => c.Path == "/v1/billing/meter_events" && Interlocked.Increment(ref lost) <= 2;

        var within = await SpendAsync(app, Customer, $$"""{ "amount": 130, "idempotencyKey": "job-1", "allowOverage": true }""");
        var at = await SpendAsync(app, Customer, $$"""{ "amount": 20, "idempotencyKey": "job-2", "allowOverage": true }""");
        var past = await SpendAsync(app, Customer, $$"""{ "amount": 1, "idempotencyKey": "job-3", "allowOverage": true }""");
        var without = await SpendAsync(app, Customer, $$"""{ "amount": 1, "idempotencyKey": "job-4" }""");
        await StripeQueuePump.DrainAsync(app);                 // the first report's answers are lost
        await StripeQueuePump.AttemptAsync(app, Customer, 2); // sent again under the same identifier

        Assert.Equal((200, -100L, 30L), (within.Status, within.Body.GetProperty("amount").GetInt64(), within.Body.GetProperty("overage").GetProperty("amount").GetInt64()));
        Assert.Equal((200, 20L), (at.Status, at.Body.GetProperty("overage").GetProperty("amount").GetInt64()));
        Assert.Equal((409, "insufficient-credits"), (past.Status, past.ProblemType()));
        Assert.Equal((409, "insufficient-credits"), (without.Status, without.ProblemType()));
        var first = CustomerAccount.MeterEventIdentifier(Customer, "job-1");
        Assert.Equal([first, CustomerAccount.MeterEventIdentifier(Customer, "job-2")], _stripe.MeterEvents.Keys.Order(StringComparer.Ordinal).ToArray().OrderBy(k => k == first ? 0 : 1));
        var sent = _stripe.MeterEvents[first];
        Assert.Equal(("api_credits", Customer, "30", (Start.AddMinutes(1)).ToUnixTimeSeconds()),
            ((string?)sent["event_name"], (string?)sent["payload"]!["stripe_customer_id"], (string?)sent["payload"]!["value"], sent["timestamp"]!.GetValue<long>()));
        Assert.All(_stripe.Calls.Where(c => c.Path == "/v1/billing/meter_events"), c => Assert.Equal(c.Form["identifier"], c.IdempotencyKey));
        Assert.Empty((await app.Store.GetAccountAsync(Customer))!.State.PendingUsage);
        var ledger = await FullLedgerAsync(app.Store, Customer);
        Assert.Equal([30L, 20L], ledger.Where(e => e.Kind == LedgerKind.Overage).Select(e => e.Overage!.Value));
        await AssertLedgerReplaysAsync(app.Store, Customer);
    }

    [Fact]
    public async Task BetweenARenewalAndItsPayment_NoOverageIsTaken_AndThePaidAllowanceCoversTheSpendAfter()
    {
        await using var app = await AppHost.StartAsync(Start, StripeQueuePump.Settings(), stripe: _stripe);
        var end = PeriodEnd(Metered, Start);
        await WebhookClient.DeliverOkAsync(app, Event("evt_1GapC", "customer.subscription.created", Start,
            Subscription("sub_1Overage", "active", Metered, Start, end, customerId: Customer)));
        Assert.Equal(200, (await SpendAsync(app, Customer, 100, "use-all")).Status);
        app.Time.SetUtcNow(end.AddMinutes(5));
        await WebhookClient.DeliverOkAsync(app, Event("evt_1GapU", "customer.subscription.updated", end.AddMinutes(1),
            Subscription("sub_1Overage", "active", Metered, end, PeriodEnd(Metered, end), customerId: Customer)));

        var gap = await SpendAsync(app, Customer, """{ "amount": 30, "idempotencyKey": "gap", "allowOverage": true }""");
        app.Time.SetUtcNow(end.AddMinutes(65));
        await WebhookClient.DeliverOkAsync(app, Event("evt_1GapPaid", "invoice.paid", end.AddMinutes(65),
            Invoice("in_1GapPaid", "sub_1Overage", Metered, end, PeriodEnd(Metered, end), customerId: Customer)));
        var after = await SpendAsync(app, Customer, """{ "amount": 30, "idempotencyKey": "after", "allowOverage": true }""");
        await StripeQueuePump.DrainAsync(app, TimeSpan.FromSeconds(3));

        Assert.Equal((409, "insufficient-credits"), (gap.Status, gap.ProblemType()));
        Assert.Equal(200, after.Status);
        Assert.False(after.Body.TryGetProperty("overage", out var overage) && overage.ValueKind != System.Text.Json.JsonValueKind.Null);
        Assert.Empty(_stripe.MeterEvents);
        Assert.Equal(70, (await GetAsync(app, Customer)).Body.GetProperty("available").GetInt64());
    }

    [Fact]
    public async Task WithTheBacklogFullAndItsMessagesLost_TheNextOverageSpendIsRefused_ButHandsTheReportsOn()
    {
        var big = new Plan("price_1MonthlyOverBig", "month", 100, OverageMeter: "api_credits", OverageMax: "1000");
        await using var app = await AppHost.StartAsync(Start, StripeQueuePump.Settings(), stripe: _stripe);
        await WebhookClient.DeliverOkAsync(app, Event("evt_1BacklogC", "customer.subscription.created", Start,
            Subscription("sub_1Overage", "active", big, Start, PeriodEnd(big, Start), customerId: Customer)));
        _stripe.FailBefore = _ => 503;
        Assert.Equal(200, (await SpendAsync(app, Customer, 100, "base")).Status);
        for (var i = 0; i < AccountLimits.MaxPendingUsage; i++)
        {
            Assert.Equal(200, (await SpendAsync(app, Customer, $$"""{ "amount": 1, "idempotencyKey": "b-{{i}}", "allowOverage": true }""")).Status);
        }

        await StripeQueuePump.Queue(app).ClearMessagesAsync(); // gone to the poison queue, say
        _stripe.FailBefore = null;
        var next = await SpendAsync(app, Customer, """{ "amount": 1, "idempotencyKey": "after", "allowOverage": true }""");
        await StripeQueuePump.DrainAsync(app, TimeSpan.FromSeconds(4));

        Assert.Equal((409, "overage-backlog"), (next.Status, next.ProblemType()));
        Assert.Empty((await app.Store.GetAccountAsync(Customer))!.State.PendingUsage);
        Assert.Equal(AccountLimits.MaxPendingUsage, _stripe.MeterEvents.Count);
    }
}
