using Microsoft.Extensions.Logging;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Stripe;

/// <summary>Credit packs bought through Checkout or a one-off invoice, delivered twice and in any order, and their refunds.</summary>
public sealed class PurchaseTests : IDisposable
{
    private static readonly DateTimeOffset Now = Utc(2026, 4, 1, 12);
    private const string Customer = "cus_1Buyer";
    private static readonly Plan Pack = new("price_1Pack500", "month", null, UnitAmount: 1000);
    private static readonly Plan Shirt = new("price_1Shirt", "month", null, UnitAmount: 2500);

    private readonly FakeStripeApi _stripe = new();

    public void Dispose() => _stripe.Dispose();

    private static string Completed(string eventId, string session) => Event(eventId, "checkout.session.completed", Now, session);

    private static async Task<long> AvailableAsync(AppHost app) =>
        (await CreditsClient.GetAsync(app, Customer)).Body.GetProperty("available").GetInt64();

    [Fact]
    public async Task CheckoutWithCreditsInSessionMetadata_GrantsOnceWhateverIsDeliveredAgain()
    {
        await using var app = await AppHost.StartAsync(Now);
        var session = CheckoutSession("cs_test_1Meta", Customer, metadata: new Dictionary<string, string> { ["credits"] = "500", ["credits_expire_days"] = "30" });

        var first = await WebhookClient.DeliverOkAsync(app, Completed("evt_1M1", session));
        var again = await WebhookClient.DeliverOkAsync(app, Completed("evt_1M1", session));
        var otherEvent = await WebhookClient.DeliverOkAsync(app, Event("evt_1M2", "checkout.session.async_payment_succeeded", Now, session));

        Assert.Equal(["granted", "duplicate", "duplicate"], [first, again, otherEvent]);
        var pack = Assert.Single((await app.Store.GetAccountAsync(Customer))!.State.Grants);
        Assert.Equal(("pack", 500L, Now.AddDays(30)), (pack.Kind, pack.Remaining, pack.ExpiresAt!.Value));
        await CreditsClient.AssertLedgerReplaysAsync(app.Store, Customer);
    }

    [Fact]
    public async Task CheckoutWithCreditsOnThePrice_ReadsTheLineItemsThroughTheApiAndIgnoresOtherProducts()
    {
        await using var app = await AppHost.StartAsync(Now, stripe: _stripe);
        _stripe.SessionLineItems["cs_test_1Lines"] =
        [
            SessionLineItem("li_1Pack", Pack, 3, new Dictionary<string, string> { ["credits"] = "500" }),
            SessionLineItem("li_1Shirt", Shirt, 1),
        ];

        var result = await WebhookClient.DeliverOkAsync(app, Completed("evt_1L", CheckoutSession("cs_test_1Lines", Customer)));

        Assert.Equal("granted", result);
        Assert.Equal(1500, await AvailableAsync(app));
    }

