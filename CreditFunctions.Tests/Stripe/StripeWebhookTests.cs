using CreditFunctions.Subscriptions;
using Microsoft.Extensions.Logging;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Stripe;

/// <summary>The webhook endpoint end to end: signed deliveries through the real function, container and Azurite.</summary>
public class StripeWebhookTests
{
    private static readonly DateTimeOffset PeriodStart = Utc(2026, 1, 15, 9, 30);
    private static readonly DateTimeOffset Now = PeriodStart.AddMinutes(1);
    private static readonly DateTimeOffset P1 = PeriodStart;
    private static readonly DateTimeOffset P2 = PeriodStart.AddMonths(1);

    private static string SubscriptionEvent(string eventId, string type, DateTimeOffset created, string subscriptionId, string status, Plan plan, DateTimeOffset periodStart) =>
        Event(eventId, type, created, Subscription(subscriptionId, status, plan, periodStart, plan.Interval == "year" ? periodStart.AddYears(1) : periodStart.AddMonths(1)));

    private static string InvoicePaid(string eventId, DateTimeOffset created, string subscriptionId, Plan plan, DateTimeOffset periodStart) =>
        Event(eventId, "invoice.paid", created, Invoice("in_" + eventId[4..], subscriptionId, plan, periodStart, plan.Interval == "year" ? periodStart.AddYears(1) : periodStart.AddMonths(1)));

    [Fact]
    public async Task Created_ActiveYearly_StoresSubscriptionGrantsFirstAllowanceAndSchedulesNextMonth()
    {
        await using var app = await AppHost.StartAsync(Now);

        var result = await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1Created", "customer.subscription.created", Now, "sub_1New", "active", YearlyPro, PeriodStart));

        Assert.Equal("synced; reset", result);
        var stored = await app.Store.GetRequiredAsync("sub_1New");
        Assert.Equal(
            ("cus_1New", "price_1YearlyPro", "year", "active", PeriodStart, PeriodStart.AddYears(1), 1000, 1000L, PeriodStart),
            (stored.Stripe.CustomerId, stored.Stripe.PriceId, stored.Stripe.Interval, stored.Stripe.Status, stored.Stripe.PeriodStart, stored.Stripe.PeriodEnd, stored.Stripe.MonthlyAllowance!.Value, stored.Balance, stored.LastResetBoundary!.Value));
        var reset = Assert.Single(await app.Store.GetResetHistoryAsync("sub_1New"));
        Assert.Equal((ResetTrigger.Webhook, "evt_1Created", PeriodStart), (reset.Trigger, reset.RunId, reset.Boundary));
        Assert.Equal([PeriodStart.AddMonths(1)], (await app.Store.AllDueAsync()).Select(d => d.DueAt));
    }

    [Fact]
    public async Task Created_Incomplete_GetsNoCreditsUntilActive()
    {
        await using var app = await AppHost.StartAsync(Now);

        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1C", "customer.subscription.created", Now, "sub_1Inc", "incomplete", MonthlyPro, PeriodStart));
        Assert.Equal(0, (await app.Store.GetRequiredAsync("sub_1Inc")).Balance);

        var result = await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1U", "customer.subscription.updated", Now.AddSeconds(20), "sub_1Inc", "active", MonthlyPro, PeriodStart));

        Assert.Equal("synced; reset", result);
        Assert.Equal(1000, (await app.Store.GetRequiredAsync("sub_1Inc")).Balance);
    }

    [Theory]
    [InlineData("customer.subscription.updated", "past_due")]
    [InlineData("customer.subscription.paused", "paused")]
    [InlineData("customer.subscription.resumed", "active")]
    [InlineData("customer.subscription.deleted", "canceled")]
    public async Task SubscriptionEvent_SyncsStatus(string type, string status)
    {
        await using var app = await AppHost.StartAsync(Now);
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1C", "customer.subscription.created", Now, "sub_1S", "active", YearlyPro, PeriodStart));
        var before = await app.Store.GetRequiredAsync("sub_1S");

        var result = await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1X", type, Now.AddMinutes(1), "sub_1S", status, YearlyPro, PeriodStart));

        Assert.Equal("synced", result);
        var stored = await app.Store.GetRequiredAsync("sub_1S");
        // A canceled subscription's plan credits expire with it (recorded in the same write); other changes keep them.
        Assert.Equal((status, before.Version + 1, status == "canceled" ? 0 : before.Balance), (stored.Stripe.Status, stored.Version, stored.Balance));
        var due = await app.Store.AllDueAsync();
        if (status == "canceled")
        {
            Assert.Empty(due); // a canceled subscription leaves the index
        }
        else
        {
            Assert.Equal([PeriodStart.AddMonths(1)], due.Select(d => d.DueAt));
        }
    }

