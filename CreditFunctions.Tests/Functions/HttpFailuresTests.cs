using CreditFunctions.Functions;
using CreditFunctions.Storage;
using CreditFunctions.Telemetry;
using CreditFunctions.Tests.Credits;
using CreditFunctions.Tests.Resets;
using CreditFunctions.Tests.Stripe;
using CreditFunctions.Tests.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Functions;

/// <summary>
/// What callers get when the work fails: problem details always; 503 with Retry-After while the store is unreachable (every
/// operation is safe to retry); 500 naming the cause when the store refuses the app; a run with failures is not a 200.
/// </summary>
public class HttpFailuresTests
{
    private static readonly DateTimeOffset Start = Utc(2025, 1, 31, 10);
    private static readonly DateTimeOffset RunTime = Utc(2025, 3, 1, 9);

    private static Task<(AppHost App, OutageStore Outage)> StartAsync(DateTimeOffset now) => OutageStore.StartAppAsync(now);

    private static Task<FunctionHttp.Answer> ResetAsync(AppHost app, string query = "") =>
        FunctionHttp.InvokeAsync(app, r => app.Function<ResetCreditsHttp>().RunAsync(r, CancellationToken.None), "POST", "/api/" + ResetCreditsHttp.Route, query);

    private static void AssertUnavailable(FunctionHttp.Answer answer)
    {
        Assert.Equal(503, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
        Assert.Equal("30", answer.Headers.RetryAfter.ToString());
        Assert.Equal("service-unavailable", answer.Body.GetProperty("type").GetString());
        Assert.Contains("retrying is safe", answer.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManualReset_StoreUnreachable_Answers503WithRetryAfter()
    {
        var (app, outage) = await StartAsync(RunTime);
        await using var _ = app;
        outage.Failure = OutageStore.Unreachable();

        AssertUnavailable(await ResetAsync(app));
        AssertUnavailable(await ResetAsync(app, "?subscriptionId=sub_1Down"));
    }

    [Fact]
    public async Task ManualReset_SomeSubscriptionsFail_Answers500CarryingTheSummary_AndCallingAgainRetriesOnlyThose()
    {
        var (app, outage) = await StartAsync(RunTime);
        await using var _ = app;
        var store = app.Services.GetRequiredService<ICreditStore>();
        await store.SeedAsync(Yearly("sub_1HttpOk", Start, balance: 3), Utc(2025, 2, 28, 10));
        await store.SeedAsync(Yearly("sub_1HttpFails", Start, balance: 3), Utc(2025, 2, 28, 10));
        outage.FailingCustomers.Add("cus_1HttpFails");

        var answer = await ResetAsync(app);

        Assert.Equal(500, answer.Status);
        Assert.Equal("reset-run-failed", answer.Body.GetProperty("type").GetString());
        var counts = answer.Body.GetProperty("summary").GetProperty("counts");
        Assert.Equal((2, 1, 1), (counts.GetProperty("examined").GetInt32(), counts.GetProperty("reset").GetInt32(), counts.GetProperty("failed").GetInt32()));
        Assert.Equal("manual", answer.Body.GetProperty("summary").GetProperty("trigger").GetString());
        outage.FailingCustomers.Clear();
        Assert.Equal(1000, (await store.GetRequiredAsync("sub_1HttpOk")).Balance);
        Assert.Equal(3, (await store.GetRequiredAsync("sub_1HttpFails")).Balance);

        var again = await ResetAsync(app);

        Assert.Equal(200, again.Status);
        Assert.Equal((1, 1), (again.Body.GetProperty("counts").GetProperty("examined").GetInt32(), again.Body.GetProperty("counts").GetProperty("reset").GetInt32()));
        Assert.Single(await store.GetResetHistoryAsync("sub_1HttpOk"));
        Assert.Single(await store.GetResetHistoryAsync("sub_1HttpFails"));
    }

    [Fact]
    public async Task CreditsApi_StoreUnreachable_Answers503_AndTheRetrySpendsOnce()
    {
        var (app, outage) = await StartAsync(RunTime);
        await using var _ = app;
        await CreditsClient.GrantAsync(app, "cus_1HttpApi", 100, "grant-1");
        outage.Failure = OutageStore.Unreachable();

        AssertUnavailable(await CreditsClient.GetAsync(app, "cus_1HttpApi"));
        AssertUnavailable(await CreditsClient.SpendAsync(app, "cus_1HttpApi", 30, "spend-1"));
        AssertUnavailable(await CreditsClient.GrantAsync(app, "cus_1HttpApi", 30, "grant-2"));
        AssertUnavailable(await CreditsClient.LedgerAsync(app, "cus_1HttpApi"));

        outage.Failure = null;
        var retried = await CreditsClient.SpendAsync(app, "cus_1HttpApi", 30, "spend-1");

        Assert.Equal(200, retried.Status);
        Assert.Equal(70, retried.Body.GetProperty("available").GetInt64());
    }

    [Fact]
    public async Task CreditsApi_StoreRefusesTheIdentity_Answers500StoreAccessDenied()
    {
        var (app, outage) = await StartAsync(RunTime);
        await using var _ = app;
        outage.Failure = OutageStore.Denied();

        var answer = await CreditsClient.SpendAsync(app, "cus_1HttpDenied", 30, "spend-1");

        Assert.Equal(500, answer.Status);
        Assert.Equal("store-access-denied", answer.Body.GetProperty("type").GetString());
        Assert.Contains("403 AuthorizationPermissionMismatch", answer.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(answer.Headers.ContainsKey("Retry-After"));
    }

    [Fact]
    public async Task Webhook_StoreUnreachable_Answers503SoStripeRetries_AndCountsTheDeliveryFailed()
    {
        var now = Utc(2026, 1, 15, 9, 31);
        var (app, outage) = await StartAsync(now);
        await using var _ = app;
        using var metrics = new MetricCapture(app.Services);
        var created = Deliveries.SubscriptionEvent("evt_1HttpDown", "customer.subscription.created", now, "sub_1HttpDown", "active", MonthlyPro, now.AddMinutes(-1));
        outage.Failure = OutageStore.Unreachable();

        var (status, body) = await WebhookClient.DeliverAsync(app, created);

        Assert.Equal(503, status);
        Assert.Equal("service-unavailable", body.GetProperty("type").GetString());
        Assert.Equal(1, metrics.Sum(CreditMetrics.WebhooksReceived, "event_type=customer.subscription.created", "result=failed"));

        outage.Failure = null;
        Assert.Equal("synced; reset", await WebhookClient.DeliverOkAsync(app, created));
    }

    [Theory]
    [InlineData(0, StoreFailureKind.Unavailable)]
    [InlineData(408, StoreFailureKind.Unavailable)]
    [InlineData(429, StoreFailureKind.Unavailable)]
    [InlineData(500, StoreFailureKind.Unavailable)]
    [InlineData(503, StoreFailureKind.Unavailable)]
    [InlineData(401, StoreFailureKind.Denied)]
    [InlineData(403, StoreFailureKind.Denied)]
    [InlineData(404, StoreFailureKind.None)]
    [InlineData(409, StoreFailureKind.None)]
    public void Classify_StoreStatus_TellsRetryableFromMisconfiguredFromBug(int status, StoreFailureKind expected) =>
        Assert.Equal(expected, StoreFailure.Classify(new Azure.RequestFailedException(status, "store said so")));

    [Fact]
    public void Classify_TimeoutsAndNetwork_AreUnavailable_ButTheCallersOwnCancellationIsNot()
    {
        Assert.Equal(StoreFailureKind.Unavailable, StoreFailure.Classify(new TaskCanceledException("network timeout")));
        Assert.Equal(StoreFailureKind.Unavailable, StoreFailure.Classify(new HttpRequestException("connection reset")));
        Assert.Equal(StoreFailureKind.None, StoreFailure.Classify(new TaskCanceledException("caller gave up"), callerCanceled: true));
        Assert.Equal(StoreFailureKind.None, StoreFailure.Classify(new InvalidOperationException("a bug")));
    }
}
