using CreditFunctions.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using CreditFunctions.Client.Generated;
using CreditFunctions.Client.Generated.Models;
using GrantRequest = CreditFunctions.Client.Generated.Models.GrantRequest;
using SpendRequest = CreditFunctions.Client.Generated.Models.SpendRequest;
using HoldRequest = CreditFunctions.Client.Generated.Models.HoldRequest;
using CaptureRequest = CreditFunctions.Client.Generated.Models.CaptureRequest;
using ReleaseRequest = CreditFunctions.Client.Generated.Models.ReleaseRequest;

namespace CreditFunctions.Tests.Clients;

/// <summary>
/// The generated .NET client (clients/dotnet) against the real functions over HTTP (the local server, every answer also
/// checked against the document): read, spend, grant, ledger paging and problem answers, as a SaaS backend would call them.
/// </summary>
public class DotnetClientTests
{
    /// <summary>The app on Azurite, served over HTTP, and a client of it; disposing stops them and checks every answer against the document.</summary>
    private sealed class Session : IAsyncDisposable
    {
        private readonly HttpClient _http = new();

        private Session(AppHost app, LocalFunctionsServer server)
        {
            (App, Server) = (app, server);
            Client = CreditsApi.Create(_http, new Uri(server.BaseAddress + "/api"), functionKey: "local-key");
        }

        public AppHost App { get; }

        public LocalFunctionsServer Server { get; }

        public CreditsApiClient Client { get; }

