using CreditFunctions.Functions;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Stripe;

/// <summary>The back-fill of subscriptions that existed in Stripe before the app, against the fake Stripe API with paging.</summary>
public sealed class StripeImportTests : IDisposable
{
    private static readonly DateTimeOffset Now = Utc(2026, 3, 20, 12);

    private readonly FakeStripeApi _stripe = new();

    public void Dispose() => _stripe.Dispose();

    private static Task<FunctionHttp.Answer> ImportAsync(AppHost app, string query) =>
        FunctionHttp.InvokeAsync(app, r => app.Function<StripeImportHttp>().RunAsync(r, CancellationToken.None), "POST", "/api/stripe/import", query);

    /// <summary>The account: <paramref name="count"/> subscriptions of mixed plans and statuses, newest first.</summary>
    private List<string> SeedAccount(int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var id = $"sub_1Imp{i:D4}";
            var (plan, status) = (i % 5) switch
            {
                0 => (YearlyPro, "active"),
                1 => (MonthlyPro, "active"),
                2 => (MonthlyPro, "trialing"),
                3 => (MonthlyPro, "canceled"),
                _ => (YearlyTeam, "past_due"),
            };
            var start = plan.Interval == "year" ? Now.AddMonths(-2).AddDays(-i % 20) : Now.AddDays(-(i % 20));
            _stripe.Subscriptions[id] = Subscription(id, status, plan, start, Deliveries.PeriodEnd(plan, start));
            _stripe.SubscriptionOrder.Add(id);
            ids.Add(id);
        }

