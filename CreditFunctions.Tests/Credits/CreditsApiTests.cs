using System.Text.Json;
using static CreditFunctions.Tests.Credits.CreditsClient;
using static CreditFunctions.Tests.Stripe.Deliveries;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Credits;

/// <summary>The four credits endpoints over Azurite: read, spend, grant, ledger, and every way to call them wrong.</summary>
public class CreditsApiTests
{
    private static readonly DateTimeOffset Start = Utc(2026, 1, 31, 10);
    private const string Customer = "cus_1Api";

    /// <summary>A customer with a yearly plan of 1000 credits a month, its first allowance given at the start.</summary>
    private static Task<AppHost> CustomerWithPlanAsync(DateTimeOffset? now = null) => TestCustomers.WithPlanAsync("sub_1Api", Start, now: now);

    [Fact]
    public async Task Get_AnswersTheTotalAndEachBucketInSpendOrder()
    {
        await using var app = await CustomerWithPlanAsync();
        Assert.Equal(201, (await GrantAsync(app, Customer, 300, "grant-soon", Start.AddDays(10))).Status);
        Assert.Equal(201, (await GrantAsync(app, Customer, 50, "grant-forever")).Status);

        var answer = await GetAsync(app, Customer);

        Assert.Equal(200, answer.Status);
        Assert.Equal(1350, answer.Body.GetProperty("available").GetInt64());
        var buckets = answer.Body.GetProperty("buckets").EnumerateArray().ToList();
        Assert.Equal(["grant-2", "plan-sub_1Api", "grant-3"], buckets.Select(b => b.GetProperty("id").GetString()));
        Assert.Equal(("plan", 1000, Utc(2026, 2, 28, 10)), (buckets[1].GetProperty("kind").GetString(), buckets[1].GetProperty("allowance").GetInt32(), buckets[1].GetProperty("nextResetAt").GetDateTimeOffset()));
        Assert.Equal(("grant", 300, Start.AddDays(10)), (buckets[0].GetProperty("kind").GetString(), buckets[0].GetProperty("granted").GetInt64(), buckets[0].GetProperty("expiresAt").GetDateTimeOffset()));
    }

    [Fact]
    public async Task Spend_TakesFromTheSoonestExpiringFirstAndRecordsItInTheLedger()
    {
        await using var app = await CustomerWithPlanAsync();
        await GrantAsync(app, Customer, 300, "grant-soon", Start.AddDays(10));
        await GrantAsync(app, Customer, 500, "grant-forever");

        var spend = await SpendAsync(app, Customer, 1200, "spend-1", "a big report");

        Assert.Equal(200, spend.Status);
        var parts = spend.Body.GetProperty("parts").EnumerateArray().Select(p => (p.GetProperty("bucketId").GetString(), p.GetProperty("amount").GetInt64())).ToList();
        Assert.Equal([("grant-2", -300L), ("plan-sub_1Api", -900L)], parts);
        Assert.Equal((-1200, 600), (spend.Body.GetProperty("amount").GetInt64(), spend.Body.GetProperty("available").GetInt64()));
        var ledger = await LedgerAsync(app, Customer, "?limit=1");
        var newest = Assert.Single(ledger.Body.GetProperty("entries").EnumerateArray());
        Assert.Equal(("spend", "spend-1", "a big report", 600), (newest.GetProperty("kind").GetString(), newest.GetProperty("idempotencyKey").GetString(), newest.GetProperty("reason").GetString(), newest.GetProperty("balanceAfter").GetInt64()));
        await AssertLedgerReplaysAsync(app.Store, Customer);
    }

    [Fact]
    public async Task Spend_MoreThanAvailable_Answers409WithTheAvailableAmountAndTakesNothing()
    {
        await using var app = await CustomerWithPlanAsync();

        var spend = await SpendAsync(app, Customer, 1001, "spend-too-much");
        var retry = await SpendAsync(app, Customer, 1000, "spend-too-much"); // a refusal is not stored under the key

        Assert.Equal((409, "application/problem+json"), (spend.Status, spend.ContentType));
        Assert.Equal(("insufficient-credits", 1000, 1001), (spend.Body.GetProperty("type").GetString(), spend.Body.GetProperty("available").GetInt64(), spend.Body.GetProperty("requested").GetInt64()));
        Assert.Equal(200, retry.Status);
        Assert.Equal(0, (await GetAsync(app, Customer)).Body.GetProperty("available").GetInt64());
    }