    [Fact]
    public async Task InvoicePaid_Renewal_AdvancesPeriodAndResetsOnce()
    {
        await using var app = await AppHost.StartAsync(Now);
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1C", "customer.subscription.created", Now, "sub_1M", "active", MonthlyPro, PeriodStart));
        Assert.True((await app.Store.TryChangeAsync("sub_1M", s => s with { Balance = 40 })).Applied);
        var renewal = PeriodStart.AddMonths(1);
        app.Time.SetUtcNow(renewal.AddHours(1));

        // The invoice arrives before the renewal's customer.subscription.updated.
        var result = await WebhookClient.DeliverOkAsync(app, InvoicePaid("evt_1Paid", renewal.AddHours(1), "sub_1M", MonthlyPro, renewal));

        Assert.Equal("synced; reset", result);
        var stored = await app.Store.GetRequiredAsync("sub_1M");
        Assert.Equal((renewal, renewal.AddMonths(1), 1000L), (stored.Stripe.PeriodStart, stored.Stripe.PeriodEnd, stored.Balance));
        var history = await app.Store.GetResetHistoryAsync("sub_1M");
        Assert.Equal([PeriodStart, renewal], history.Select(r => r.Boundary));
        Assert.Equal(40, history[1].BalanceBefore);
        Assert.Equal([renewal.AddMonths(1)], (await app.Store.AllDueAsync()).Select(d => d.DueAt));

        // Then the update arrives: it syncs and grants nothing more.
        Assert.Equal("synced", await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1Upd", "customer.subscription.updated", renewal, "sub_1M", "active", MonthlyPro, renewal)));
        Assert.Equal(2, (await app.Store.GetResetHistoryAsync("sub_1M")).Count);
    }

    [Fact]
    public async Task DuplicateDelivery_ChangesNothing()
    {
        await using var app = await AppHost.StartAsync(Now);
        var created = SubscriptionEvent("evt_1DupC", "customer.subscription.created", Now, "sub_1D", "active", MonthlyPro, PeriodStart);
        var updated = SubscriptionEvent("evt_1DupU", "customer.subscription.updated", Now.AddSeconds(5), "sub_1D", "active", MonthlyPro, PeriodStart);
        var paid = InvoicePaid("evt_1DupPaid", Now.AddSeconds(6), "sub_1D", MonthlyPro, PeriodStart);
        await WebhookClient.DeliverOkAsync(app, created);
        await WebhookClient.DeliverOkAsync(app, updated);
        await WebhookClient.DeliverOkAsync(app, paid);
        var before = await app.Store.GetRequiredAsync("sub_1D");

        var results = new[]
        {
            await WebhookClient.DeliverOkAsync(app, created),
            await WebhookClient.DeliverOkAsync(app, updated),
            await WebhookClient.DeliverOkAsync(app, paid),
        };

        // Each event id was recorded with the write it made: every redelivery is a duplicate and writes nothing.
        Assert.Equal(["duplicate", "duplicate", "duplicate"], results);
        Assert.Equal(before, await app.Store.GetRequiredAsync("sub_1D"));
        Assert.Single(await app.Store.GetResetHistoryAsync("sub_1D"));
    }

    [Fact]
    public async Task Reordered_UpdatedBeforeCreated_KeepsTheUpdate()
    {
        await using var app = await AppHost.StartAsync(Now);

        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1Upd", "customer.subscription.updated", Now, "sub_1R", "active", MonthlyPro, PeriodStart));
        var created = await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1Cre", "customer.subscription.created", Now, "sub_1R", "incomplete", MonthlyPro, PeriodStart));

        Assert.Equal("stale", created);
        var stored = await app.Store.GetRequiredAsync("sub_1R");
        Assert.Equal(("active", 1000L), (stored.Stripe.Status, stored.Balance));
    }

    [Fact]
    public async Task Reordered_OldUpdateAfterNewOne_IsIgnored()
    {
        await using var app = await AppHost.StartAsync(Now);
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1C", "customer.subscription.created", Now, "sub_1O", "active", YearlyPro, PeriodStart));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1New", "customer.subscription.updated", Now.AddMinutes(10), "sub_1O", "past_due", YearlyPro, PeriodStart));

