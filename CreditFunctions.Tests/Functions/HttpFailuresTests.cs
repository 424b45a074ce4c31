using CreditFunctions.Functions;
using CreditFunctions.Telemetry;
using CreditFunctions.Tests.Telemetry;
using static CreditFunctions.Tests.Stripe.Deliveries;
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
        var (app, outage) = await AppHost.StartAsync(RunTime, inner => new OutageStore(inner));
        await using var _ = app;
        outage.Failure = OutageStore.Unreachable();

        var run = await ResetAsync(app);
        AssertUnavailable(run);
        Assert.StartsWith("The table store or the Stripe API did not answer. The run ", run.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(run.Body.GetProperty("summary").GetProperty("aborted").GetBoolean());
        AssertUnavailable(await ResetAsync(app, "?subscriptionId=sub_1Down"));
    }

    [Theory]
    [InlineData(503)]
    [InlineData(500)]
    [InlineData(429)]
    public async Task ManualReset_StripeApiFailingOrThrottling_Answers503WithRetryAfter_NotA500(int stripeStatus)
    {
        using var stripe = new FakeStripeApi();
        var created = Utc(2026, 1, 15, 9, 30);
        await using var app = await AppHost.StartAsync(created, new Dictionary<string, string?> { ["Stripe:RequestTimeout"] = "00:00:05" }, stripe: stripe);
        Assert.Equal("synced; reset", await WebhookClient.DeliverOkAsync(app, Event("evt_1ApiDown", "customer.subscription.created", created,
            Subscription("sub_1ApiDown", "active", MonthlyPro, created, created.AddMonths(1)))));

        // The period ended and no renewal was told: the run asks Stripe, which is down (or throttling).
        app.Time.SetUtcNow(Utc(2026, 2, 16, 2));
        stripe.FailWith = stripeStatus;
        var answer = await ResetAsync(app);

        AssertUnavailable(answer);
        stripe.FailWith = null;
        Assert.Equal(200, (await ResetAsync(app)).Status);
    }

    [Fact]
    public async Task ManualReset_SomeSubscriptionsFail_Answers500CarryingTheSummary_AndCallingAgainRetriesOnlyThose()
    {
        var (app, outage) = await AppHost.StartAsync(RunTime, inner => new OutageStore(inner));
        await using var _ = app;
        var store = app.Services.GetRequiredService<ICreditStore>();
        await store.SeedAsync(Yearly("sub_1HttpOk", Start, balance: 3), Utc(2025, 2, 28, 10));
        await store.SeedAsync(Yearly("sub_1HttpFails", Start, balance: 3), Utc(2025, 2, 28, 10));
        outage.FailingCustomers["cus_1HttpFails"] = () => new InvalidOperationException("a bug in the store");

        var answer = await ResetAsync(app);

        Assert.Equal(500, answer.Status);
        Assert.Equal("reset-run-failed", answer.Body.GetProperty("type").GetString());
        var summary = answer.Body.GetProperty("summary");
        var counts = summary.GetProperty("counts");
        Assert.Equal((2, 1, 1), (counts.GetProperty("examined").GetInt32(), counts.GetProperty("reset").GetInt32(), counts.GetProperty("failed").GetInt32()));
        Assert.Equal("manual", summary.GetProperty("trigger").GetString());
        var failure = Assert.Single(summary.GetProperty("failures").EnumerateArray());
        Assert.Equal(("sub_1HttpFails", "unexpected"), (failure.GetProperty("subscriptionId").GetString(), failure.GetProperty("error").GetString()));
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
    public async Task ManualReset_EveryFailureAnOutage_Answers503WithRetryAfterAndTheSummary()
    {
        var (app, outage) = await AppHost.StartAsync(RunTime, inner => new OutageStore(inner));
        await using var _ = app;
        var store = app.Services.GetRequiredService<ICreditStore>();
        await store.SeedAsync(Yearly("sub_1HttpOk2", Start, balance: 3), Utc(2025, 2, 28, 10));
        await store.SeedAsync(Yearly("sub_1HttpDown2", Start, balance: 3), Utc(2025, 2, 28, 10));
        outage.FailingCustomers["cus_1HttpDown2"] = OutageStore.Unreachable;

        var answer = await ResetAsync(app);

        AssertUnavailable(answer);
        Assert.Equal(1, answer.Body.GetProperty("summary").GetProperty("counts").GetProperty("reset").GetInt32());
        Assert.Equal("store-unavailable", answer.Body.GetProperty("summary").GetProperty("failures")[0].GetProperty("error").GetString());
    }

    [Fact]
    public async Task ManualReset_AbortsAfterCommittingAChunk_Answers503CarryingWhatItDid_AndTheRestStaysDue()
    {
        var (app, outage) = await AppHost.StartAsync(RunTime, inner => new OutageStore(inner));
        await using var _ = app;
        var store = app.Services.GetRequiredService<ICreditStore>();
        await store.SeedManyAsync(Enumerable.Range(0, 150).Select(i => (Yearly($"sub_1Abort{i:D3}", Start, balance: 3), Utc(2025, 2, 28, 10))));
        outage.DueReadsBeforeFailure = 100;

        var answer = await ResetAsync(app);

        AssertUnavailable(answer);
        var summary = answer.Body.GetProperty("summary");
        Assert.True(summary.GetProperty("aborted").GetBoolean());
        Assert.Equal(100, summary.GetProperty("counts").GetProperty("reset").GetInt32());

        outage.DueReadsBeforeFailure = null;
        var rest = await ResetAsync(app);
        Assert.Equal((200, 50), (rest.Status, rest.Body.GetProperty("counts").GetProperty("reset").GetInt32()));
        for (var i = 0; i < 150; i++)
        {
            Assert.Single(await store.GetResetHistoryAsync($"sub_1Abort{i:D3}"));
        }
    }

    [Fact]
    public async Task CreditsApi_StoreUnreachable_Answers503_AndTheRetrySpendsOnce()
    {
        var (app, outage) = await AppHost.StartAsync(RunTime, inner => new OutageStore(inner));
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
        var (app, outage) = await AppHost.StartAsync(RunTime, inner => new OutageStore(inner));
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
        var (app, outage) = await AppHost.StartAsync(now, inner => new OutageStore(inner));
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

    [Fact]
    public async Task Webhook_BodyBreaksOff_Answers400AndCountsItRefused()
    {
        await using var app = await AppHost.StartAsync(Utc(2026, 1, 15, 9, 31));
        using var metrics = new MetricCapture(app.Services);
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext { RequestServices = app.Services };
        context.Request.Method = "POST";
        context.Request.Body = new BreakingStream();
        context.Response.Body = new MemoryStream();

        var result = await app.Function<StripeWebhook>().RunAsync(context.Request, CancellationToken.None);
        await result.ExecuteAsync(context);

        Assert.Equal(400, context.Response.StatusCode);
        Assert.Equal(1, metrics.Sum(CreditMetrics.WebhooksReceived, "event_type=unverified", "result=refused"));
    }

    [Fact]
    public async Task CreditsApi_AccountKeepsChanging_Answers503AccountContentionWithAShortRetryAfter()
    {
        await using var app = await AppHost.StartAsync(RunTime, services: s =>
            s.AddSingleton<ICreditStore>(sp => new AlwaysConflicting(sp.GetRequiredService<TableCreditStore>())));
        await CreditsClient.GrantAsync(app, "cus_1HttpBusy", 100, "grant-1");

        var answer = await CreditsClient.SpendAsync(app, "cus_1HttpBusy", 30, "spend-1");

        Assert.Equal(503, answer.Status);
        Assert.Equal("account-contention", answer.Body.GetProperty("type").GetString());
        Assert.Equal("1", answer.Headers.RetryAfter.ToString());
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
    public void Classify_MissingTablesContentionAndTokenFailures()
    {
        Assert.Equal(StoreFailureKind.Denied, StoreFailure.Classify(new Azure.RequestFailedException(404, "no table", "TableNotFound", null)));
        Assert.Equal(StoreFailureKind.None, StoreFailure.Classify(new Azure.RequestFailedException(404, "no entity", "ResourceNotFound", null)));
        Assert.Equal(StoreFailureKind.Contention, StoreFailure.Classify(new CreditFunctions.Storage.AccountContentionException("cus_1", 60)));
        Assert.Equal(StoreFailureKind.Unavailable, StoreFailure.Classify(new Azure.Identity.AuthenticationFailedException("token endpoint", new HttpRequestException("reset"))));
        Assert.Equal(StoreFailureKind.Denied, StoreFailure.Classify(new Azure.Identity.AuthenticationFailedException("Identity not found")));
        Assert.Equal(StoreFailureKind.Denied, StoreFailure.Classify(new Azure.Identity.CredentialUnavailableException("no managed identity")));
    }

    [Fact]
    public void Classify_TimeoutsAndNetwork_AreUnavailable_ButTheCallersOwnCancellationIsNot()
    {
        Assert.Equal(StoreFailureKind.Unavailable, StoreFailure.Classify(new TaskCanceledException("network timeout")));
        Assert.Equal(StoreFailureKind.Unavailable, StoreFailure.Classify(new HttpRequestException("connection reset")));
        Assert.Equal(StoreFailureKind.None, StoreFailure.Classify(new TaskCanceledException("caller gave up"), callerCanceled: true));
        Assert.Equal(StoreFailureKind.None, StoreFailure.Classify(new InvalidOperationException("a bug")));
    }

    /// <summary>A body that breaks off mid-way, as Kestrel reports a client that stopped sending.</summary>
    private sealed class BreakingStream : MemoryStream
    {
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            throw new Microsoft.AspNetCore.Http.BadHttpRequestException("Unexpected end of request content.");

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            throw new Microsoft.AspNetCore.Http.BadHttpRequestException("Unexpected end of request content.");
    }

    /// <summary>A store where another writer always got there first.</summary>
    private sealed class AlwaysConflicting(ICreditStore inner) : OutageStore(inner)
    {
        public override Task<AccountWriteOutcome> TryWriteAccountAsync(AccountWrite write, CancellationToken cancellationToken = default) =>
            write.Changes.Ledger.Any(e => e.Kind == "spend")
                ? Task.FromResult(new AccountWriteOutcome(AccountWriteResult.Conflict))
                : base.TryWriteAccountAsync(write, cancellationToken);
    }
}
