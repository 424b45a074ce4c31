using System.Text;
using System.Text.Json;
using CreditFunctions.Accounts;
using CreditFunctions.Functions;
using CreditFunctions.Resets;
using CreditFunctions.Runs;
using CreditFunctions.Tests.Functions;
using CreditFunctions.Tests.Stripe;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using static CreditFunctions.Tests.Credits.CreditsClient;
using static CreditFunctions.Tests.Stripe.Deliveries;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Credits;

/// <summary>Cases an adopter's review of the credits API found answering 500, locking a customer out, or writing while refusing.</summary>
public class CreditsReviewFindingsTests
{
    private static readonly DateTimeOffset Start = Utc(2026, 1, 31, 10);
    private const string Customer = "cus_1Review";

    private static async Task<AppHost> CustomerWithPlanAsync(Plan? plan = null)
    {
        var app = await AppHost.StartAsync(Start.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1RevC", "customer.subscription.created", Start, "sub_1Review", "active", plan ?? YearlyPro, Start));
        return app;
    }

    [Fact]
    public async Task AHundredGrantsExpiringTogether_ExpireInOneEntryAndEveryCallStillWorks()
    {
        await using var app = await CustomerWithPlanAsync();
        var expiry = Utc(2026, 2, 27, 23, 59);
        await Task.WhenAll(Enumerable.Range(0, 120).Select(i => GrantAsync(app, Customer, 1, $"referral-{i}", expiry)));
        app.Time.SetUtcNow(expiry.AddMinutes(1));

        var read = await GetAsync(app, Customer);
        var spend = await SpendAsync(app, Customer, 10, "after-expiry");
        app.Time.SetUtcNow(Utc(2026, 3, 1, 2));
        var run = await app.Services.GetRequiredService<CreditResetHandler>().RunAsync(new ResetRequest(ResetTrigger.Timer));

        Assert.Equal((200, 1000), (read.Status, read.Body.GetProperty("available").GetInt64()));
        Assert.Equal(200, spend.Status);
        Assert.Equal((1, 0), (run.Summary!.Counts.Reset, run.Summary.Counts.Failed));
        var expired = Assert.Single(await FullLedgerAsync(Store(app), Customer), e => e.Kind == LedgerKind.Expiry);
        Assert.Equal((120, -120L), (expired.Parts.Count, expired.Amount));
        await AssertLedgerReplaysAsync(Store(app), Customer);
    }

    [Fact]
    public async Task ASpendAcrossSixHundredBuckets_IsStoredWhole()
    {
        await using var app = await AppHost.StartAsync(Start);
        for (var i = 0; i < 600; i++)
        {
            Assert.Equal(201, (await GrantAsync(app, Customer, 1, $"g-{i}")).Status);
        }

        var spend = await SpendAsync(app, Customer, 600, "all-of-it");
        var claw = await GrantAsync(app, Customer, 5, "top-up");

        Assert.Equal((200, 600), (spend.Status, spend.Body.GetProperty("parts").GetArrayLength()));
        Assert.Equal(201, claw.Status);
        await AssertLedgerReplaysAsync(Store(app), Customer);
    }

    [Fact]
    public async Task AThousandGrantsWithLongReasonsAndKeys_FitAndTheNextIsRefusedWith409()
    {
        await using var app = await AppHost.StartAsync(Start);
        var reason = new string('r', 500);

        var answers = new List<int>();
        for (var i = 0; i < 1001; i++)
        {
            answers.Add((await GrantAsync(app, Customer, 1, $"{i:D4}-{new string('k', 195)}", reason: reason)).Status);
        }

        Assert.All(answers.Take(1000), s => Assert.Equal(201, s));
        Assert.Equal(409, answers[1000]);
    }

    [Fact]
    public async Task ANegativeGrantToAnUnknownCustomer_Answers404AndWritesNothing()
    {
        await using var app = await AppHost.StartAsync(Start);

        var answer = await GrantAsync(app, "cus_1Ghost", -5, "claw", reason: "correction");

        Assert.Equal((404, "customer-not-found"), (answer.Status, answer.Body.GetProperty("type").GetString()));
        Assert.Null(await Store(app).GetAccountAsync("cus_1Ghost"));
        Assert.Equal(404, (await GetAsync(app, "cus_1Ghost")).Status);
    }

    public static TheoryData<string> BodiesThatAreNotText() =>
    [
        """{ "amount": 1, "idempotencyKey": "a\ud800b" }""",
        """{ "amount": 1, "idempotencyKey": "k", "reason": "\udc00" }""",
        """{ "amount": 1, "idempotencyKey": "k", "metadata": { "x": "\ud800" } }""",
        """{ "\ud800": 1, "amount": 1, "idempotencyKey": "k" }""",
    ];

    [Theory]
    [MemberData(nameof(BodiesThatAreNotText))]
    public async Task UnpairedSurrogateEscapes_Answer400(string body)
    {
        await using var app = await CustomerWithPlanAsync();

        Assert.Equal(400, (await SpendAsync(app, Customer, body)).Status);
    }

    [Theory]
    [InlineData("""{ "amount": 1, "idempotencyKey": "a\ud800b" }""", "idempotencyKey")]
    [InlineData("""{ "amount": 1, "idempotencyKey": "k", "reason": "ok \udc00" }""", "reason")]
    [InlineData("""{ "amount": 1, "idempotencyKey": "k", "metadata": { "x": "\ud800" } }""", "metadata")]
    public async Task AnUnpairedSurrogateEscape_IsReportedUnderTheFieldItIsIn(string body, string field)
    {
        await using var app = await CustomerWithPlanAsync();

        var answer = await SpendAsync(app, Customer, body);

        Assert.Equal(400, answer.Status);
        var errors = answer.Body.GetProperty("errors");
        Assert.Equal([field], errors.EnumerateObject().Select(e => e.Name));
        Assert.Contains("not valid text", errors.GetProperty(field)[0].GetString());
    }

    [Theory]
    [InlineData("1.5", "got 1.5")]
    [InlineData("\"10\"", "got a JSON string")]
    [InlineData("1e30", "got 1e30")]
    [InlineData("true", "got a JSON true")]
    public async Task AnAmountThatIsNotAWholeNumber_IsToldWhatItIs_NotThatItIsMissing(string amount, string told)
    {
        await using var app = await CustomerWithPlanAsync();

        var answer = await SpendAsync(app, Customer, $$"""{ "amount": {{amount}}, "idempotencyKey": "k" }""");

        var message = answer.Body.GetProperty("errors").GetProperty("amount")[0].GetString()!;
        Assert.Equal(400, answer.Status);
        Assert.DoesNotContain("required", message);
        Assert.Contains("whole number", message);
        Assert.Contains(told, message);
    }

    [Fact]
    public async Task TheSmallestLongAsAnAmount_Answers400()
    {
        await using var app = await CustomerWithPlanAsync();

        var answer = await GrantAsync(app, Customer, """{ "amount": -9223372036854775808, "idempotencyKey": "k", "reason": "r" }""");

        Assert.True(answer.Body.GetProperty("errors").TryGetProperty("amount", out _));
    }

    [Fact]
    public async Task ACustomerIdEndingInANewline_Answers400()
    {
        await using var app = await CustomerWithPlanAsync();

        Assert.Equal(400, (await GrantAsync(app, "cus_1Nl\n", 5, "k")).Status);
        Assert.Equal(400, (await GetAsync(app, "cus_1Nl\n")).Status);
    }

    [Fact]
    public async Task ARenewalUnconfirmedPastTheGrace_HoldsTheLastMonthsCreditsBack()
    {
        var p1 = Utc(2026, 1, 15, 9, 30);
        var p2 = p1.AddMonths(1);
        await using var app = await AppHost.StartAsync(p1.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1HeldC", "customer.subscription.created", p1, "sub_1Held", "active", MonthlyPro, p1));
        await SpendAsync(app, "cus_1Held", 100, "january");
        app.Time.SetUtcNow(p2.AddHours(1));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1HeldU", "customer.subscription.updated", p2, "sub_1Held", "past_due", MonthlyPro, p2));

        var withinGrace = await SpendAsync(app, "cus_1Held", 100, "within-grace");
        app.Time.SetUtcNow(p2.AddDays(20));
        var unpaid = await SpendAsync(app, "cus_1Held", 100, "twenty-days-unpaid");

        Assert.Equal((200, 409), (withinGrace.Status, unpaid.Status));
        Assert.Equal(800, (await Store(app).GetAccountAsync("cus_1Held"))!.State.Find("sub_1Held")!.Balance); // held, not gone
    }

    [Fact]
    public async Task ACancellation_IsInTheLedgerWithTheWriteThatStoresIt()
    {
        await using var app = await CustomerWithPlanAsync();
        app.Time.SetUtcNow(Start.AddDays(3));

        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1RevD", "customer.subscription.deleted", Start.AddDays(3), "sub_1Review", "canceled", YearlyPro, Start));

        var newest = (await FullLedgerAsync(Store(app), Customer))[^1];
        Assert.Equal((LedgerKind.Expiry, -1000L, 0L, Start.AddDays(3)), (newest.Kind, newest.Amount, newest.BalanceAfter, newest.At));
    }

    [Theory]
    [InlineData("01/02/2027 00:00:00Z")]
    [InlineData("Fri, 01 Jan 2027 17:00:00 GMT")]
    [InlineData("2027-01-01t00:00:00z")]
    [InlineData("2027-01-01T00:00:00")]
    [InlineData("9999-12-31T23:59:59.9999999Z")]
    public async Task ExpiresAtThatIsNotAnIsoTimeWithinTenYears_Answers400(string expiresAt)
    {
        await using var app = await CustomerWithPlanAsync();

        var answer = await GrantAsync(app, Customer, JsonSerializer.Serialize(new { amount = 5, idempotencyKey = "k", expiresAt, reason = "r" }));

        Assert.True(answer.Body.GetProperty("errors").TryGetProperty("expiresAt", out _), answer.Body.ToString());
    }

    [Fact]
    public async Task AContinuationTokenThatIsMadeUpOrAnotherCustomers_Answers400()
    {
        await using var app = await CustomerWithPlanAsync();
        await GrantAsync(app, "cus_1Other", 5, "k1");
        await GrantAsync(app, "cus_1Other", 5, "k2");
        var others = (await LedgerAsync(app, "cus_1Other", "?limit=1")).Body.GetProperty("continuationToken").GetString();

        Assert.Equal(400, (await LedgerAsync(app, Customer, "?continuationToken=YWJj")).Status);
        Assert.Equal(400, (await LedgerAsync(app, Customer, $"?continuationToken={others}")).Status);
    }

    [Theory]
    [InlineData("text/plain", 415)]
    [InlineData("application/x-www-form-urlencoded", 415)]
    [InlineData("application/json; charset=utf-8", 200)]
    public async Task TheBodyMustBeJson(string contentType, int status)
    {
        await using var app = await CustomerWithPlanAsync();

        var answer = await FunctionHttp.InvokeAsync(app, r =>
        {
            r.ContentType = contentType;
            return app.Function<SpendCredits>().RunAsync(r, Customer, CancellationToken.None);
        }, "POST", $"/api/customers/{Customer}/credits/spend", body: """{ "amount": 1, "idempotencyKey": "typed" }""");

        Assert.Equal(status, answer.Status);
    }

    [Fact]
    public async Task ABodyThatIsNotUtf8_Answers400AndSpendsNothing()
    {
        await using var app = await CustomerWithPlanAsync();
        var bytes = Encoding.UTF8.GetBytes("""{ "amount": 1, "idempotencyKey": "k", "reason": "X" }""");
        bytes[^4] = 0xFF;

        var answer = await FunctionHttp.InvokeAsync(app, r =>
        {
            r.Body = new MemoryStream(bytes);
            return app.Function<SpendCredits>().RunAsync(r, Customer, CancellationToken.None);
        }, "POST", $"/api/customers/{Customer}/credits/spend");

        Assert.Equal(400, answer.Status);
        Assert.Equal(1000, (await GetAsync(app, Customer)).Body.GetProperty("available").GetInt64());
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