    [Fact]
    public async Task DelayedPayment_IsGrantedWhenItSucceedsNotWhenTheSessionCompletes()
    {
        await using var app = await AppHost.StartAsync(Now);
        var metadata = new Dictionary<string, string> { ["credits"] = "200" };

        var completed = await WebhookClient.DeliverOkAsync(app, Completed("evt_1D1", CheckoutSession("cs_test_1Slow", Customer, "unpaid", metadata)));
        var succeeded = await WebhookClient.DeliverOkAsync(app, Event("evt_1D2", "checkout.session.async_payment_succeeded", Now.AddDays(2), CheckoutSession("cs_test_1Slow", Customer, "paid", metadata)));

        Assert.Equal(("ignored", "granted"), (completed, succeeded));
        Assert.Equal(200, await AvailableAsync(app));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CheckoutWithAnInvoice_TheSessionAndTheInvoiceGrantOnceInEitherOrder(bool invoiceFirst)
    {
        await using var app = await AppHost.StartAsync(Now, stripe: _stripe);
        var price = PriceObject(Pack);
        price["metadata"] = new System.Text.Json.Nodes.JsonObject { ["credits"] = "500" };
        _stripe.Prices[Pack.PriceId] = price.ToJsonString();
        _stripe.SessionLineItems["cs_test_1Both"] = [SessionLineItem("li_1Both", Pack, 1, new Dictionary<string, string> { ["credits"] = "500" })];
        _stripe.InvoicePaymentIntents["in_1Both"] = "pi_1Both";
        var session = Completed("evt_1B1", CheckoutSession("cs_test_1Both", Customer, invoiceId: "in_1Both"));
        var invoice = Event("evt_1B2", "invoice.paid", Now, OneOffInvoice("in_1Both", Customer, [(Pack, 1)]));

        var first = await WebhookClient.DeliverOkAsync(app, invoiceFirst ? invoice : session);
        var second = await WebhookClient.DeliverOkAsync(app, invoiceFirst ? session : invoice);

        Assert.Equal(("granted", "duplicate"), (first, second));
        Assert.Equal(500, await AvailableAsync(app));
    }

    [Fact]
    public async Task OneOffInvoiceWithCreditsInItsMetadata_GrantsWithoutAnApiKey()
    {
        await using var app = await AppHost.StartAsync(Now);

        var result = await WebhookClient.DeliverOkAsync(app, Event("evt_1I", "invoice.paid", Now,
            OneOffInvoice("in_1OneOff", Customer, [(Pack, 2)], new Dictionary<string, string> { ["credits"] = "750" })));

        Assert.Equal("granted", result);
        Assert.Equal(750, await AvailableAsync(app));
    }

    [Theory]
    [InlineData("lots")]
    [InlineData("-5")]
    [InlineData("0")]
    [InlineData("99999999999")]
    [InlineData("1.5")]
    public async Task BadCreditsMetadata_IsReportedNeverGranted(string credits)
    {
        await using var app = await AppHost.StartAsync(Now);

        var (status, answer) = await WebhookClient.DeliverAsync(app, Completed("evt_1Bad", CheckoutSession("cs_test_1Bad", Customer, metadata: new Dictionary<string, string> { ["credits"] = credits })));

        Assert.Equal((200, "not-granted"), (status, answer.GetProperty("result").GetString()));
        Assert.Contains(app.Logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("no credits were granted", StringComparison.Ordinal));
        Assert.Null(await app.Store.GetAccountAsync(Customer));
    }

    [Theory]
    [InlineData(null, "credits")]      // no metadata and no API key to read the prices
    [InlineData("no-customer", "customer")]
    public async Task PaidCheckoutWhoseCreditsOrOwnerAreUnknown_IsReportedNeverDropped(string? kind, string named)
    {
        await using var app = await AppHost.StartAsync(Now);
        var session = kind == "no-customer"
            ? CheckoutSession("cs_test_1Who", null, metadata: new Dictionary<string, string> { ["credits"] = "100" })
            : CheckoutSession("cs_test_1Who", Customer);

        var (status, answer) = await WebhookClient.DeliverAsync(app, Completed("evt_1Who", session));

        Assert.Equal((200, "not-granted"), (status, answer.GetProperty("result").GetString()));
        Assert.Contains(named, answer.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains(app.Logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("cs_test_1Who", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Refunds_TakeBackTheRefundedShareStillUnspent_NeverBelowZero_OnceEach()
    {
        await using var app = await AppHost.StartAsync(Now);
        await WebhookClient.DeliverOkAsync(app, Completed("evt_1R", CheckoutSession("cs_test_1Ref", Customer, paymentIntentId: "pi_1Ref", metadata: new Dictionary<string, string> { ["credits"] = "500" })));
        Assert.Equal(200, (await CreditsClient.SpendAsync(app, Customer, 300, "spend-before-refund")).Status);

        // 40 % refunded: 200 credits are owed back and 200 are unspent. Then the rest: 300 owed, nothing left.
        var partial = await WebhookClient.DeliverOkAsync(app, Event("evt_1Ref1", "charge.refunded", Now, Charge("ch_1Ref", Customer, "pi_1Ref", 1000, 400, Now)));
        var partialAgain = await WebhookClient.DeliverOkAsync(app, Event("evt_1Ref1", "charge.refunded", Now, Charge("ch_1Ref", Customer, "pi_1Ref", 1000, 400, Now)));
        var afterPartial = await AvailableAsync(app);
        var full = await WebhookClient.DeliverOkAsync(app, Event("evt_1Ref2", "charge.refunded", Now.AddDays(1), Charge("ch_1Ref", Customer, "pi_1Ref", 1000, 1000, Now)));
        var fullAgainLate = await WebhookClient.DeliverOkAsync(app, Event("evt_1Ref1b", "charge.refunded", Now.AddDays(2), Charge("ch_1Ref", Customer, "pi_1Ref", 1000, 400, Now)));

        Assert.Equal(("refunded", "duplicate", "refunded", "unchanged"), (partial, partialAgain, full, fullAgainLate));
        Assert.Equal(0, afterPartial);
        Assert.Equal(0, await AvailableAsync(app));
        var refunds = (await CreditsClient.FullLedgerAsync(app.Store, Customer)).Where(e => e.Kind == LedgerKind.Refund).ToList();
        Assert.Equal([-200L, 0L], refunds.Select(e => e.Amount));
        Assert.Contains("300 were spent already and are not clawed back", refunds[1].Reason, StringComparison.Ordinal);
        Assert.All(refunds, e => Assert.True(e.BalanceAfter >= 0));
        await CreditsClient.AssertLedgerReplaysAsync(app.Store, Customer);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RefundDeliveredBeforeThePacksGrant_IsTakenBackWhenTheGrantComes_OnceWhateverIsDeliveredAgain(bool redeliverBoth)
    {
        await using var app = await AppHost.StartAsync(Now);
        var session = CheckoutSession("cs_test_1Early", Customer, paymentIntentId: "pi_1Early", metadata: new Dictionary<string, string> { ["credits"] = "500" });
        var halfRefunded = Event("evt_1EarlyRefund", "charge.refunded", Now.AddMinutes(5), Charge("ch_1Early", Customer, "pi_1Early", 1000, 500, Now));

        var refund = await WebhookClient.DeliverOkAsync(app, halfRefunded);
        Assert.Equal(404, (await CreditsClient.GetAsync(app, Customer)).Status);
        var grant = await WebhookClient.DeliverOkAsync(app, Completed("evt_1EarlyGrant", session));
        var again = redeliverBoth
            ? (await WebhookClient.DeliverOkAsync(app, halfRefunded), await WebhookClient.DeliverOkAsync(app, Completed("evt_1EarlyGrant", session)))
            : ("duplicate", "duplicate");

        Assert.Equal(("refund-pending", "granted", ("duplicate", "duplicate")), (refund, grant, again));
        Assert.Equal(250, await AvailableAsync(app));
        var ledger = await CreditsClient.FullLedgerAsync(app.Store, Customer);
        Assert.Equal([(LedgerKind.Purchase, 500L), (LedgerKind.Refund, -250L)], ledger.Select(e => (e.Kind, e.Amount)));
        Assert.Contains("ch_1Early", ledger[1].Reason, StringComparison.Ordinal);
        Assert.Empty((await app.Store.GetAccountAsync(Customer))!.State.PendingRefunds);

        // The rest of the charge refunded later: only the other half is taken, as if the events had come in order.
        var rest = await WebhookClient.DeliverOkAsync(app, Event("evt_1EarlyRest", "charge.refunded", Now.AddDays(1), Charge("ch_1Early", Customer, "pi_1Early", 1000, 1000, Now)));
        Assert.Equal(("refunded", 0L), (rest, await AvailableAsync(app)));
        await CreditsClient.AssertLedgerReplaysAsync(app.Store, Customer);
    }

    [Fact]
    public async Task RefundOfAChargeThatBoughtNoCredits_IsKeptThreeDaysThenLapses_AndMakesNoCustomer()
    {
        await using var app = await AppHost.StartAsync(Now);

        var result = await WebhookClient.DeliverOkAsync(app, Event("evt_1Other", "charge.refunded", Now, Charge("ch_1Other", Customer, "pi_1Other", 1000, 1000, Now)));
        var read = await CreditsClient.GetAsync(app, Customer);

        Assert.Equal(("refund-pending", 404), (result, read.Status));

        // Three days on, a pack paid with that very payment would be granted whole: the refund has lapsed.
        app.Time.SetUtcNow(Now.AddDays(3));
        var late = CheckoutSession("cs_test_1Late", Customer, paymentIntentId: "pi_1Other", metadata: new Dictionary<string, string> { ["credits"] = "500" });
        Assert.Equal("granted", await WebhookClient.DeliverOkAsync(app, Event("evt_1Late", "checkout.session.completed", Now.AddDays(3), late)));
        Assert.Equal(500, await AvailableAsync(app));
        Assert.Empty((await app.Store.GetAccountAsync(Customer))!.State.PendingRefunds);
    }
}