        public static async Task<Session> StartAsync()
        {
            var app = await AppHost.StartAsync(DateTimeOffset.UtcNow);
            return new Session(app, await LocalFunctionsServer.StartAsync(app));
        }

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            await Server.DisposeAsync();
            await App.DisposeAsync();
        }
    }

    private static string NewCustomer() => "cus_Client" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task GrantReadSpend_ThroughTheClient_MoveTheBalanceAsTheApiSays()
    {
        await using var session = await Session.StartAsync();
        var client = session.Client;
        var customer = NewCustomer();

        var granted = await client.Customers[customer].Credits.Grants.PostAsync(new GrantRequest
        {
            Amount = 100, IdempotencyKey = "welcome", Reason = "welcome bonus", ExpiresAt = DateTimeOffset.UtcNow.AddDays(30),
        });
        var spent = await client.Customers[customer].Credits.Spend.PostAsync(new SpendRequest
        {
            Amount = 30, IdempotencyKey = "report-1", Reason = "report", Metadata = new SpendRequest_metadata { AdditionalData = { ["reportId"] = "rpt_1" } },
        });
        var credits = await client.Customers[customer].Credits.GetAsync();

        Assert.Equal((CreditsReceipt_kind.Grant, 100L, 100L), (granted!.Kind, granted.Amount, granted.Available));
        Assert.Equal((CreditsReceipt_kind.Spend, -30L, 70L), (spent!.Kind, spent.Amount, spent.Available));
        Assert.Equal(70, credits!.Available);
        var bucket = Assert.Single(credits.Buckets!);
        Assert.Equal((Bucket_kind.Grant, 70L, 100L, "welcome bonus"), (bucket.Kind, bucket.Remaining, bucket.Granted, bucket.Reason));
        Assert.True(session.Server.Checked >= 3);
    }

    [Fact]
    public async Task TrySpend_SameWorkTwice_SpendsOnce_AndTooLittleIsFalseWithNothingTaken()
    {
        await using var session = await Session.StartAsync();
        var client = session.Client;
        var customer = NewCustomer();
        await client.Customers[customer].Credits.Grants.PostAsync(new GrantRequest { Amount = 50, IdempotencyKey = "g", Reason = "trial" });

        Assert.True(await client.TrySpendAsync(customer, 20, "job-81", "render"));
        Assert.True(await client.TrySpendAsync(customer, 20, "job-81", "render")); // a retry of the same work
        Assert.False(await client.TrySpendAsync(customer, 31, "job-82", "render"));
        Assert.True(await client.TrySpendAsync(customer, 30, "a job id with spaces / and more than an ASCII key allows: é"));

        var credits = await client.Customers[customer].Credits.GetAsync();
        Assert.Equal(0, credits!.Available);
        var ledger = await client.Customers[customer].Credits.Ledger.GetAsync();
        Assert.Equal([LedgerEntry_kind.Spend, LedgerEntry_kind.Spend, LedgerEntry_kind.Grant], ledger!.Entries!.Select(e => e.Kind!.Value));
        Assert.Equal(["work-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            "a job id with spaces / and more than an ASCII key allows: é"u8)), "work-job-81", "g"], ledger.Entries!.Select(e => e.IdempotencyKey));
    }

    [Fact]
    public async Task Ledger_PagedThroughTheClient_GivesEveryEntryOnceNewestFirst()
    {
        await using var session = await Session.StartAsync();
        var client = session.Client;
        var customer = NewCustomer();
        await client.Customers[customer].Credits.Grants.PostAsync(new GrantRequest { Amount = 100, IdempotencyKey = "g", Reason = "start" });
        for (var i = 1; i <= 6; i++)
        {
            Assert.True(await client.TrySpendAsync(customer, i, $"job-{i}"));
        }

        var sequences = new List<long>();
        var pages = 0;
        string? token = null;
        do
        {
            var page = await client.Customers[customer].Credits.Ledger.GetAsync(r =>
            {
                r.QueryParameters.Limit = 3;
                r.QueryParameters.ContinuationToken = token;
            });
            pages++;
            sequences.AddRange(page!.Entries!.Select(e => e.Sequence!.Value));
            token = page.ContinuationToken;
        }
        while (token is not null);

        Assert.Equal([7L, 6, 5, 4, 3, 2, 1], sequences);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task ProblemAnswers_AreThrownAsProblemWithTheirTypeAndFields()
    {
        await using var session = await Session.StartAsync();
        var client = session.Client;
        var customer = NewCustomer();

        var missing = await Assert.ThrowsAsync<Problem>(() => client.Customers[customer].Credits.GetAsync());
        var invalid = await Assert.ThrowsAsync<Problem>(() => client.Customers[customer].Credits.Spend.PostAsync(new SpendRequest { Amount = 0, IdempotencyKey = "k" }));
        await client.Customers[customer].Credits.Grants.PostAsync(new GrantRequest { Amount = 10, IdempotencyKey = "g", Reason = "start" });
        var reused = await Assert.ThrowsAsync<Problem>(() => client.Customers[customer].Credits.Grants.PostAsync(new GrantRequest { Amount = 11, IdempotencyKey = "g", Reason = "start" }));
        var insufficient = await Assert.ThrowsAsync<Problem>(() => client.Customers[customer].Credits.Spend.PostAsync(new SpendRequest { Amount = 11, IdempotencyKey = "s" }));

        Assert.Equal(("customer-not-found", 404), (missing.Type, missing.ResponseStatusCode));
        Assert.Equal(("invalid-request", 400), (invalid.Type, invalid.ResponseStatusCode));
        Assert.Contains("amount", invalid.Errors!.AdditionalData.Keys);
        Assert.Equal(("idempotency-key-reused", 409), (reused.Type, reused.ResponseStatusCode));
        Assert.Equal(("insufficient-credits", 10L, 11L), (insufficient.Type, insufficient.Available, insufficient.Requested));
    }

    [Fact]
    public async Task HoldThenCapture_AndHoldThenRelease_ThroughTheClient_AsDocsCreditsApiShowsThem()
    {
        await using var session = await Session.StartAsync();
        var client = session.Client;
        var customer = NewCustomer();
        await client.Customers[customer].Credits.Grants.PostAsync(new GrantRequest { Amount = 1000, IdempotencyKey = "g", Reason = "start" });
        var holds = client.Customers[customer].Credits.Holds;

        var hold = await holds.PostAsync(new HoldRequest { Amount = 500, IdempotencyKey = "job-1", ExpiresIn = 3600, Reason = "video render" });
        var captured = await holds[hold!.HoldId].Capture.PostAsync(new CaptureRequest { Amount = 320, IdempotencyKey = "job-1-capture" });
        var second = await holds.PostAsync(new HoldRequest { Amount = 100, IdempotencyKey = "job-2" });
        var released = await holds[second!.HoldId].Release.PostAsync(new ReleaseRequest { IdempotencyKey = "job-2-release" });
        var closed = await Assert.ThrowsAsync<Problem>(() => holds[second.HoldId].Release.PostAsync(new ReleaseRequest { IdempotencyKey = "job-2-release-again" }));

        Assert.Equal((HoldAnswer_status.Open, 500L, 500L), (hold.Status, hold.Amount, hold.Available));
        Assert.Equal((HoldAnswer_status.Captured, 320L, 180L, 680L), (captured!.Status, captured.Captured, captured.Returned, captured.Available));
        Assert.Equal((HoldAnswer_status.Released, 100L, 680L), (released!.Status, released.Returned, released.Available));
        Assert.Equal(("hold-closed", 409), (closed.Type, closed.ResponseStatusCode));
    }

    [Fact]
    public async Task TheDefaultClient_ThrowsA503AsAProblemAtOnce_AndTheHostsBodiless401AsAnApiException()
    {
        var requests = 0;
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var web = builder.Build();
        Microsoft.AspNetCore.Builder.RunExtensions.Run(web, async context =>
        {
            Interlocked.Increment(ref requests);
            if (context.Request.Headers["x-functions-key"] != "right")
            {
                context.Response.StatusCode = 401;
                return;
            }

            context.Response.StatusCode = 503;
            context.Response.Headers.RetryAfter = "30";
            context.Response.ContentType = "application/problem+json";
            await context.Response.WriteAsync("""{"type":"service-unavailable","title":"Service unavailable","status":503,"detail":"Retry after 30 seconds."}""");
        });
        await web.StartAsync();
        var api = new Uri(web.Urls.Single() + "/api");

        var started = System.Diagnostics.Stopwatch.StartNew();
        var busy = await Assert.ThrowsAsync<Problem>(() => CreditsApi.Create(api, "right").TrySpendAsync("cus_1", 1, "job-1"));
        var waited = started.Elapsed;
        var unauthorized = await Assert.ThrowsAsync<Microsoft.Kiota.Abstractions.ApiException>(() => CreditsApi.Create(api, "wrong").Customers["cus_1"].Credits.GetAsync());

        Assert.Equal(("service-unavailable", 503), (busy.Type, busy.ResponseStatusCode));
        Assert.True(waited < TimeSpan.FromSeconds(10), $"the 503 was held {waited} (retried behind its Retry-After)");
        Assert.Equal(401, unauthorized.ResponseStatusCode);
        Assert.Equal(2, requests);
    }

    [Theory]
    [InlineData("job-81", "work-job-81")]
    [InlineData("ok~!", "work-ok~!")]
    public void IdempotencyKeyFor_AValidId_IsTheIdPrefixed(string workId, string key) => Assert.Equal(key, CreditsApi.IdempotencyKeyFor(workId));

    [Theory]
    [InlineData("with space")]
    [InlineData("a/b")]
    [InlineData("q?")]
    [InlineData("ünïcode")]
    public void IdempotencyKeyFor_AnIdNoKeyCanBe_IsItsHashAndAValidKey(string workId)
    {
        var key = CreditsApi.IdempotencyKeyFor(workId);

        Assert.Equal(key, CreditsApi.IdempotencyKeyFor(workId));
        Assert.Matches("^work-[0-9a-f]{64}$", key);
    }

    [Fact]
    public void IdempotencyKeyFor_AVeryLongId_StaysWithin200Characters() =>
        Assert.Equal(69, CreditsApi.IdempotencyKeyFor(new string('x', 500)).Length);
}
