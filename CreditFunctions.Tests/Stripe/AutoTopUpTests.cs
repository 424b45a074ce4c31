using CreditFunctions.Telemetry;
using static CreditFunctions.Tests.Credits.CreditsClient;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Stripe;

/// <summary>
/// Auto top-up end to end: the app on Azurite, Stripe answered by a local fake with Stripe's own shapes and idempotency,
/// the Stripe queue pumped as the host would. One charge per crossing however many spends race across it; a failure
/// closes the top-up, voids its invoice and starts no storm.
/// </summary>
public sealed class AutoTopUpTests : IDisposable
{
    private static readonly DateTimeOffset Now = Utc(2026, 4, 1, 12);
    private const string Customer = "cus_1AutoTopUp";
    private static readonly Plan Pack = new("price_1TopUpPack", "month", null, UnitAmount: 1000);

    private readonly FakeStripeApi _stripe = new();

    public void Dispose() => _stripe.Dispose();

    private async Task<AppHost> CustomerAsync(long balance = 150, bool withPaymentMethod = true)
    {
        _stripe.Prices[Pack.PriceId] = PackPrice(Pack, 500);
        _stripe.AddCustomer(Customer, withPaymentMethod);
        var app = await AppHost.StartAsync(Now, StripeQueuePump.Settings(), stripe: _stripe);
        Assert.Equal(201, (await GrantAsync(app, Customer, balance, "g0")).Status);
        var put = await AutoTopUpClient.PutAsync(app, Customer, $$"""{ "enabled": true, "belowAvailable": 100, "priceId": "{{Pack.PriceId}}", "quantity": 1, "maxPerMonth": 4 }""");
        Assert.Equal(200, put.Status);
        return app;
    }

    private static async Task<long> AvailableAsync(AppHost app) => (await GetAsync(app, Customer)).Body.GetProperty("available").GetInt64();

