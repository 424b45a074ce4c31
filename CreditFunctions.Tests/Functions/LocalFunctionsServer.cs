using System.Collections.Concurrent;
using System.Text.Json;
using CreditFunctions.Functions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace CreditFunctions.Tests.Functions;

/// <summary>
/// The app's HTTP functions on real HTTP at 127.0.0.1, routed as the Functions host routes them (<c>/api/...</c>), for
/// clients that must be tried over the wire (the demo script). The app's clock follows the wall clock on every request.
/// Functions Core Tools cannot run on the build machine; this is the part of the host such clients see. Every answer
/// is checked against openapi/openapi.json as it goes out (<see cref="ApiContract"/>); disposing fails on any departure.
/// </summary>
internal sealed class LocalFunctionsServer : IAsyncDisposable
{
    private readonly WebApplication _web;
    private readonly ConcurrentQueue<string> _departures;

    private LocalFunctionsServer(WebApplication web, ConcurrentQueue<string> departures) => (_web, _departures) = (web, departures);

    private int _checked;

    /// <summary>How many answers were checked against the document.</summary>
    public int Checked => _checked;

    public string BaseAddress => _web.Urls.Single();

    public static async Task<LocalFunctionsServer> StartAsync(AppHost app)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var web = builder.Build();
        var departures = new ConcurrentQueue<string>();
        LocalFunctionsServer? server = null;
        web.Use(async (context, next) =>
        {
            var original = context.Response.Body;
            using var buffer = new MemoryStream();
            context.Response.Body = buffer;
            await next(context);
            context.Response.Body = original;
            var bytes = buffer.ToArray();
            if (context.Request.Path.StartsWithSegments("/.auth", StringComparison.Ordinal) || context.Request.Path == "/favicon.ico")
            {
                await original.WriteAsync(bytes);
                return; // The platform's own route (App Service authentication), or the icon a browser asks of a page without one: not the app's.
            }

            var json = (bytes.Length == 0 && context.Response.ContentType is not null) || context.Response.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true;
            using (var document = JsonDocument.Parse(bytes.Length == 0 || !json ? "null"u8.ToArray() : bytes))
            {
                var found = json
                    ? ApiContract.Departures(context.Request.Method, context.Request.Path, context.Response.StatusCode, context.Response.ContentType, context.Response.Headers, document.RootElement)
                    : ApiContract.TextDepartures(context.Request.Method, context.Request.Path, context.Response.StatusCode, context.Response.ContentType);
                foreach (var departure in found)
                {
                    departures.Enqueue($"{context.Request.Method} {context.Request.Path}: {departure}");
                }
            }

            Interlocked.Increment(ref server!._checked);
            await original.WriteAsync(bytes);
        });
        T Now<T>()
        {
            app.Time.SetUtcNow(DateTimeOffset.UtcNow);
            return app.Function<T>();
        }

