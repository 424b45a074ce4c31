using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using CreditFunctions.Events;
using CreditFunctions.Tests.Telemetry;
using CreditFunctions.Telemetry;
using static CreditFunctions.Tests.Credits.CreditsClient;
using static CreditFunctions.Tests.Stripe.Deliveries;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Events;

/// <summary>
/// Events out: each change tells the SaaS what it should and nothing else, once, in ledger order per customer, signed as
/// Standard Webhooks; delivery survives a receiver that fails or is down, and a crash between the write and the hand-off.
/// </summary>
public sealed class EventsOutTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Start = Utc(2026, 1, 31, 10);
    private const string Customer = "cus_1Events";

    private readonly Task<EventReceiver> _receiver = EventReceiver.StartAsync();

    public async ValueTask DisposeAsync() => await (await _receiver).DisposeAsync();

    private async Task<AppHost> StartAsync(DateTimeOffset now, Dictionary<string, string?>? settings = null) =>
        await AppHost.StartAsync(now, (await _receiver).Settings(settings));

    /// <summary>Delivers what is pending and answers the types the receiver took since <paramref name="seen"/> events.</summary>
    private async Task<List<string>> NewEventsAsync(AppHost app, int seen)
    {
        await QueuePump.DrainAsync(app);
        return [.. (await _receiver).Events.Skip(seen).Select(e => e.Type)];
    }

    private async Task<AppHost> CustomerAsync(Dictionary<string, string?>? settings = null)
    {
        var app = await StartAsync(Start.AddMinutes(1), settings);
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1EvC", "customer.subscription.created", Start, "sub_1Events", "active", YearlyPro, Start));
        return app;
    }

    [Fact]
    public async Task EachCreditsChange_TellsItsOwnEventsAndNoOthers()
    {
        await using var app = await CustomerAsync(new() { ["Events:LowBelow"] = "200" });
        var receiver = await _receiver;
        var steps = new List<(string Step, List<string> Told)>();
        async Task Step(string name, Func<Task> change)
        {
            var seen = receiver.Events.Count;
            await change();
            steps.Add((name, await NewEventsAsync(app, seen)));
        }

        await Step("created", () => Task.CompletedTask);
        await Step("grant", () => GrantAsync(app, Customer, 100, "g1"));
        await Step("small spend", () => SpendAsync(app, Customer, 50, "s1"));
        await Step("spend below 200", () => SpendAsync(app, Customer, 900, "s2"));
        await Step("refused spend", () => SpendAsync(app, Customer, 1000, "s3"));
        await Step("adjust to 0", () => GrantAsync(app, Customer, -150, "a1", reason: "correction"));
        await Step("grant back", () => GrantAsync(app, Customer, 500, "g2"));
        await Step("read", () => GetAsync(app, Customer));

        Assert.Equal(
            [
                ("created", ["credits.reset"]),
                ("grant", ["credits.granted"]),
                ("small spend", []),
                ("spend below 200", ["credits.low"]),
                ("refused spend", []),
                ("adjust to 0", ["credits.adjusted", "credits.depleted"]),
                ("grant back", ["credits.granted", "credits.recovered"]),
                ("read", []),
            ],
            steps.Select(s => (s.Step, s.Told)));
        Assert.All(receiver.Deliveries, d => Assert.True(d.Verified, d.Body));
    }

    [Fact]
    public async Task AnEvent_CarriesItsIdTypeCustomerLedgerSequenceTimeAvailableAndData_TheSameOnEveryDelivery()
    {
        var receiver = await _receiver;
        receiver.Answer = call => call == 1 ? 500 : 200; // the first delivery fails: the event comes again
        await using var app = await CustomerAsync();
        await GrantAsync(app, Customer, 100, "g1", Start.AddDays(30), reason: "welcome");
        await QueuePump.DrainAsync(app);

        var granted = receiver.Taken.Single(d => d.Type == "credits.granted").Json;
        var ledger = (await LedgerAsync(app, Customer, "?limit=1")).Body.GetProperty("entries")[0];
        Assert.Equal(("ce_cus_1Events_2", "cus_1Events", 2L, ledger.GetProperty("sequence").GetInt64(), 1100L),
            (granted.GetProperty("id").GetString(), granted.GetProperty("customerId").GetString(), granted.GetProperty("sequence").GetInt64(),
             granted.GetProperty("ledgerSequence").GetInt64(), granted.GetProperty("available").GetInt64()));
        Assert.Equal(Start.AddMinutes(1), granted.GetProperty("occurredAt").GetDateTimeOffset());
        var data = granted.GetProperty("data");
        Assert.Equal(("grant", 100L, "welcome", "g1", Start.AddDays(30)),
            (data.GetProperty("source").GetString(), data.GetProperty("amount").GetInt64(), data.GetProperty("reason").GetString(), data.GetProperty("idempotencyKey").GetString(), data.GetProperty("expiresAt").GetDateTimeOffset()));
        var reset = receiver.Deliveries.Where(d => d.Type == "credits.reset").ToList();
        Assert.Equal(2, reset.Count); // refused once, taken once: the same id and body both times
        Assert.Equal(reset[0].Id, reset[1].Id);
        Assert.Equal(reset[0].Body, reset[1].Body);
    }

    [Fact]
    public async Task TheTimerRun_TellsResetsExpiringGrantsExpiriesAndUnconfirmedRenewals_OnceEach()
    {
        var p1 = Utc(2026, 1, 15, 9, 30);
        var p2 = p1.AddMonths(1);
        await using var app = await StartAsync(p1.AddMinutes(1));
        var receiver = await _receiver;
        await WebhookClient.DeliverOkAsync(app, Event("evt_1EvY", "customer.subscription.created", p1, Subscription("sub_1Events", "active", YearlyPro, p1, p1.AddYears(1), customerId: Customer)));
        await WebhookClient.DeliverOkAsync(app, Event("evt_1EvM", "customer.subscription.created", p1, Subscription("sub_2Events", "active", MonthlyPro, p1, p2, customerId: Customer)));
        await GrantAsync(app, Customer, 40, "promo", Utc(2026, 2, 20));
        var seen = (await NewEventsAsync(app, 0)).Count;
        async Task<List<string>> RunAtAsync(DateTimeOffset at)
        {
            app.Time.SetUtcNow(at);
            await app.RunAsync();
            var types = await NewEventsAsync(app, seen);
            seen += types.Count;
            return [.. types.Order(StringComparer.Ordinal)];
        }

        var feb14 = await RunAtAsync(Utc(2026, 2, 14, 2)); // 6 days before the grant's expiry on Feb 20
        app.Time.SetUtcNow(p2.AddMinutes(30));             // the monthly plan renews; its invoice.paid never comes
        await WebhookClient.DeliverOkAsync(app, Event("evt_1EvMU", "customer.subscription.updated", p2, Subscription("sub_2Events", "active", MonthlyPro, p2, p2.AddMonths(1), customerId: Customer)));
        var feb16 = await RunAtAsync(Utc(2026, 2, 16, 2)); // the yearly plan's month; the monthly renewal unpaid past its grace
        var feb17 = await RunAtAsync(Utc(2026, 2, 17, 2)); // told once per period
        var feb21 = await RunAtAsync(Utc(2026, 2, 21, 2)); // the grant expired, without anybody calling

        Assert.Equal(["credits.grant_expiring"], feb14);
        Assert.Equal(["credits.reset", "renewal.unconfirmed"], feb16);
        Assert.Empty(feb17);
        Assert.Equal(["credits.expired"], feb21);
        var expiring = receiver.Events.Single(e => e.Type == "credits.grant_expiring").Json.GetProperty("data");
        Assert.Equal((40L, Utc(2026, 2, 20)), (expiring.GetProperty("remaining").GetInt64(), expiring.GetProperty("expiresAt").GetDateTimeOffset()));
        var unconfirmed = receiver.Events.Single(e => e.Type == "renewal.unconfirmed").Json.GetProperty("data");
        Assert.Equal(("sub_2Events", "renewal-unconfirmed"), (unconfirmed.GetProperty("subscriptionId").GetString(), unconfirmed.GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task PacksRefundsAndUpgrades_TellGrantedAndRefunded()
    {
        await using var app = await CustomerAsync();
        var receiver = await _receiver;
        var seen = (await NewEventsAsync(app, 0)).Count;

        await WebhookClient.DeliverOkAsync(app, Event("evt_1EvP", "checkout.session.completed", Start.AddMinutes(1),
            CheckoutSession("cs_test_1Ev", Customer, paymentIntentId: "pi_1Ev", metadata: new Dictionary<string, string> { ["credits"] = "500" })));
        await WebhookClient.DeliverOkAsync(app, Event("evt_1EvR", "charge.refunded", Start.AddMinutes(1), Charge("ch_1Ev", Customer, "pi_1Ev", 1000, 1000, Start)));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1EvU", "customer.subscription.updated", Start.AddMinutes(1), "sub_1Events", "active", YearlyTeam, Start));
        var types = await NewEventsAsync(app, seen);

        Assert.Equal(["credits.granted", "credits.refunded", "credits.granted"], types);
        Assert.Equal(["purchase", "upgrade"], receiver.Events.Where(e => e.Type == "credits.granted").Select(e => e.Json.GetProperty("data").GetProperty("source").GetString()));
    }

    [Fact]
    public async Task ThirtyTwoConcurrentSpendsCrossingTheThreshold_TellLowOnce()
    {
        await using var app = await CustomerAsync(new() { ["Events:LowBelowPercent"] = "50" }); // 500 of the 1000 a month
        var seen = (await NewEventsAsync(app, 0)).Count;

        await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Task.Run(() => app.Credits.SpendAsync(Customer, new SpendRequest(25, $"spend-{i}", null, null)))));
        var types = await NewEventsAsync(app, seen);

        Assert.Equal(["credits.low"], types);
        Assert.Equal(200, (await GetAsync(app, Customer)).Body.GetProperty("available").GetInt64());
    }

    [Fact]
    public async Task AReceiverDownForAHundredEvents_GetsEachOnceInLedgerOrderWhenItComesBack()
    {
        var receiver = await _receiver;
        receiver.Answer = call => call <= 150 ? 503 : 200;
        await using var app = await CustomerAsync(new() { ["Events:MaxAttempts"] = "30" });
        for (var i = 0; i < 99; i++)
        {
            await GrantAsync(app, Customer, 1, $"g-{i}");
        }

        await QueuePump.DrainAsync(app, TimeSpan.FromSeconds(120));

        var events = receiver.Events;
        Assert.True(receiver.Deliveries.Count(d => d.Answered == 503) == 150, "the receiver was down for its first 150 calls");
        Assert.Equal(100, events.Count);
        Assert.Equal(events.Select(e => e.Json.GetProperty("ledgerSequence").GetInt64()).Order(), events.Select(e => e.Json.GetProperty("ledgerSequence").GetInt64()));
        Assert.Equal(Enumerable.Range(1, 100).Select(i => $"ce_{Customer}_{i}"), events.Select(e => e.Id));
        Assert.All(receiver.Taken.GroupBy(d => d.Id), g => Assert.Single(g.Select(d => d.Body).Distinct()));
        Assert.Empty(await app.Store.GetOutboxAsync(Customer));
    }

    [Fact]
    public async Task AReceiverFailingEveryThirdCall_GetsEveryEventInOrder_RedeliveriesOnlyWithTheSameId()
    {
        var receiver = await _receiver;
        receiver.Answer = call => call % 3 == 0 ? 500 : 200;
        await using var app = await CustomerAsync();
        for (var i = 0; i < 29; i++)
        {
            await SpendAsync(app, Customer, 1, $"s-{i}");
            await GrantAsync(app, Customer, 1, $"g-{i}");
        }

        await QueuePump.DrainAsync(app, TimeSpan.FromSeconds(60));

        Assert.Equal(Enumerable.Range(1, 30).Select(i => $"ce_{Customer}_{i}"), receiver.Events.Select(e => e.Id));
        Assert.True(receiver.Deliveries.Count(d => d.Answered == 500) >= 10, "every third call failed");
        Assert.All(receiver.Deliveries, d => Assert.StartsWith($"ce_{Customer}_", d.Id, StringComparison.Ordinal));
    }

    /// <summary>The app's announcer, failing as a dying instance would at the chosen step.</summary>
    private sealed class CrashingAnnouncer(IEventAnnouncer inner, string crashAt) : IEventAnnouncer
    {
        public Task<EventAnnouncement?> AnnounceAsync(string customerId, CancellationToken cancellationToken = default) =>
            crashAt == "announce" ? throw new SimulatedCrashException() : inner.AnnounceAsync(customerId, cancellationToken);

        public Task AfterWriteAsync(EventAnnouncement announcement, CancellationToken cancellationToken = default) =>
            crashAt == "after-write" ? throw new SimulatedCrashException() : inner.AfterWriteAsync(announcement, cancellationToken);
    }

    /// <summary>The store, dying right after a delivery was taken and before its batch is taken away.</summary>
    private sealed class DyingAfterDelivery(ICreditStore inner) : DelegatingCreditStore(inner)
    {
        public override Task CompleteOutboxAsync(OutboxBatch batch, CancellationToken cancellationToken = default) => throw new SimulatedCrashException();
    }

    [Theory]
    [InlineData("announce")]
    [InlineData("write-lost")]
    [InlineData("write-landed")]
    [InlineData("after-write")]
    [InlineData("after-delivery")]
    public async Task ACrashAtAnyPointBetweenTheWriteAndTheDelivery_LosesNoEventAndInventsNone(string crashAt)
    {
        var receiver = await _receiver;
        var settings = receiver.Settings(new() { ["Events:LowBelow"] = "500", ["CreditStorage:TablePrefix"] = AzuriteFixture.NewTablePrefix() });
        await using (var setup = await AppHost.StartAsync(Start.AddMinutes(1), settings))
        {
            await WebhookClient.DeliverOkAsync(setup, SubscriptionEvent("evt_1EvC", "customer.subscription.created", Start, "sub_1Events", "active", YearlyPro, Start));
            await QueuePump.DrainAsync(setup);
        }

        var seen = receiver.Events.Count;
        var spend = new SpendRequest(600, "crossing", null, null); // 1000 → 400, below 500: credits.low
        await using (var dying = await AppHost.StartAsync(Start.AddMinutes(2), settings, services: s =>
        {
            if (crashAt is "write-lost" or "write-landed")
            {
                s.AddSingleton<ICreditStore>(sp => new CrashingStore(sp.GetRequiredService<TableCreditStore>(), crashAtWrite: 1, writeLandsBeforeCrash: crashAt == "write-landed"));
            }

            if (crashAt is "announce" or "after-write")
            {
                s.AddSingleton<IEventAnnouncer>(sp => new CrashingAnnouncer(sp.GetRequiredService<EventsHandOff>(), crashAt));
            }
        }))
        {
            if (crashAt == "after-delivery")
            {
                Assert.Null((await dying.Credits.SpendAsync(Customer, spend)).Refusal);
                var delivery = new EventDelivery(new DyingAfterDelivery(dying.Store), dying.Services.GetRequiredService<EventSender>(),
                    dying.Services.GetRequiredService<EventsHandOff>(), dying.Services.GetRequiredService<CreditMetrics>(),
                    dying.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<EventsOptions>>(), Microsoft.Extensions.Logging.Abstractions.NullLogger<EventDelivery>.Instance);
                var message = (await QueuePump.Queue(dying).ReceiveMessagesAsync(maxMessages: 1, visibilityTimeout: TimeSpan.FromSeconds(1))).Value.Single();
                await Assert.ThrowsAsync<SimulatedCrashException>(() => delivery.DeliverAsync(message.Body.ToString(), message.DequeueCount));
            }
            else
            {
                await Assert.ThrowsAsync<SimulatedCrashException>(() => dying.Credits.SpendAsync(Customer, spend));
            }
        }

        // Another instance: the client retries with the same key; the queue's announcements come due and are delivered.
        await using var healthy = await AppHost.StartAsync(Start.AddMinutes(3), settings);
        Assert.Null((await healthy.Credits.SpendAsync(Customer, spend)).Refusal);
        await QueuePump.DrainAsync(healthy); // every announcement shows itself after Events:AnnounceDelay, and is delivered

        Assert.Equal(["credits.low"], receiver.Events.Skip(seen).Select(e => e.Type));
        Assert.Single(await FullLedgerAsync(healthy.Store, Customer), e => e.Kind == LedgerKind.Spend);
        Assert.Empty(await healthy.Store.GetOutboxAsync(Customer));
        Assert.All(receiver.Taken.Skip(seen).GroupBy(d => d.Id), g => Assert.Single(g.Select(d => d.Body).Distinct()));
    }

    /// <summary>The store, taking its time over the account write (a throttled store, say): the announcement comes due first.</summary>
    private sealed class SlowWrites(ICreditStore inner, TimeSpan delay) : DelegatingCreditStore(inner)
    {
        public override async Task<AccountWriteOutcome> TryWriteAccountAsync(AccountWrite write, CancellationToken cancellationToken = default)
        {
            await Task.Delay(delay, cancellationToken);
            return await base.TryWriteAccountAsync(write, cancellationToken);
        }
    }

    [Fact]
    public async Task AWriteSlowerThanTheAnnounceDelay_IsAnnouncedAgainOnceItLands_AndItsEventsDelivered()
    {
        var receiver = await _receiver;
        var settings = receiver.Settings(new()
        {
            ["Events:LowBelow"] = "500", ["Events:AnnounceDelay"] = "00:00:00.5", ["CreditStorage:TablePrefix"] = AzuriteFixture.NewTablePrefix(),
        });
        await using (var setup = await AppHost.StartAsync(Start.AddMinutes(1), settings))
        {
            await WebhookClient.DeliverOkAsync(setup, SubscriptionEvent("evt_1EvC", "customer.subscription.created", Start, "sub_1Events", "active", YearlyPro, Start));
            await QueuePump.DrainAsync(setup);
        }

        var seen = receiver.Events.Count;
        var (app, _) = await AppHost.StartAsync(Start.AddMinutes(2), inner => new SlowWrites(inner, TimeSpan.FromSeconds(2)), settings);
        await using var _app = app;
        var spend = app.Credits.SpendAsync(Customer, new SpendRequest(600, "slow", null, null)); // 1000 → 400: credits.low

        // The announcement comes due while the write is still on its way: the delivery finds nothing new, and ends.
        await Task.Delay(TimeSpan.FromSeconds(1));
        await QueuePump.DrainAsync(app, TimeSpan.FromMilliseconds(500));
        Assert.Equal(seen, receiver.Events.Count);
        Assert.Null((await spend).Refusal);
        await QueuePump.DrainAsync(app);

        Assert.Equal(["credits.low"], receiver.Events.Skip(seen).Select(e => e.Type));
    }

    [Fact]
    public async Task ATamperedDelivery_FailsVerificationWithTheLibraryAReceiverUses()
    {
        await using var app = await CustomerAsync();
        await QueuePump.DrainAsync(app);
        var delivery = (await _receiver).Taken[0];
        var webhook = new StandardWebhooks.StandardWebhook(EventReceiver.Secret);
        Microsoft.AspNetCore.Http.HeaderDictionary Headers(string signature) => new()
        {
            ["webhook-id"] = delivery.Id, ["webhook-timestamp"] = delivery.Timestamp, ["webhook-signature"] = signature,
        };

        webhook.Verify(delivery.Body, Headers(delivery.Signature)); // as sent: verifies
        Assert.Throws<StandardWebhooks.Diagnostics.WebhookVerificationException>(() => webhook.Verify(delivery.Body.Replace("1000", "9000", StringComparison.Ordinal), Headers(delivery.Signature)));
        Assert.Throws<StandardWebhooks.Diagnostics.WebhookVerificationException>(() => webhook.Verify(delivery.Body, Headers("v1," + Convert.ToBase64String(new byte[32]))));
        Assert.Throws<StandardWebhooks.Diagnostics.WebhookVerificationException>(() => new StandardWebhooks.StandardWebhook("whsec_" + Convert.ToBase64String(Enumerable.Repeat((byte)7, 32).ToArray())).Verify(delivery.Body, Headers(delivery.Signature)));
    }

    [Fact]
    public async Task AnUnreachableEndpoint_EndsInThePoisonQueueAndTheMetric_AndTheEventsStayInTheOutbox()
    {
        var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await using var app = await CustomerAsync(new() { ["Events:WebhookUrl"] = $"http://127.0.0.1:{port}/events", ["Events:MaxAttempts"] = "2", ["Events:DeliveryTimeout"] = "00:00:02" });
        using var metrics = new MetricCapture(app.Services);

        await QueuePump.DrainAsync(app, TimeSpan.FromSeconds(60));

        var poisoned = (await QueuePump.Queue(app, "-poison").ReceiveMessagesAsync(maxMessages: 10)).Value;
        var message = JsonSerializer.Deserialize<EventsMessage>(Assert.Single(poisoned).Body.ToString(), CreditJson.Options)!;
        Assert.Equal((Customer, 2), (message.CustomerId, message.Attempt));
        Assert.Equal(1, metrics.Sum(CreditMetrics.EventsPoisoned));
        Assert.Equal(1, metrics.Sum(CreditMetrics.EventsRetried));
        Assert.Single(Assert.Single(await app.Store.GetOutboxAsync(Customer)).Events);
    }

    [Fact]
    public async Task ARedirect_IsNotADelivery_TheEventIsSentAgainUntilTheEndpointAnswers2xx()
    {
        await using var app = await CustomerAsync(new() { ["Events:RetryAfter"] = "00:00:00" });
        var receiver = await _receiver;
        receiver.Answer = call => call == 1 ? 307 : 200;

        await QueuePump.DrainAsync(app, TimeSpan.FromSeconds(60));

        Assert.Equal([307, 200], receiver.Deliveries.Select(d => d.Answered).Take(2));
        Assert.Equal(receiver.Deliveries[0].Id, receiver.Deliveries[1].Id); // the same event again, not the next one
        Assert.Empty(await app.Store.GetOutboxAsync(Customer));
    }

    [Fact]
    public async Task AStoreFailureOnTheHostsLastTry_IsCountedAsPoisoned()
    {
        await using var app = await CustomerAsync();
        using var metrics = new MetricCapture(app.Services);
        var delivery = new EventDelivery(new UnreachableOutbox(app.Store), app.Services.GetRequiredService<EventSender>(), app.Services.GetRequiredService<EventsHandOff>(),
            app.Services.GetRequiredService<CreditMetrics>(), app.Services.GetRequiredService<IOptions<EventsOptions>>(), NullLogger<EventDelivery>.Instance);
        var text = JsonSerializer.Serialize(new EventsMessage(Customer, 1), CreditJson.Options);

        await Assert.ThrowsAsync<Azure.RequestFailedException>(() => delivery.DeliverAsync(text, dequeueCount: 1));
        Assert.Equal(0, metrics.Sum(CreditMetrics.EventsPoisoned)); // the host tries it again
        await Assert.ThrowsAsync<Azure.RequestFailedException>(() => delivery.DeliverAsync(text, EventDelivery.HostMaxDequeueCount));
        Assert.Equal(1, metrics.Sum(CreditMetrics.EventsPoisoned)); // its last try: on to the poison queue, and counted
    }

    /// <summary>The store, with the outbox not answering (an outage while delivering).</summary>
    private sealed class UnreachableOutbox(ICreditStore inner) : DelegatingCreditStore(inner)
    {
        public override Task<IReadOnlyList<OutboxBatch>> GetOutboxAsync(string customerId, CancellationToken cancellationToken = default) =>
            Task.FromException<IReadOnlyList<OutboxBatch>>(new Azure.RequestFailedException(503, "Server Busy", "ServerBusy", null));
    }

    [Fact]
    public async Task EventsOff_WriteNothingForTheSaaS()
    {
        await using var app = await AppHost.StartAsync(Start.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1EvOff", "customer.subscription.created", Start, "sub_1Events", "active", YearlyPro, Start));

        await SpendAsync(app, Customer, 999, "s1");

        Assert.Empty(await app.Store.GetOutboxAsync(Customer));
        Assert.Equal(0, (await app.Store.GetStateAsync(Customer))!.EventSequence);
    }
}
