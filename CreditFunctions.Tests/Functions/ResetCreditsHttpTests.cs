using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using System.Text.Json;
using CreditFunctions.Functions;
using CreditFunctions.Resets;
using CreditFunctions.Tests.Resets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Functions;

public class ResetCreditsHttpTests
{
    private static readonly DateTimeOffset Start = Utc(2025, 1, 31, 10);
    private static readonly DateTimeOffset RunTime = Utc(2025, 3, 1, 9);

    private static async Task<(int Status, string ContentType, JsonElement Body)> PostAsync(AppHost app, string queryString)
    {
        var context = new DefaultHttpContext { RequestServices = app.Services };
        context.Request.Method = HttpMethods.Post;
        context.Request.Path = "/api/" + ResetCreditsHttp.Route;
        context.Request.QueryString = new QueryString(queryString);
        context.Response.Body = new MemoryStream();

        var result = await app.Function<ResetCreditsHttp>().RunAsync(context.Request, CancellationToken.None);
        await result.ExecuteAsync(context);

        context.Response.Body.Position = 0;
        using var document = await JsonDocument.ParseAsync(context.Response.Body);
        return (context.Response.StatusCode, context.Response.ContentType ?? "", document.RootElement.Clone());
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
}