    [Theory]
    [InlineData("5.0")]
    [InlineData("5e0")]
    [InlineData("0.5e1")]
    public async Task Spend_AWholeNumberWrittenWithAFractionOrExponent_IsThatNumber(string amount)
    {
        await using var app = await CustomerWithPlanAsync();

        var spend = await SpendAsync(app, Customer, $$"""{ "amount": {{amount}}, "idempotencyKey": "whole-{{amount}}" }""");

        Assert.Equal((200, -5L, 995L), (spend.Status, spend.Body.GetProperty("amount").GetInt64(), spend.Body.GetProperty("available").GetInt64()));
    }

    [Fact]
    public async Task Spend_SameKeyAgain_AnswersTheFirstAnswerAndSpendsOnce_AnotherAmountIsRefused()
    {
        await using var app = await CustomerWithPlanAsync();

        var first = await SpendAsync(app, Customer, 100, "key-1");
        var again = await SpendAsync(app, Customer, 100, "key-1");
        var other = await SpendAsync(app, Customer, 200, "key-1");

        Assert.Equal((200, 200), (first.Status, again.Status));
        Assert.Equal(first.Body.ToString(), again.Body.ToString());
        Assert.Equal((409, "idempotency-key-reused"), (other.Status, other.Body.GetProperty("type").GetString()));
        Assert.Equal(900, (await GetAsync(app, Customer)).Body.GetProperty("available").GetInt64());
    }

    [Fact]
    public async Task Grant_SurvivesResetsAndItsExpiryIsRecordedOnce()
    {
        await using var app = await CustomerWithPlanAsync();
        await GrantAsync(app, Customer, 300, "promo", Start.AddDays(40));
        await SpendAsync(app, Customer, 1100, "spend-1"); // 1000 from the plan (expires first), 100 from the grant

        // The monthly reset sets the plan bucket again and leaves the grant alone; then the grant expires.
        app.Time.SetUtcNow(Utc(2026, 3, 1, 2));
        await app.Services.GetRequiredService<CreditResetHandler>().RunAsync(new ResetRequest(ResetTrigger.Timer));
        var afterReset = (await GetAsync(app, Customer)).Body.GetProperty("available").GetInt64();
        app.Time.SetUtcNow(Start.AddDays(41));
        var afterExpiry = (await GetAsync(app, Customer)).Body.GetProperty("available").GetInt64();
        await GetAsync(app, Customer);

        Assert.Equal(1200, afterReset);
        Assert.Equal(1000, afterExpiry);
        var expiries = (await FullLedgerAsync(app.Store, Customer)).Where(e => e.Kind == "expiry").ToList();
        var expiry = Assert.Single(expiries);
        Assert.Equal((-200, Start.AddDays(40)), (expiry.Amount, expiry.At));
        await AssertLedgerReplaysAsync(app.Store, Customer);
    }

    [Fact]
    public async Task Grant_ForANewCustomerCreatesTheAccount_AndANegativeAdjustmentNeverGoesBelowZero()
    {
        await using var app = await AppHost.StartAsync(Start);

        var grant = await GrantAsync(app, "cus_1New", 100, "welcome", reason: "welcome bonus");
        var tooMuch = await GrantAsync(app, "cus_1New", -101, "claw-1", reason: "support correction");
        var adjust = await GrantAsync(app, "cus_1New", -40, "claw-2", reason: "support correction");

        Assert.Equal(201, grant.Status);
        Assert.Equal((409, "insufficient-credits"), (tooMuch.Status, tooMuch.Body.GetProperty("type").GetString()));
        Assert.Equal((201, "adjustment", 60), (adjust.Status, adjust.Body.GetProperty("kind").GetString(), adjust.Body.GetProperty("available").GetInt64()));
        await AssertLedgerReplaysAsync(app.Store, "cus_1New");
    }