        web.MapPost("/api/" + StripeWebhook.Route, (HttpRequest r, CancellationToken ct) => Now<StripeWebhook>().RunAsync(r, ct));
        web.MapGet("/api/" + GetOpenApiDocument.Route, (HttpRequest r) => Now<GetOpenApiDocument>().Run(r));
        web.MapPost("/api/" + StripeImportHttp.Route, (HttpRequest r, CancellationToken ct) => Now<StripeImportHttp>().RunAsync(r, ct));
        web.MapPost("/api/" + ResetCreditsHttp.Route, (HttpRequest r, CancellationToken ct) => Now<ResetCreditsHttp>().RunAsync(r, ct));
        web.MapGet("/api/customers/{customerId}/credits", (HttpRequest r, string customerId, CancellationToken ct) => Now<GetCredits>().RunAsync(r, customerId, ct));
        web.MapPost("/api/customers/{customerId}/credits/spend", (HttpRequest r, string customerId, CancellationToken ct) => Now<SpendCredits>().RunAsync(r, customerId, ct));
        web.MapPost("/api/customers/{customerId}/credits/grants", (HttpRequest r, string customerId, CancellationToken ct) => Now<GrantCredits>().RunAsync(r, customerId, ct));
        web.MapGet("/api/customers/{customerId}/credits/ledger", (HttpRequest r, string customerId, CancellationToken ct) => Now<GetCreditsLedger>().RunAsync(r, customerId, ct));
        web.MapPost("/api/" + HoldCredits.Route, (HttpRequest r, string customerId, CancellationToken ct) => Now<HoldCredits>().PlaceAsync(r, customerId, ct));
        web.MapPost("/api/" + HoldCredits.Route + "/{holdId}/capture", (HttpRequest r, string customerId, string holdId, CancellationToken ct) => Now<HoldCredits>().CaptureAsync(r, customerId, holdId, ct));
        web.MapPost("/api/" + HoldCredits.Route + "/{holdId}/release", (HttpRequest r, string customerId, string holdId, CancellationToken ct) => Now<HoldCredits>().ReleaseAsync(r, customerId, holdId, ct));
        web.MapGet("/api/" + CreditAlerts.Route, (HttpRequest r, string customerId, CancellationToken ct) => Now<CreditAlerts>().GetAsync(r, customerId, ct));
        web.MapPut("/api/" + CreditAlerts.Route, (HttpRequest r, string customerId, CancellationToken ct) => Now<CreditAlerts>().PutAsync(r, customerId, ct));
        web.MapGet("/api/" + AutoTopUpHttp.Route, (HttpRequest r, string customerId, CancellationToken ct) => Now<AutoTopUpHttp>().GetAsync(r, customerId, ct));
        web.MapPut("/api/" + AutoTopUpHttp.Route, (HttpRequest r, string customerId, CancellationToken ct) => Now<AutoTopUpHttp>().PutAsync(r, customerId, ct));
        web.MapPost("/api/" + AutoTopUpHttp.Route + "/retry", (HttpRequest r, string customerId, CancellationToken ct) => Now<AutoTopUpHttp>().RetryAsync(r, customerId, ct));
        web.MapGet("/.auth/login/aad", () => Results.Text("App Service's Entra ID sign-in would be here.", "text/plain"));
        web.MapGet("/api/" + ConsolePages.Route, (HttpRequest r) => Now<ConsolePages>().Page(r));
        web.MapGet("/api/" + ConsolePages.Route + "/{file}", (HttpRequest r, string file) => Now<ConsolePages>().File(r, file));
        web.MapGet("/api/" + ConsoleApi.Route + "/me", (HttpRequest r) => Now<ConsoleApi>().WhoAmI(r));
        web.MapGet("/api/" + ConsoleApi.Route + "/customers/{customerId}", (HttpRequest r, string customerId, CancellationToken ct) => Now<ConsoleApi>().CustomerAsync(r, customerId, ct));
        web.MapGet("/api/" + ConsoleApi.Route + "/customers/{customerId}/ledger", (HttpRequest r, string customerId, CancellationToken ct) => Now<ConsoleApi>().LedgerAsync(r, customerId, ct));
        web.MapPost("/api/" + ConsoleApi.Route + "/customers/{customerId}/grants", (HttpRequest r, string customerId, CancellationToken ct) => Now<ConsoleApi>().GrantAsync(r, customerId, ct));
        web.MapGet("/api/" + ConsoleApi.Route + "/runs", (HttpRequest r, CancellationToken ct) => Now<ConsoleApi>().RunsAsync(r, ct));
        await web.StartAsync();
        return server = new LocalFunctionsServer(web, departures);
    }

    public async ValueTask DisposeAsync()
    {
        await _web.StopAsync();
        await _web.DisposeAsync();
        Assert.True(_departures.IsEmpty, "Answers that depart from openapi/openapi.json:\n" + string.Join("\n", _departures));
    }
}