        return ids;
    }

    [Fact]
    public async Task Import_GrantNow_SyncsEverySubscriptionAcrossPagesAndGrantsTheDueAllowanceOnce()
    {
        var ids = SeedAccount(250);
        await using var app = await AppHost.StartAsync(Now, stripe: _stripe);
        var store = app.Services.GetRequiredService<ICreditStore>();

        var first = await ImportAsync(app, "?grantCurrentPeriod=true");
        var again = await ImportAsync(app, "?grantCurrentPeriod=true");

        Assert.Equal(200, first.Status);
        Assert.True(first.Body.GetProperty("complete").GetBoolean());
        Assert.Equal(250, first.Body.GetProperty("examined").GetInt32());
        Assert.Equal(250, first.Body.GetProperty("counts").GetProperty("synced").GetInt32());
        Assert.Equal(3, _stripe.Requests.Count(r => r.PathAndQuery.StartsWith("/v1/subscriptions?", StringComparison.Ordinal)) / 2);
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            var stored = await store.GetRequiredAsync(id);
            var expected = (i % 5) switch { 0 => 1000L, 1 or 2 => 1000L, 3 => 0L, _ => 0L }; // canceled and past_due get nothing
            Assert.Equal(expected, stored.Balance);
            Assert.True((await store.GetResetHistoryAsync(id)).Count <= 1);
        }

        // A second import writes nothing new.
        Assert.Equal(250, again.Body.GetProperty("counts").GetProperty("unchanged").GetInt32());
        Assert.DoesNotContain(again.Body.GetProperty("subscriptions").EnumerateArray(),
            s => s.GetProperty("reset").ValueKind != JsonNull && s.GetProperty("reset").GetProperty("applied").GetBoolean());
    }

    [Fact]
    public async Task Import_RecordOnly_MarksTheDueAllowanceGivenWithoutCreditsAndLaterMonthsAreGranted()
    {
        SeedAccount(5);
        await using var app = await AppHost.StartAsync(Now, stripe: _stripe);
        var store = app.Services.GetRequiredService<ICreditStore>();

        var answer = await ImportAsync(app, "?grantCurrentPeriod=false");

        Assert.Equal(200, answer.Status);
        var yearly = await store.GetRequiredAsync("sub_1Imp0000");
        Assert.Equal(0, yearly.Balance);
        var recorded = Assert.Single(await store.GetResetHistoryAsync("sub_1Imp0000"));
        Assert.Equal((true, ResetTrigger.Import, 0L), (recorded.RecordOnly, recorded.Trigger, recorded.BalanceAfter));

        // The next month of the yearly plan is granted as usual.
        app.Time.SetUtcNow(Now.AddMonths(1).AddDays(1));
        await app.Services.GetRequiredService<CreditResetHandler>().RunAsync(new ResetRequest(ResetTrigger.Timer));
        Assert.Equal(1000, (await store.GetRequiredAsync("sub_1Imp0000")).Balance);
    }

    [Fact]
    public async Task Import_OutOfTime_AnswersWhereToContinueAndTheNextCallFinishes()
    {
        SeedAccount(250);
        await using var app = await AppHost.StartAsync(Now, new Dictionary<string, string?> { ["Reset:ManualRunBudget"] = "00:00:10" }, stripe: _stripe);
        _stripe.OnRequest = () => app.Time.Advance(TimeSpan.FromSeconds(6)); // each page of the list "takes" 6 s

        var first = await ImportAsync(app, "?grantCurrentPeriod=true");
        var cursor = first.Body.GetProperty("nextStartingAfter").GetString();
        var second = await ImportAsync(app, $"?grantCurrentPeriod=true&startingAfter={cursor}");

        Assert.False(first.Body.GetProperty("complete").GetBoolean());
        Assert.Equal(200, first.Body.GetProperty("examined").GetInt32());
        Assert.Equal("sub_1Imp0199", cursor);
        Assert.True(second.Body.GetProperty("complete").GetBoolean());
        Assert.Equal(50, second.Body.GetProperty("examined").GetInt32());
        Assert.Equal(JsonNull, second.Body.GetProperty("nextStartingAfter").ValueKind);
    }

    private const System.Text.Json.JsonValueKind JsonNull = System.Text.Json.JsonValueKind.Null;

    [Theory]
    [InlineData("", "grantCurrentPeriod")]
    [InlineData("?grantCurrentPeriod=maybe", "grantCurrentPeriod")]
    [InlineData("?grantCurrentPeriod=true&startingAfter=cus_1", "startingAfter")]
    [InlineData("?grantCurrentPeriod=true&dryRun=true", "dryRun")]
    public async Task Import_BadParameters_Answers400NamingThemAndImportsNothing(string query, string named)
    {
        SeedAccount(3);
        await using var app = await AppHost.StartAsync(Now, stripe: _stripe);

        var answer = await ImportAsync(app, query);

        Assert.Equal((400, "application/problem+json"), (answer.Status, answer.ContentType));
        Assert.True(answer.Body.GetProperty("errors").TryGetProperty(named, out _));
        Assert.Empty(_stripe.Requests);
    }

    [Fact]
    public async Task Import_WithoutApiKey_Answers409Problem()
    {
        await using var app = await AppHost.StartAsync(Now);

        var answer = await ImportAsync(app, "?grantCurrentPeriod=true");

        Assert.Equal(409, answer.Status);
        Assert.Contains("Stripe:ApiKey", answer.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvoicePaidForAnUnknownSubscription_WithApiKey_FetchesItAndGrants()
    {
        await using var app = await AppHost.StartAsync(Now, stripe: _stripe);
        var start = Now.AddHours(-1);
        _stripe.Subscriptions["sub_1Early"] = Subscription("sub_1Early", "active", MonthlyPro, start, start.AddMonths(1));

        var result = await WebhookClient.DeliverOkAsync(app, Deliveries.InvoicePaid("evt_1Early", start, "sub_1Early", MonthlyPro, start, billingReason: "subscription_create"));

        Assert.Equal("synced; reset", result);
        Assert.Equal(1000, (await app.Services.GetRequiredService<ICreditStore>().GetRequiredAsync("sub_1Early")).Balance);
    }
}