    [Fact]
    public async Task Ledger_PagesNewestFirstWithAContinuationToken()
    {
        await using var app = await CustomerWithPlanAsync();
        for (var i = 0; i < 7; i++)
        {
            await SpendAsync(app, Customer, 10, $"page-{i}");
        }

        var first = await LedgerAsync(app, Customer, "?limit=5");
        var token = first.Body.GetProperty("continuationToken").GetString();
        var second = await LedgerAsync(app, Customer, $"?limit=5&continuationToken={token}");

        var sequences = first.Body.GetProperty("entries").EnumerateArray().Concat(second.Body.GetProperty("entries").EnumerateArray())
            .Select(e => e.GetProperty("sequence").GetInt64()).ToList();
        Assert.Equal([8L, 7, 6, 5, 4, 3, 2, 1], sequences);
        Assert.Equal(JsonValueKind.Null, second.Body.GetProperty("continuationToken").ValueKind);
    }

    [Fact]
    public async Task ReadAt0030OnTheAnniversary_AppliesThatBoundary_AndThe0200RunFindsItApplied()
    {
        var start = Utc(2026, 1, 31, 0, 10);
        await using var app = await AppHost.StartAsync(start.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1EarlyC", "customer.subscription.created", start, "sub_1Early", "active", YearlyPro, start));
        await SpendAsync(app, "cus_1Early", 990, "spend-january");

        app.Time.SetUtcNow(Utc(2026, 2, 28, 0, 30));
        var read = await GetAsync(app, "cus_1Early");
        app.Time.SetUtcNow(Utc(2026, 2, 28, 2, 0));
        var run = await app.Services.GetRequiredService<CreditResetHandler>().RunAsync(new ResetRequest(ResetTrigger.Timer));

        Assert.Equal(1000, read.Body.GetProperty("available").GetInt64());
        var reset = Assert.Single(await app.Store.GetResetHistoryAsync("sub_1Early"), r => r.Boundary == Utc(2026, 2, 28, 0, 10));
        Assert.Equal((ResetTrigger.Api, 10L, 1000L), (reset.Trigger, reset.BalanceBefore, reset.BalanceAfter));
        Assert.Equal(0, run.Summary!.Counts.Reset);
        Assert.Equal([Utc(2026, 3, 31, 0, 10)], (await app.Store.AllDueAsync()).Select(e => e.DueAt));
    }

    [Fact]
    public async Task UnknownCustomer_Answers404ForReadsAndSpends()
    {
        await using var app = await CustomerWithPlanAsync();

        var read = await GetAsync(app, "cus_1Nobody");
        var spend = await SpendAsync(app, "cus_1Nobody", 1, "k");
        var ledger = await LedgerAsync(app, "cus_1Nobody");

        Assert.Equal((404, 404, 404), (read.Status, spend.Status, ledger.Status));
        Assert.Equal("customer-not-found", spend.Body.GetProperty("type").GetString());
        Assert.Null(await app.Store.GetAccountAsync("cus_1Nobody"));
    }

    [Fact]
    public async Task ANegativeGrantToAnUnknownCustomer_Answers404AndWritesNothing()
    {
        await using var app = await AppHost.StartAsync(Start);

        var answer = await GrantAsync(app, "cus_1Ghost", -5, "claw", reason: "correction");

        Assert.Equal((404, "customer-not-found"), (answer.Status, answer.Body.GetProperty("type").GetString()));
        Assert.Null(await app.Store.GetAccountAsync("cus_1Ghost"));
        Assert.Equal(404, (await GetAsync(app, "cus_1Ghost")).Status);
    }

    [Fact]
    public async Task EmptyMetadataAndNoMetadata_AreTheSameRequestUnderOneKey()
    {
        await using var app = await CustomerWithPlanAsync();

        var first = await SpendAsync(app, Customer, """{ "amount": 5, "idempotencyKey": "meta" }""");
        var again = await SpendAsync(app, Customer, """{ "amount": 5, "idempotencyKey": "meta", "metadata": {} }""");

        Assert.Equal((200, 200), (first.Status, again.Status));
        Assert.Equal(995, (await GetAsync(app, Customer)).Body.GetProperty("available").GetInt64());
    }
}
