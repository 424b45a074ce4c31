using System.Text;
using System.Text.Json;
using CreditFunctions.Functions;
using Microsoft.AspNetCore.Http;
using static CreditFunctions.Tests.Credits.CreditsClient;
using static CreditFunctions.Tests.Stripe.Deliveries;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Credits;

/// <summary>
/// Every way to call the credits API wrong: each answers 400 (413, 415) naming what is wrong and where, never 500, and
/// writes nothing.
/// </summary>
public class CreditsBadInputTests
{
    private static readonly DateTimeOffset Start = Utc(2026, 1, 31, 10);
    private const string Customer = "cus_1Review";

    private static Task<AppHost> CustomerWithPlanAsync(Plan? plan = null) => TestCustomers.WithPlanAsync("sub_1Review", Start, plan);

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

    public static TheoryData<string, string> BadSpends() => new()
    {
        { """{ "idempotencyKey": "k" }""", "amount" },
        { """{ "amount": 0, "idempotencyKey": "k" }""", "amount" },
        { """{ "amount": -5, "idempotencyKey": "k" }""", "amount" },
        { """{ "amount": 1.5, "idempotencyKey": "k" }""", "amount" },
        { """{ "amount": "10", "idempotencyKey": "k" }""", "amount" },
        { """{ "amount": 1000000001, "idempotencyKey": "k" }""", "amount" },
        { """{ "amount": 10 }""", "idempotencyKey" },
        { """{ "amount": 10, "idempotencyKey": "" }""", "idempotencyKey" },
        { $$"""{ "amount": 10, "idempotencyKey": "{{new string('k', 201)}}" }""", "idempotencyKey" },
        { """{ "amount": 10, "idempotencyKey": "a/b" }""", "idempotencyKey" },
        { """{ "amount": 10, "idempotencyKey": "has space" }""", "idempotencyKey" },
        { """{ "amount": 10, "idempotencyKey": "k", "reason": "" }""", "reason" },
        { """{ "amount": 10, "idempotencyKey": "k", "metadata": { "a": 1 } }""", "metadata" },
        { """{ "amount": 10, "idempotencyKey": "k", "amout": 10 }""", "amout" },
        { """{ "amount": 10, "idempotencyKey": "k", "amount": 11 }""", "amount" },
        { """{ "amount": 10, "idempotencyKey": """, "body" },
        { "[10]", "body" },
    };

    [Theory]
    [MemberData(nameof(BadSpends))]
    public async Task Spend_BadBody_Answers400NamingTheFieldAndWritesNothing(string body, string field)
    {
        await using var app = await CustomerWithPlanAsync();
        var before = await app.Store.GetAccountAsync(Customer);

        var answer = await SpendAsync(app, Customer, body);

        Assert.Equal((400, "application/problem+json"), (answer.Status, answer.ContentType));
        Assert.True(answer.Body.GetProperty("errors").TryGetProperty(field, out _), answer.Body.ToString());
        Assert.Equal(before!.ConcurrencyToken, (await app.Store.GetAccountAsync(Customer))!.ConcurrencyToken);
    }

    public static TheoryData<string, string> BadGrants() => new()
    {
        { """{ "amount": 10, "idempotencyKey": "k" }""", "reason" },
        { """{ "amount": 0, "idempotencyKey": "k", "reason": "r" }""", "amount" },
        { """{ "amount": 10, "idempotencyKey": "k", "reason": "r", "expiresAt": "2026-01-01T00:00:00Z" }""", "expiresAt" },
        { """{ "amount": 10, "idempotencyKey": "k", "reason": "r", "expiresAt": "2027-01-01T00:00:00" }""", "expiresAt" },
        { """{ "amount": 10, "idempotencyKey": "k", "reason": "r", "expiresAt": "next week" }""", "expiresAt" },
        { """{ "amount": -10, "idempotencyKey": "k", "reason": "r", "expiresAt": "2027-01-01T00:00:00Z" }""", "expiresAt" },
        { """{ "amount": 10, "idempotencyKey": "k", "reason": "r", "source": "x" }""", "source" },
    };

    [Theory]
    [MemberData(nameof(BadGrants))]
    public async Task Grant_BadBody_Answers400NamingTheField(string body, string field)
    {
        await using var app = await CustomerWithPlanAsync();

        var answer = await GrantAsync(app, Customer, body);

        Assert.Equal(400, answer.Status);
        Assert.True(answer.Body.GetProperty("errors").TryGetProperty(field, out _), answer.Body.ToString());
        Assert.Equal(1000, (await GetAsync(app, Customer)).Body.GetProperty("available").GetInt64());
    }

    [Theory]
    [InlineData("sub_1Api")]
    [InlineData("cus_")]
    [InlineData("cus_1'or'1")]
    public async Task AnyCall_CustomerIdThatIsNotOne_Answers400(string customerId)
    {
        await using var app = await CustomerWithPlanAsync();

        Assert.Equal(400, (await GetAsync(app, customerId)).Status);
        Assert.Equal(400, (await SpendAsync(app, customerId, 1, "k")).Status);
        Assert.Equal(400, (await GrantAsync(app, customerId, 1, "k")).Status);
        Assert.Equal(400, (await LedgerAsync(app, customerId)).Status);
    }

    [Fact]
    public async Task Spend_BodyOverTheCap_Answers413()
    {
        await using var app = await CustomerWithPlanAsync();
        var body = JsonSerializer.Serialize(new { amount = 1, idempotencyKey = "k", reason = new string('x', 20 * 1024) });

        var answer = await SpendAsync(app, Customer, body);

        Assert.Equal(413, answer.Status);
        Assert.Equal(1000, (await GetAsync(app, Customer)).Body.GetProperty("available").GetInt64());
    }

    [Theory]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=101", "limit")]
    [InlineData("?limit=ten", "limit")]
    [InlineData("?continuationToken=%%%", "continuationToken")]
    [InlineData("?page=2", "page")]
    public async Task Ledger_BadQuery_Answers400NamingTheParameter(string query, string parameter)
    {
        await using var app = await CustomerWithPlanAsync();

        var answer = await LedgerAsync(app, Customer, query);

        Assert.Equal(400, answer.Status);
        Assert.True(answer.Body.GetProperty("errors").TryGetProperty(parameter, out _));
    }
}
