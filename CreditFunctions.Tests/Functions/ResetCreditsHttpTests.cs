using System.Text.Json;
using CreditFunctions.Functions;
using Microsoft.AspNetCore.Http;
using static CreditFunctions.Tests.Stripe.Deliveries;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Functions;

public class ResetCreditsHttpTests
{
    private static readonly DateTimeOffset Start = Utc(2025, 1, 31, 10);
    private static readonly DateTimeOffset RunTime = Utc(2025, 3, 1, 9);

    private static async Task<(int Status, string ContentType, JsonElement Body)> PostAsync(AppHost app, string queryString)
    {
        var answer = await FunctionHttp.InvokeAsync(app, r => app.Function<ResetCreditsHttp>().RunAsync(r, CancellationToken.None), HttpMethods.Post,
            "/api/" + ResetCreditsHttp.Route, queryString);
        return (answer.Status, answer.ContentType, answer.Body);
    }

    private static async Task SeedAsync(AppHost app, params string[] ids)
    {
        var store = app.Services.GetRequiredService<ICreditStore>();
        foreach (var id in ids)
        {
            await store.SeedAsync(Yearly(id, Start, balance: 7), Utc(2025, 2, 28, 10));
        }
    }

    [Fact]
    public async Task Post_DryRun_AnswersSummaryWithPlannedResetsAndChangesNothing()
    {
        await using var app = await AppHost.StartAsync(RunTime);
        await SeedAsync(app, "sub_http1");

        var (status, contentType, body) = await PostAsync(app, "?dryRun=true");

        Assert.Equal(200, status);
        Assert.StartsWith("application/json", contentType);
        Assert.True(body.GetProperty("dryRun").GetBoolean());
        Assert.Equal("manual", body.GetProperty("trigger").GetString());
        Assert.Equal(RunTime, body.GetProperty("asOf").GetDateTimeOffset());
        Assert.Equal(32, body.GetProperty("runId").GetString()!.Length);
        Assert.Equal(1, body.GetProperty("counts").GetProperty("reset").GetInt32());
        Assert.False(body.GetProperty("remaining").GetBoolean());
        var planned = Assert.Single(body.GetProperty("plannedResets").EnumerateArray());
        Assert.Equal("sub_http1", planned.GetProperty("subscriptionId").GetString());
        Assert.Equal(Utc(2025, 2, 28, 10), planned.GetProperty("boundary").GetDateTimeOffset());
        Assert.Equal(7, planned.GetProperty("balanceBefore").GetInt64());
        Assert.Equal(1000, planned.GetProperty("balanceAfter").GetInt64());
        Assert.Equal(7, (await app.Services.GetRequiredService<ICreditStore>().GetRequiredAsync("sub_http1")).Balance);
    }

    [Fact]
    public async Task Post_OneSubscription_ResetsItAndCountsIt()
    {
        await using var app = await AppHost.StartAsync(RunTime);
        await SeedAsync(app, "sub_http1", "sub_http2");

        var (status, _, body) = await PostAsync(app, "?subscriptionId=sub_http2&dryRun=false&code=function-key");

        Assert.Equal(200, status);
        Assert.Equal("sub_http2", body.GetProperty("subscriptionId").GetString());
        Assert.Equal(1, body.GetProperty("counts").GetProperty("reset").GetInt32());
        var store = app.Services.GetRequiredService<ICreditStore>();
        Assert.Equal(1000, (await store.GetRequiredAsync("sub_http2")).Balance);
        Assert.Equal(7, (await store.GetRequiredAsync("sub_http1")).Balance);
    }

    [Theory]
    [InlineData("?dryRun=yes", "dryRun")]
    [InlineData("?dryrun=maybe", "dryRun")]
    [InlineData("?dryRun=true&dryRun=false", "dryRun")]
    [InlineData("?subscriptionId=cus_123", "subscriptionId")]
    [InlineData("?subscriptionId=sub_1%27%20or%201", "subscriptionId")]
    [InlineData("?subscriptionId=", "subscriptionId")]
    [InlineData("?dry_run=true", "dry_run")]
    public async Task Post_BadParameters_Answers400ProblemDetailsAndResetsNothing(string queryString, string badParameter)
    {
        await using var app = await AppHost.StartAsync(RunTime);
        await SeedAsync(app, "sub_http1");

        var (status, contentType, body) = await PostAsync(app, queryString);

        Assert.Equal(400, status);
        Assert.Equal("application/problem+json", contentType);
        Assert.Equal(400, body.GetProperty("status").GetInt32());
        Assert.Equal("Invalid reset parameters", body.GetProperty("title").GetString());
        Assert.True(body.GetProperty("errors").TryGetProperty(badParameter, out var messages));
        Assert.NotEmpty(messages.EnumerateArray().Single().GetString()!);
        Assert.Equal(7, (await app.Services.GetRequiredService<ICreditStore>().GetRequiredAsync("sub_http1")).Balance);
    }