        var old = await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1Old", "customer.subscription.updated", Now.AddMinutes(5), "sub_1O", "active", YearlyPro, PeriodStart));

        Assert.Equal("stale", old);
        Assert.Equal("past_due", (await app.Store.GetRequiredAsync("sub_1O")).Stripe.Status);
    }

    [Fact]
    public async Task Reordered_OldPeriodAfterRenewal_IsIgnored()
    {
        await using var app = await AppHost.StartAsync(Now);
        var renewal = PeriodStart.AddMonths(1);
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1New", "customer.subscription.updated", renewal, "sub_1P", "active", MonthlyPro, renewal));

        var old = await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1Old", "customer.subscription.updated", renewal.AddMinutes(1), "sub_1P", "canceled", MonthlyPro, PeriodStart));
        var oldInvoice = await WebhookClient.DeliverOkAsync(app, InvoicePaid("evt_1OldPaid", renewal, "sub_1P", MonthlyPro, PeriodStart));

        Assert.Equal("stale", old);
        Assert.Equal("stale", oldInvoice);
        var stored = await app.Store.GetRequiredAsync("sub_1P");
        Assert.Equal(("active", renewal), (stored.Stripe.Status, stored.Stripe.PeriodStart));
    }

    [Fact]
    public async Task UnknownPlan_IsStoredWithoutCreditsLoggedAndShownInRunSummaries()
    {
        await using var app = await AppHost.StartAsync(Now);

        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1Unk", "customer.subscription.created", Now, "sub_1U", "active", Unmapped, PeriodStart));

        var stored = await app.Store.GetRequiredAsync("sub_1U");
        Assert.Equal((null, 0L), (stored.Stripe.MonthlyAllowance, stored.Balance));
        Assert.Contains(app.Logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("sub_1U has an unknown plan (price price_1Unmapped)", StringComparison.Ordinal));
        app.Time.SetUtcNow(PeriodStart.AddMonths(1).AddDays(1));
        var run = await app.Services.GetRequiredService<CreditResetHandler>().RunAsync(new ResetRequest(ResetTrigger.Timer));
        Assert.Contains(new SkippedSubscription("sub_1U", SkipReason.UnknownPlan), run.Summary!.Skipped);
    }

    [Fact]
    public async Task WeeklyPrice_GetsNoMonthlyAllowanceEveryWeek()
    {
        await using var app = await AppHost.StartAsync(Now);
        var periodEnd = PeriodStart.AddDays(7);

        var created = await WebhookClient.DeliverOkAsync(app, Event("evt_1Week", "customer.subscription.created", Now,
            Subscription("sub_1Week", "active", WeeklyPro, PeriodStart, periodEnd)));
        app.Time.SetUtcNow(periodEnd.AddMinutes(1));
        var renewal = await WebhookClient.DeliverOkAsync(app, Event("evt_1WeekPaid", "invoice.paid", periodEnd,
            Invoice("in_1Week", "sub_1Week", WeeklyPro, periodEnd, periodEnd.AddDays(7))));

        Assert.Equal("synced; reset skipped (unsupported-interval)", created);
        Assert.Equal("synced; reset skipped (unsupported-interval)", renewal);
        Assert.Equal(0, (await app.Store.GetRequiredAsync("sub_1Week")).Balance);
        Assert.Empty(await app.Store.GetResetHistoryAsync("sub_1Week"));
    }

    [Fact]
    public async Task PlanCreditsSetting_GivesAllowanceToPriceWithoutMetadata()
    {
        await using var app = await AppHost.StartAsync(Now, new Dictionary<string, string?> { ["Stripe:PlanCredits"] = "price_1Unmapped=250;other=5" });

        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1Map", "customer.subscription.created", Now, "sub_1Map", "active", Unmapped, PeriodStart));

        Assert.Equal((250, 250L), ((await app.Store.GetRequiredAsync("sub_1Map")).Stripe.MonthlyAllowance!.Value, (await app.Store.GetRequiredAsync("sub_1Map")).Balance));
    }

    [Fact]
    public async Task MonthlyToYearly_ResetsOnTheNewPeriodThenMonthlyInsideIt()
    {
        await using var app = await AppHost.StartAsync(Now);
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1C", "customer.subscription.created", Now, "sub_1Up", "active", MonthlyPro, PeriodStart));
        var switchedAt = PeriodStart.AddDays(10);
        app.Time.SetUtcNow(switchedAt.AddMinutes(1));

        // Changing the interval resets the billing cycle anchor: a new yearly period starts now, paid at once.
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1Switch", "customer.subscription.updated", switchedAt, "sub_1Up", "active", YearlyTeam, switchedAt));
        var paid = await WebhookClient.DeliverOkAsync(app, InvoicePaid("evt_1SwitchPaid", switchedAt, "sub_1Up", YearlyTeam, switchedAt));
        app.Time.SetUtcNow(switchedAt.AddMonths(1).AddDays(1));
        var run = await app.Services.GetRequiredService<CreditResetHandler>().RunAsync(new ResetRequest(ResetTrigger.Timer));

        Assert.Equal("synced; reset", paid);
        Assert.Equal(1, run.Summary!.Counts.Reset);
        var stored = await app.Store.GetRequiredAsync("sub_1Up");
        Assert.Equal(("year", 5000, 5000L), (stored.Stripe.Interval, stored.Stripe.MonthlyAllowance!.Value, stored.Balance));
        Assert.Equal([PeriodStart, switchedAt, switchedAt.AddMonths(1)], (await app.Store.GetResetHistoryAsync("sub_1Up")).Select(r => r.Boundary));
    }

    [Fact]
    public async Task UnknownEventType_Answers200AndIsIgnored()
    {
        await using var app = await AppHost.StartAsync(Now);

        var result = await WebhookClient.DeliverOkAsync(app, Event("evt_1Other", "customer.created", Now, """{ "id": "cus_1X", "object": "customer" }"""));

        Assert.Equal("ignored", result);
    }

    [Fact]
    public async Task InvoicePaid_UnknownSubscription_Answers200AndWritesNothing()
    {
        await using var app = await AppHost.StartAsync(Now);

        var result = await WebhookClient.DeliverOkAsync(app, InvoicePaid("evt_1Early", Now, "sub_1Later", MonthlyPro, PeriodStart));

        Assert.Equal("unknown-subscription", result);
        Assert.Null(await app.Store.GetSubscriptionAsync("sub_1Later"));
    }

    public static TheoryData<string> RefusedDeliveries() => ["wrong-secret", "stale-timestamp", "missing-header", "garbage-header", "truncated", "tampered"];

    [Theory]
    [MemberData(nameof(RefusedDeliveries))]
    public async Task RefusedDelivery_Answers400ProblemAndWritesNothing(string kind)
    {
        await using var app = await AppHost.StartAsync(Now);
        var payload = SubscriptionEvent("evt_1Bad", "customer.subscription.created", Now, "sub_1Bad", "active", MonthlyPro, PeriodStart);

        var (status, body) = kind switch
        {
            "wrong-secret" => await WebhookClient.DeliverAsync(app, payload, secret: "whsec_someoneelse"),
            "stale-timestamp" => await WebhookClient.DeliverAsync(app, payload, signedAt: Now.AddMinutes(-6)),
            "missing-header" => await WebhookClient.DeliverAsync(app, payload, header: ""),
            "garbage-header" => await WebhookClient.DeliverAsync(app, payload, header: "not a signature"),
            "truncated" => await WebhookClient.DeliverAsync(app, payload[..(payload.Length / 2)]),
            _ => await WebhookClient.DeliverAsync(app, payload.Replace("\"active\"", "\"trialing\"", StringComparison.Ordinal), header: StripeSigning.Header(payload, Now)),
        };

        Assert.Equal(400, status);
        Assert.Equal(400, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(body.GetProperty("detail").GetString()));
        Assert.Null(await app.Store.GetSubscriptionAsync("sub_1Bad"));
    }

    [Fact]
    public async Task Delivery_WithinTolerance_IsAccepted()
    {
        await using var app = await AppHost.StartAsync(Now);
        var payload = SubscriptionEvent("evt_1Ok", "customer.subscription.created", Now, "sub_1Ok", "active", MonthlyPro, PeriodStart);

        var (status, _) = await WebhookClient.DeliverAsync(app, payload, signedAt: Now.AddMinutes(-4));

        Assert.Equal(200, status);
    }

    [Fact]
    public async Task OtherApiVersion_Answers400AndLogsTheVersionToSet()
    {
        await using var app = await AppHost.StartAsync(Now);
        var payload = Event("evt_1Old", "customer.subscription.created", Now, Subscription("sub_1V", "active", MonthlyPro, PeriodStart, PeriodStart.AddMonths(1)), apiVersion: "2024-06-20");

        var (status, body) = await WebhookClient.DeliverAsync(app, payload);

        Assert.Equal(400, status);
        Assert.Contains("2026-10-28.endive", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains(app.Logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("API version 2024-06-20", StringComparison.Ordinal) && e.Message.Contains("2026-10-28.endive", StringComparison.Ordinal));
        Assert.Null(await app.Store.GetSubscriptionAsync("sub_1V"));
    }

    public static TheoryData<string> SignedNonEvents() =>
    [
        "[]",
        "\"x\"",
        "null",
        "42",
        "{}",
        // A thin (v2) event: signed the same way, but only a pointer to the object, not a snapshot of it.
        """{ "id": "evt_test_65R9Ijk8", "object": "v2.core.event", "type": "v1.billing.meter.error_report_triggered", "created": "2026-11-28T10:00:00.000Z", "livemode": false, "related_object": { "id": "mtr_1", "type": "billing.meter", "url": "/v1/billing/meters/mtr_1" } }""",
    ];

    [Theory]
    [MemberData(nameof(SignedNonEvents))]
    public async Task SignedBodyThatIsNotASnapshotEvent_Answers400ProblemAndWritesNothing(string body)
    {
        await using var app = await AppHost.StartAsync(Now);

        var (status, answer) = await WebhookClient.DeliverAsync(app, body);

        Assert.Equal(400, status);
        Assert.Equal(400, answer.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(answer.GetProperty("detail").GetString()));
        Assert.Empty(await app.Store.AllDueAsync());
    }

    [Theory]
    [InlineData("t=abc,v1=00ff")]
    [InlineData("t=,v1=00ff")]
    [InlineData("t=99999999999999999999,v1=00ff")]
    [InlineData("t=1,t=2,v1=00ff")]
    [InlineData("t=1767225600,v1=not-hex")]
    public async Task MalformedSignatureHeader_Answers400Problem(string header)
    {
        await using var app = await AppHost.StartAsync(Now);
        var payload = SubscriptionEvent("evt_1Hdr", "customer.subscription.created", Now, "sub_1Hdr", "active", MonthlyPro, PeriodStart);

        var (status, answer) = await WebhookClient.DeliverAsync(app, payload, header: header);

        Assert.Equal((400, "Malformed Stripe-Signature"), (status, answer.GetProperty("title").GetString()));
        Assert.Null(await app.Store.GetSubscriptionAsync("sub_1Hdr"));
    }

    [Fact]
    public async Task BodyOverTheCap_Answers413BeforeReadingIt()
    {
        await using var app = await AppHost.StartAsync(Now);
        var big = System.Text.Json.Nodes.JsonNode.Parse(SubscriptionEvent("evt_1Big", "customer.subscription.created", Now, "sub_1Big", "active", MonthlyPro, PeriodStart))!;
        big["data"]!["object"]!["metadata"] = new System.Text.Json.Nodes.JsonObject { ["pad"] = new string('x', 300 * 1024) };
        var padded = big.ToJsonString();

        var (status, answer) = await WebhookClient.DeliverAsync(app, padded);

        Assert.Equal((413, 413), (status, answer.GetProperty("status").GetInt32()));
        Assert.Null(await app.Store.GetSubscriptionAsync("sub_1Big"));
    }

    [Fact]
    public async Task InvoicePaidWithoutASubscription_Answers200Ignored()
    {
        await using var app = await AppHost.StartAsync(Now);
        var invoice = System.Text.Json.Nodes.JsonNode.Parse(Invoice("in_1OneOff", "sub_1None", MonthlyPro, PeriodStart, PeriodStart.AddMonths(1)))!;
        invoice["parent"] = null;

        var (status, answer) = await WebhookClient.DeliverAsync(app, Event("evt_1OneOff", "invoice.paid", Now, invoice.ToJsonString()));

        Assert.Equal((200, "ignored"), (status, answer.GetProperty("result").GetString()));
        Assert.Contains("credits", answer.GetProperty("detail").GetString(), StringComparison.Ordinal); // not a pack either: no credits known
    }

    [Fact]
    public async Task SubscriptionWithoutItems_Answers200IgnoredAndWritesNothing()
    {
        await using var app = await AppHost.StartAsync(Now);
        var subscription = System.Text.Json.Nodes.JsonNode.Parse(Subscription("sub_1Empty", "active", MonthlyPro, PeriodStart, PeriodStart.AddMonths(1)))!;
        subscription["items"]!["data"] = new System.Text.Json.Nodes.JsonArray();

        var (status, answer) = await WebhookClient.DeliverAsync(app, Event("evt_1Empty", "customer.subscription.created", Now, subscription.ToJsonString()));

        Assert.Equal((200, "ignored"), (status, answer.GetProperty("result").GetString()));
        Assert.Contains("no items", answer.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Null(await app.Store.GetSubscriptionAsync("sub_1Empty"));
    }

    [Fact]
    public async Task EveryAnswerLabel_IsOneOfTheDocumentedList()
    {
        await using var app = await AppHost.StartAsync(Now);
        var created = SubscriptionEvent("evt_1L1", "customer.subscription.created", Now, "sub_1Lbl", "active", MonthlyPro, PeriodStart);
        var labels = new List<string>
        {
            await WebhookClient.DeliverOkAsync(app, created),
            await WebhookClient.DeliverOkAsync(app, created),
            await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1L2", "customer.subscription.updated", Now.AddMinutes(-30), "sub_1Lbl", "active", MonthlyPro, PeriodStart)),
            await WebhookClient.DeliverOkAsync(app, InvoicePaid("evt_1L3", Now, "sub_1Lbl", MonthlyPro, PeriodStart)),
            await WebhookClient.DeliverOkAsync(app, InvoicePaid("evt_1L4", Now, "sub_1Nobody", MonthlyPro, PeriodStart)),
        };
        app.Time.SetUtcNow(PeriodStart.AddMonths(1).AddHours(1));
        labels.Add(await WebhookClient.DeliverOkAsync(app, InvoicePaid("evt_1L5", PeriodStart.AddMonths(1), "sub_1Lbl", YearlyTeam, PeriodStart.AddMonths(1))));
        labels.Add(await WebhookClient.DeliverOkAsync(app, Event("evt_1L6", "customer.created", Now, """{ "id": "cus_1X", "object": "customer" }""")));

        Assert.Equal(["synced; reset", "duplicate", "stale", "synced", "unknown-subscription", "paid-recorded; reset skipped (period-ended-awaiting-renewal)", "ignored"], labels);
        Assert.All(labels, l => Assert.Contains(l.Split(';')[0], CreditFunctions.Stripe.WebhookResult.All));
    }

    [Theory]
    [InlineData("event-id")]
    [InlineData("subscription-id")]
    [InlineData("null-id")]
    public async Task SignedPayloadWithIdsStripeNeverSends_IsRefusedOrIgnoredNever500(string kind)
    {
        await using var app = await AppHost.StartAsync(P1.AddMinutes(1));
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
        Assert.Null(await app.Store.GetAccountAsync("cus_1Odd"));
        Assert.Empty(await app.Store.AllDueAsync());
    }

    [Fact]
    public async Task CreditsMetadataWithSpaces_IsReadAsTheNumber()
    {
        await using var app = await AppHost.StartAsync(P1.AddMinutes(1));
        var subscription = System.Text.Json.Nodes.JsonNode.Parse(Subscription("sub_1Space", "active", MonthlyPro, P1, P2))!;
        subscription["items"]!["data"]![0]!["price"]!["metadata"] = new System.Text.Json.Nodes.JsonObject { ["credits_per_month"] = " 1000 " };

        await WebhookClient.DeliverOkAsync(app, Event("evt_1Space", "customer.subscription.created", P1, subscription.ToJsonString()));

        Assert.Equal(1000, (await app.Store.GetRequiredAsync("sub_1Space")).Balance);
    }
}