    [Fact]
    public async Task ThirtyTwoSpendsRacingAcrossTheThreshold_MakeOneTopUp_OneCharge_AndItsCreditsOnce()
    {
        await using var app = await CustomerAsync();
        using var metrics = new Telemetry.MetricCapture(app.Services);

        var spends = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => SpendAsync(app, Customer, 4, $"race-{i}")));
        await StripeQueuePump.DrainAsync(app);

        Assert.All(spends, s => Assert.Equal(200, s.Status));
        var invoice = Assert.Single(_stripe.CreatedInvoices.Values);
        Assert.Equal("paid", (string?)invoice["status"]);
        Assert.Equal(1, invoice["attempt_count"]!.GetValue<int>());
        Assert.All(_stripe.Calls.Where(c => c.Method == "POST"), c => Assert.StartsWith($"tu_{Customer}_1-", c.IdempotencyKey, StringComparison.Ordinal));
        Assert.Equal(150 - 128 + 500, await AvailableAsync(app));
        Assert.Single(await FullLedgerAsync(app.Store, Customer), e => e.Kind == LedgerKind.Purchase);
        var view = (await AutoTopUpClient.GetAsync(app, Customer)).Body;
        Assert.Equal(("succeeded", 1), (view.GetProperty("last").GetProperty("status").GetString(), view.GetProperty("startedThisMonth").GetInt32()));
        Assert.Equal((1, 1), (metrics.Sum(CreditMetrics.TopUpsStarted), metrics.Sum(CreditMetrics.TopUpsCharged)));
        await AssertLedgerReplaysAsync(app.Store, Customer);
    }

    [Fact]
    public async Task InvoicePaidArrivingBeforeTheChargesAnswer_GrantsOnce_AndTheChargeFindsItDone()
    {
        await using var app = await CustomerAsync();
        using var metrics = new Telemetry.MetricCapture(app.Services);
        _stripe.LoseAnswer = c => c.Path.EndsWith("/pay", StringComparison.Ordinal); // Stripe pays; the app never hears.

        await SpendAsync(app, Customer, 60, "s1");
        await StripeQueuePump.DrainAsync(app);
        var paid = Assert.Single(_stripe.CreatedInvoices.Values);
        Assert.Equal("paid", (string?)paid["status"]);
        Assert.Equal("granted", await WebhookClient.DeliverOkAsync(app, Event("evt_1TopUpPaid", "invoice.paid", Now, paid.ToJsonString())));
        _stripe.LoseAnswer = null;
        await StripeQueuePump.AttemptAsync(app, Customer, 2);
        Assert.Equal("duplicate", await WebhookClient.DeliverOkAsync(app, Event("evt_1TopUpPaid2", "invoice.paid", Now, paid.ToJsonString())));

        Assert.Equal(90 + 500, await AvailableAsync(app));
        Assert.Single(await FullLedgerAsync(app.Store, Customer), e => e.Kind == LedgerKind.Purchase);
        Assert.Single(_stripe.Calls.Where(c => c.Path.EndsWith("/pay", StringComparison.Ordinal)).Select(c => c.IdempotencyKey).Distinct());
        Assert.Equal(1, paid["attempt_count"]!.GetValue<int>());
        Assert.Equal(1, metrics.Sum(CreditMetrics.TopUpsCharged)); // counted where invoice.paid granted it, once
    }

    [Theory]
    [InlineData(PayAnswer.Declined, "card_declined")]
    [InlineData(PayAnswer.RequiresAction, "requires_action")]
    public async Task APaymentRefused_ClosesTheTopUpAsFailed_VoidsItsInvoice_AndStartsNoOtherWhileBelow(PayAnswer answer, string reason)
    {
        await using var app = await CustomerAsync();
        _stripe.PayWith = answer;

        await SpendAsync(app, Customer, 60, "s1");
        await StripeQueuePump.DrainAsync(app);
        await SpendAsync(app, Customer, 10, "s2");
        await StripeQueuePump.DrainAsync(app, TimeSpan.FromSeconds(3));

        var invoice = Assert.Single(_stripe.CreatedInvoices.Values);
        Assert.Equal("void", (string?)invoice["status"]);
        var last = (await AutoTopUpClient.GetAsync(app, Customer)).Body;
        Assert.Equal(("failed", reason, true), (last.GetProperty("last").GetProperty("status").GetString(), last.GetProperty("last").GetProperty("reason").GetString(), last.GetProperty("awaitingRise").GetBoolean()));
        Assert.Equal(80, await AvailableAsync(app));
        Assert.Contains(app.Logs.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Error && e.Message.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task APaymentStripeIsStillProcessing_KeepsTheTopUpInFlightUnvoided_UntilItIsPaid_AndPastTheRetriesClosesIt()
    {
        await using var app = await CustomerAsync();
        _stripe.PayWith = PayAnswer.Processing;

        await SpendAsync(app, Customer, 60, "s1");
        await StripeQueuePump.DrainAsync(app);
        await StripeQueuePump.AttemptAsync(app, Customer, 2);

        var invoice = Assert.Single(_stripe.CreatedInvoices.Values);
        Assert.Equal("open", (string?)invoice["status"]);
        Assert.NotEqual(JsonValueKindNull, (await AutoTopUpClient.GetAsync(app, Customer)).Body.GetProperty("inFlight").ValueKind);
        Assert.Equal(90, await AvailableAsync(app));

        Assert.Single(_stripe.SettleProcessing()); // the debit clears
        await StripeQueuePump.AttemptAsync(app, Customer, 3);

        Assert.Equal(590, await AvailableAsync(app));
        Assert.Equal("succeeded", (await AutoTopUpClient.GetAsync(app, Customer)).Body.GetProperty("last").GetProperty("status").GetString());
        Assert.Equal(1, invoice["attempt_count"]!.GetValue<int>());

        // One that never clears within the retries closes as not_paid, its invoice voided.
        await SpendAsync(app, Customer, 500, "s2");
        await StripeQueuePump.AttemptAsync(app, Customer, 1);
        app.Time.Advance(global::CreditFunctions.Stripe.StripeWork.RetriesLast);
        await StripeQueuePump.AttemptAsync(app, Customer, global::CreditFunctions.Stripe.StripeWork.MaxAttempts);

        var last = (await AutoTopUpClient.GetAsync(app, Customer)).Body.GetProperty("last");
        Assert.Equal(("failed", "not_paid"), (last.GetProperty("status").GetString(), last.GetProperty("reason").GetString()));
        Assert.Equal("void", (string?)_stripe.CreatedInvoices.Values.Single(i => (string?)i["id"] != (string?)invoice["id"])["status"]);
        Assert.Equal(90, await AvailableAsync(app));
    }

    [Fact]
    public async Task ARefundOfATopUp_TakesItsCreditsBack_AndStartsNoNewChargeUntilAvailableHasRisen()
    {
        await using var app = await CustomerAsync();
        await SpendAsync(app, Customer, 60, "s1");
        await StripeQueuePump.DrainAsync(app);
        var id = (string)Assert.Single(_stripe.CreatedInvoices.Values)["id"]!;

        var refund = await WebhookClient.DeliverAsync(app, Event("evt_1TopUpRefund", "charge.refunded", Now, Charge("ch_1TopUp", Customer, "pi_" + id[3..], 1000, 1000, Now)));
        await StripeQueuePump.DrainAsync(app, TimeSpan.FromSeconds(3));
        await SpendAsync(app, Customer, 10, "s2");
        await StripeQueuePump.DrainAsync(app, TimeSpan.FromSeconds(3));

        Assert.Equal(200, refund.Status);
        Assert.Equal(80, await AvailableAsync(app));
        Assert.Single(_stripe.CreatedInvoices); // not charged again for the money just given back
        Assert.True((await AutoTopUpClient.GetAsync(app, Customer)).Body.GetProperty("awaitingRise").GetBoolean());
    }

    [Fact]
    public async Task TheStoreFailingOnAPaidTopUpsLastAttempt_IsNotBlamedOnStripe_AndTheTopUpStaysInFlightUntilGranted()
    {
        FailingWritesStore? store = null;
        _stripe.Prices[Pack.PriceId] = PackPrice(Pack, 500);
        _stripe.AddCustomer(Customer);
        await using var app = await AppHost.StartAsync(Now, StripeQueuePump.Settings(),
            s => s.AddSingleton<ICreditStore>(sp => store = new FailingWritesStore(sp.GetRequiredService<TableCreditStore>())), _stripe);
        Assert.Equal(201, (await GrantAsync(app, Customer, 150, "g0")).Status);
        Assert.Equal(200, (await AutoTopUpClient.PutAsync(app, Customer, $$"""{ "enabled": true, "belowAvailable": 100, "priceId": "{{Pack.PriceId}}", "quantity": 1, "maxPerMonth": 4 }""")).Status);
        _stripe.LoseAnswer = c => c.Path.EndsWith("/pay", StringComparison.Ordinal); // Stripe pays; the app never hears
        await SpendAsync(app, Customer, 60, "s1");
        await StripeQueuePump.DrainAsync(app);
        _stripe.LoseAnswer = null;
        app.Time.Advance(global::CreditFunctions.Stripe.StripeWork.RetriesLast);
        store!.Failures = 100;
        store.FailWhen = w => w.Changes.Purchase is not null; // the grant's write

        await Assert.ThrowsAnyAsync<Exception>(() => StripeQueuePump.AttemptAsync(app, Customer, global::CreditFunctions.Stripe.StripeWork.MaxAttempts));
        var during = (await AutoTopUpClient.GetAsync(app, Customer)).Body;
        store.FailWhen = null;
        await StripeQueuePump.AttemptAsync(app, Customer, global::CreditFunctions.Stripe.StripeWork.MaxAttempts, dequeueCount: 2); // the host's next try

        Assert.NotEqual(JsonValueKindNull, during.GetProperty("inFlight").ValueKind);
        Assert.Equal(JsonValueKindNull, during.GetProperty("last").ValueKind);
        var last = (await AutoTopUpClient.GetAsync(app, Customer)).Body.GetProperty("last");
        Assert.Equal("succeeded", last.GetProperty("status").GetString());
        Assert.Equal(590, await AvailableAsync(app));
        Assert.DoesNotContain(app.Logs.Entries, e => e.Message.Contains("stripe_unavailable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TurningAutoTopUpOffAndOnAfterAFailure_KeepsTheBlock_UntilAvailableRises()
    {
        await using var app = await CustomerAsync();
        _stripe.PayWith = PayAnswer.Declined;
        await SpendAsync(app, Customer, 60, "s1");
        await StripeQueuePump.DrainAsync(app);
        _stripe.PayWith = PayAnswer.Paid;

        static string Body(bool on) => $$"""{ "enabled": {{(on ? "true" : "false")}}, "belowAvailable": 100, "priceId": "price_1TopUpPack", "quantity": 1, "maxPerMonth": 4 }""";
        Assert.Equal(200, (await AutoTopUpClient.PutAsync(app, Customer, Body(false))).Status);
        var on = await AutoTopUpClient.PutAsync(app, Customer, Body(true));
        await StripeQueuePump.DrainAsync(app, TimeSpan.FromSeconds(3));

        Assert.Equal((JsonValueKindNull, true), (on.Body.GetProperty("inFlight").ValueKind, on.Body.GetProperty("awaitingRise").GetBoolean()));
        Assert.Single(_stripe.CreatedInvoices);
        Assert.Equal(202, (await AutoTopUpClient.RetryAsync(app, Customer)).Status); // an operator still can
    }

    [Fact]
    public async Task NoDefaultPaymentMethod_FailsWithoutCreatingAnInvoice()
    {
        await using var app = await CustomerAsync(withPaymentMethod: false);

        await SpendAsync(app, Customer, 60, "s1");
        await StripeQueuePump.DrainAsync(app);

        Assert.Empty(_stripe.CreatedInvoices);
        Assert.Equal("no_payment_method", (await AutoTopUpClient.GetAsync(app, Customer)).Body.GetProperty("last").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task StripeTimingOut_IsRetriedWithTheSameIdempotencyKeys_AndChargesOnce_AndPastTheRetriesFails()
    {
        await using var app = await CustomerAsync();
        var lost = 0;
        _stripe.LoseAnswer = c => c.Path.EndsWith("/pay", StringComparison.Ordinal) && Interlocked.Increment(ref lost) <= 4;

        await SpendAsync(app, Customer, 60, "s1");
        await StripeQueuePump.DrainAsync(app); // the pay call and Stripe.net's own retry lose their answers
        Assert.Equal(90, await AvailableAsync(app));
        await StripeQueuePump.AttemptAsync(app, Customer, 2); // reads the invoice Stripe did pay: granted, not paid again

        Assert.Equal(590, await AvailableAsync(app));
        Assert.Equal(1, Assert.Single(_stripe.CreatedInvoices.Values)["attempt_count"]!.GetValue<int>());
        Assert.Equal([$"tu_{Customer}_1-pay"], _stripe.Calls.Where(c => c.Path.EndsWith("/pay", StringComparison.Ordinal)).Select(c => c.IdempotencyKey).Distinct());

        // Down for good: the next crossing's top-up closes as stripe_unavailable on the last attempt, not before.
        await SpendAsync(app, Customer, 500, "s2");
        _stripe.FailBefore = _ => 503;
        await StripeQueuePump.AttemptAsync(app, Customer, 1);
        Assert.NotEqual(JsonValueKindNull, (await AutoTopUpClient.GetAsync(app, Customer)).Body.GetProperty("inFlight").ValueKind);
        await StripeQueuePump.AttemptAsync(app, Customer, global::CreditFunctions.Stripe.StripeWork.MaxAttempts); // a count run on by overage: too young to close
        Assert.NotEqual(JsonValueKindNull, (await AutoTopUpClient.GetAsync(app, Customer)).Body.GetProperty("inFlight").ValueKind);
        app.Time.Advance(global::CreditFunctions.Stripe.StripeWork.RetriesLast);
        await StripeQueuePump.AttemptAsync(app, Customer, global::CreditFunctions.Stripe.StripeWork.MaxAttempts);
        var view = (await AutoTopUpClient.GetAsync(app, Customer)).Body;
        Assert.Equal("stripe_unavailable", view.GetProperty("last").GetProperty("reason").GetString());
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;

    [Fact]
    public async Task OperatorsRetriesRacing_StartOneTopUp_AndPastMaxPerMonthAreRefused()
    {
        await using var app = await CustomerAsync(balance: 500);
        await AutoTopUpClient.PutAsync(app, Customer, $$"""{ "enabled": true, "belowAvailable": 100, "priceId": "{{Pack.PriceId}}", "quantity": 1, "maxPerMonth": 1 }""");

        var retries = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => AutoTopUpClient.RetryAsync(app, Customer)));
        Assert.All(retries, r => Assert.Equal(202, r.Status));
        Assert.Single(retries.Select(r => r.Body.GetProperty("inFlight").GetProperty("id").GetString()).Distinct());
        await StripeQueuePump.DrainAsync(app);
        var refused = await AutoTopUpClient.RetryAsync(app, Customer);

        Assert.Equal((409, "top-up-limit"), (refused.Status, refused.ProblemType()));
        Assert.Single(_stripe.CreatedInvoices);
        Assert.Equal(1000, await AvailableAsync(app));
    }

    [Fact]
    public async Task ATopUpWhoseMessageWasLost_IsHandedToStripeAgainByAnOperatorsRetry_AndChargedOnce()
    {
        await using var app = await CustomerAsync();
        await SpendAsync(app, Customer, 60, "s1");
        await StripeQueuePump.Queue(app).ClearMessagesAsync(); // poisoned, say: nothing will run it

        var retried = await AutoTopUpClient.RetryAsync(app, Customer);
        await StripeQueuePump.DrainAsync(app);

        Assert.Equal((202, $"tu_{Customer}_1"), (retried.Status, retried.Body.GetProperty("inFlight").GetProperty("id").GetString()));
        Assert.Equal("paid", (string?)Assert.Single(_stripe.CreatedInvoices.Values)["status"]);
        Assert.Equal(590, await AvailableAsync(app));
    }

    [Fact]
    public async Task ATopUpInFlightWhenAutoTopUpIsTurnedOff_IsStillHandedOnByARetry_AndChargedOnce_ButNoneNewStarts()
    {
        await using var app = await CustomerAsync();
        await SpendAsync(app, Customer, 60, "s1");
        await StripeQueuePump.Queue(app).ClearMessagesAsync(); // poisoned, say: nothing will run it
        var off = await AutoTopUpClient.PutAsync(app, Customer, $$"""{ "enabled": false, "belowAvailable": 100, "priceId": "{{Pack.PriceId}}", "quantity": 1, "maxPerMonth": 4 }""");

        var retried = await AutoTopUpClient.RetryAsync(app, Customer);
        await StripeQueuePump.DrainAsync(app);
        var again = await AutoTopUpClient.RetryAsync(app, Customer);

        Assert.Equal(200, off.Status);
        Assert.Equal((202, $"tu_{Customer}_1"), (retried.Status, retried.Body.GetProperty("inFlight").GetProperty("id").GetString()));
        Assert.Equal("paid", (string?)Assert.Single(_stripe.CreatedInvoices.Values)["status"]);
        Assert.Equal(590, await AvailableAsync(app));
        Assert.Equal((409, "auto-top-up-off"), (again.Status, again.ProblemType())); // nothing in flight, and it is off: none starts
        Assert.Single(_stripe.CreatedInvoices);
    }

    [Fact]
    public async Task SettingAutoTopUp_RefusesBadFields_APriceThatCannotTopUp_AndAnAppThatCannotCharge()
    {
        await using var app = await CustomerAsync();
        _stripe.Prices["price_1Monthly"] = Price(MonthlyPro);

        var bad = await AutoTopUpClient.PutAsync(app, Customer, """{ "enabled": true, "belowAvailable": 0, "priceId": "prod_1", "quantity": 1 }""");
        var recurring = await AutoTopUpClient.PutAsync(app, Customer, """{ "enabled": true, "belowAvailable": 10, "priceId": "price_1Monthly", "quantity": 1, "maxPerMonth": 1 }""");
        var missing = await AutoTopUpClient.PutAsync(app, Customer, """{ "enabled": true, "belowAvailable": 10, "priceId": "price_1Nowhere", "quantity": 1, "maxPerMonth": 1 }""");
        var unknown = await AutoTopUpClient.GetAsync(app, "cus_1Nobody");

        Assert.Equal((400, "invalid-request"), (bad.Status, bad.ProblemType()));
        Assert.Equal(["belowAvailable", "maxPerMonth", "priceId"], bad.Body.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal((400, "invalid-price"), (recurring.Status, recurring.ProblemType()));
        Assert.Equal((400, "invalid-price"), (missing.Status, missing.ProblemType()));
        Assert.Equal(404, unknown.Status);

        await using var off = await AppHost.StartAsync(Now, stripe: _stripe); // no Stripe__Queue
        await GrantAsync(off, Customer, 10, "g0");
        var notConfigured = await AutoTopUpClient.PutAsync(off, Customer, $$"""{ "enabled": true, "belowAvailable": 100, "priceId": "{{Pack.PriceId}}", "quantity": 1, "maxPerMonth": 4 }""");
        Assert.Equal((409, "stripe-not-configured"), (notConfigured.Status, notConfigured.ProblemType()));
    }
}