    [Fact]
    public async Task Post_UnknownSubscription_Answers404ProblemDetails()
    {
        await using var app = await AppHost.StartAsync(RunTime);

        var (status, contentType, body) = await PostAsync(app, "?subscriptionId=sub_missing");

        Assert.Equal(404, status);
        Assert.Equal("application/problem+json", contentType);
        Assert.Contains("sub_missing", body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Post_ForACustomer_SaysWhichCustomerAndNamesNoSubscription_InTheAnswerAndTheRunRecord()
    {
        await using var app = await AppHost.StartAsync(RunTime);
        await SeedAsync(app, "sub_http1");

        var (status, _, body) = await PostAsync(app, "?customerId=cus_http1");

        Assert.Equal(200, status);
        Assert.Equal(("cus_http1", JsonValueKind.Null), (body.GetProperty("customerId").GetString(), body.GetProperty("subscriptionId").ValueKind));
        var record = await ReadRunRecordAsync(app, body.GetProperty("runId").GetString()!);
        Assert.Equal(("cus_http1", null), (record.GetString("CustomerId"), record.GetString("SubscriptionId")));
        using var summary = JsonDocument.Parse(record.GetString("SummaryJson"));
        Assert.Equal("cus_http1", summary.RootElement.GetProperty("customerId").GetString());
    }

    [Fact]
    public async Task Post_ForACustomer_ASubscriptionWithNothingDue_IsNotDue()
    {
        await using var app = await AppHost.StartAsync(Utc(2025, 4, 10, 9)); // Mar 31 applied below; Apr 30 is ahead.
        await app.Store.SeedAsync(Yearly("sub_http1", Start, balance: 7, lastReset: Utc(2025, 3, 31, 10)), Utc(2025, 4, 30, 10));

        var (status, _, body) = await PostAsync(app, "?customerId=cus_http1&dryRun=true");

        Assert.Equal(200, status);
        var skipped = Assert.Single(body.GetProperty("skipped").EnumerateArray());
        Assert.Equal(("sub_http1", SkipReason.NotDue), (skipped.GetProperty("subscriptionId").GetString(), skipped.GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task Post_ACustomerAndAnotherCustomersSubscription_Answers404SayingWhoseItIs()
    {
        await using var app = await AppHost.StartAsync(RunTime);
        await SeedAsync(app, "sub_http1", "sub_http2");

        var (status, contentType, body) = await PostAsync(app, "?customerId=cus_http1&subscriptionId=sub_http2");

        Assert.Equal((404, "application/problem+json"), (status, contentType));
        var detail = body.GetProperty("detail").GetString()!;
        Assert.Contains("sub_http2", detail);
        Assert.Contains("cus_http2", detail);
        Assert.DoesNotContain("No 'sub_http2' is stored", detail);
        Assert.Equal(7, (await app.Store.GetRequiredAsync("sub_http2")).Balance);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DryRun_AFirstPeriodNeverPaid_IsSkippedForItsStatus_NotAsALateRenewal(bool allowPastDue)
    {
        var created = Utc(2025, 1, 31, 10);
        await using var app = await AppHost.StartAsync(created.AddMinutes(1), new Dictionary<string, string?> { ["Reset:AllowPastDue"] = allowPastDue.ToString() });
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1IncC", "customer.subscription.created", created, "sub_1Inc", "incomplete", YearlyPro, created));
        app.Time.SetUtcNow(Utc(2025, 3, 1, 2));

        var (status, _, body) = await PostAsync(app, "?subscriptionId=sub_1Inc&dryRun=true");

        Assert.Equal(200, status);
        var skipped = Assert.Single(body.GetProperty("skipped").EnumerateArray());
        Assert.Equal("status:incomplete", skipped.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Post_OnAFreshStore_AllDueExaminesNothing_ANamedRunAnswers404_AsTheQuickStartSays()
    {
        await using var app = await AppHost.StartAsync(RunTime);

        var all = await PostAsync(app, "");
        var customer = await PostAsync(app, "?customerId=cus_1Fresh");
        var subscription = await PostAsync(app, "?subscriptionId=sub_1Fresh");

        Assert.Equal((200, 0), (all.Status, all.Body.GetProperty("counts").GetProperty("examined").GetInt32()));
        Assert.Equal((404, 404), (customer.Status, subscription.Status));
        var readme = File.ReadAllText(Path.Combine(Azurite.AzuriteFixture.RepositoryRoot, "README.md")).ReplaceLineEndings(" ");
        Assert.Contains("a run over everything due answers `counts.examined` 0", readme);
        Assert.Contains("a run for a customer or a subscription answers `404`", readme);
    }

    private static async Task<Azure.Data.Tables.TableEntity> ReadRunRecordAsync(AppHost app, string runId)
    {
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value;
        var runs = new Azure.Data.Tables.TableClient(options.ConnectionString, options.RunsTable);
        await foreach (var entity in runs.QueryAsync<Azure.Data.Tables.TableEntity>($"RunId eq '{runId}'"))
        {
            return entity;
        }

        throw new InvalidOperationException($"run {runId} has no record");
    }
}
