using System.Diagnostics;
using System.Text.Json;
using CreditFunctions.Functions;

namespace CreditFunctions.Tests.Stripe;

/// <summary>
/// The Quick start's demo (<c>demo/demo.mjs</c>) as a newcomer runs it: its signed deliveries, printed by the script
/// itself, go through the real webhook, and the steps it takes after them show a planned reset, a reset and its record.
/// </summary>
public class DemoScriptTests
{
    private static async Task<(int ExitCode, string Output, string Errors)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = AzuriteFixture.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine("demo", "demo.mjs"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await stdout, await stderr);
    }

    private static async Task<JsonElement> PrintAsync(DateTimeOffset now, string secret)
    {
        var (exitCode, output, errors) = await RunAsync("--print", "--now", now.ToString("O"), "--secret", secret, "--wait-seconds", "75");
        Assert.True(exitCode == 0, $"demo.mjs --print failed: {errors}");
        using var document = JsonDocument.Parse(output);
        return document.RootElement.Clone();
    }

    [Fact]
    public async Task Demo_AgainstTheAppOverHttp_ShowsThePlannedResetTheResetAndTheLedger()
    {
        await using var app = await AppHost.StartAsync(DateTimeOffset.UtcNow);
        await using var server = await LocalFunctionsServer.StartAsync(app);
        var settings = Path.Combine(Path.GetTempPath(), $"demo-local.settings-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(settings, JsonSerializer.Serialize(new { Values = new Dictionary<string, string> { ["Stripe__WebhookSecret"] = StripeSigning.Secret } }));

        try
        {
            var (exitCode, output, errors) = await RunAsync("--base", server.BaseAddress, "--settings", settings, "--wait-seconds", "5");

            Assert.True(exitCode == 0, $"the demo failed: {errors}\n{output}");
            Assert.Contains("\"result\": \"synced\"", output, StringComparison.Ordinal);
            Assert.Contains("\"result\": \"duplicate\"", output, StringComparison.Ordinal);
            Assert.Contains("\"available\": 700", output, StringComparison.Ordinal);
            Assert.Contains("\"balanceBefore\": 700", output, StringComparison.Ordinal);
            Assert.Contains("\"reset\": 1", output, StringComparison.Ordinal);
            Assert.Contains("\"available\": 1000", output, StringComparison.Ordinal);
            Assert.Contains("Events are off: set Events__WebhookUrl", output, StringComparison.Ordinal);
            Assert.EndsWith("All nine steps answered as expected.", output.TrimEnd(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(settings);
        }
    }

    [Fact]
    public async Task Demo_AppWithAnotherWebhookSecret_StopsAtTheFirstStepWithTheAppsAnswer()
    {
        await using var app = await AppHost.StartAsync(DateTimeOffset.UtcNow);
        await using var server = await LocalFunctionsServer.StartAsync(app);

        var (exitCode, _, errors) = await RunAsync("--base", server.BaseAddress, "--secret", "whsec_notTheAppsSecret", "--wait-seconds", "5");

        Assert.Equal(1, exitCode);
        Assert.Contains("POST /api/stripe/webhook answered 400", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--now", "2026-03-01T09:00:00Z")] // a live delivery signed in the past would be refused as a replay
    [InlineData("--print", "--now", "2026-02-30T09:00:00Z")]
    [InlineData("--print", "--now", "0")]
    [InlineData("--print", "--secret", "sk_test_notASigningSecret")]
    [InlineData("--wait-seconds", "4")]
    [InlineData("--bogus")]
    public async Task Demo_BadArguments_AreRefusedWithTheReason(params string[] arguments)
    {
        var (exitCode, _, errors) = await RunAsync(arguments);

        Assert.Equal(1, exitCode);
        Assert.StartsWith("demo failed: ", errors.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_AppNotRunning_SaysToStartItFirst()
    {
        var (exitCode, _, errors) = await RunAsync("--base", "http://127.0.0.1:9", "--secret", StripeSigning.Secret, "--wait-seconds", "5");

        Assert.Equal(1, exitCode);
        Assert.Contains("start Azurite and the app first", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2026-11-12T09:00:00Z")] // the anniversary's day exists a month before: the period began a month ago
    [InlineData("2026-03-30T09:00:00Z")] // Feb 30 does not: the period began on Jan 30, two months before
    [InlineData("2026-12-31T23:59:30Z")] // the anniversary falls in the next year
    public async Task Demo_DeliveriesAreAccepted_ThenAPlannedResetTheResetAndItsRecordFollow(string at)
    {
        var now = DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture);
        await using var app = await AppHost.StartAsync(now);
        var demo = await PrintAsync(now, StripeSigning.Secret);
        var customerId = demo.GetProperty("customerId").GetString()!;
        var subscriptionId = demo.GetProperty("subscriptionId").GetString()!;
        var anniversary = demo.GetProperty("anniversary").GetDateTimeOffset();
        var deliveries = demo.GetProperty("deliveries").EnumerateArray().ToList();

        // 1-2. The signed event, then its redelivery.
        var labels = new List<string>();
        foreach (var delivery in deliveries)
        {
            var (status, answer) = await WebhookClient.DeliverAsync(app, delivery.GetProperty("payload").GetString()!, header: delivery.GetProperty("signature").GetString()!);
            Assert.True(status == 200, $"delivery refused ({status}): {answer}");
            labels.Add(WebhookClient.Describe(answer));
        }

        Assert.Equal(["synced; reset", "duplicate"], labels);
        Assert.InRange(anniversary - now, TimeSpan.FromSeconds(75), TimeSpan.FromSeconds(76));

        // 3-4. The threshold, then the spend below it.
        var alerts = await CreditsClient.PutAlertsAsync(app, customerId, $$"""{ "lowBelow": {{demo.GetProperty("lowBelow").GetInt64()}} }""");
        Assert.Equal((200, 800L), (alerts.Status, alerts.Body.GetProperty("threshold").GetInt64()));
        var spent = await CreditsClient.SpendAsync(app, customerId, demo.GetProperty("spend").GetInt64(), "demo-spend");
        Assert.Equal(700, spent.Body.GetProperty("available").GetInt64());

        // 5-7. The anniversary passes: a dry run plans the reset, the real call makes it.
        app.Time.SetUtcNow(anniversary.AddSeconds(2));
        var dryRun = await ResetAsync(app, $"?dryRun=true&subscriptionId={subscriptionId}");
        var planned = Assert.Single(dryRun.GetProperty("plannedResets").EnumerateArray());
        Assert.Equal((anniversary, 700L, 1000L), (planned.GetProperty("boundary").GetDateTimeOffset(), planned.GetProperty("balanceBefore").GetInt64(), planned.GetProperty("balanceAfter").GetInt64()));
        var reset = await ResetAsync(app, $"?subscriptionId={subscriptionId}");
        Assert.Equal(1, reset.GetProperty("counts").GetProperty("reset").GetInt32());

        // 8. The ledger: the reset record on top, with the run that made it.
        var ledger = await CreditsClient.LedgerAsync(app, customerId);
        var entries = ledger.Body.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(["reset", "spend", "reset"], entries.Select(e => e.GetProperty("kind").GetString()));
        Assert.Equal((anniversary, reset.GetProperty("runId").GetString(), 1000L),
            (entries[0].GetProperty("boundary").GetDateTimeOffset(), entries[0].GetProperty("runId").GetString(), entries[0].GetProperty("balanceAfter").GetInt64()));
    }

    private static async Task<JsonElement> ResetAsync(AppHost app, string query)
    {
        var answer = await FunctionHttp.InvokeAsync(app, r => app.Function<ResetCreditsHttp>().RunAsync(r, CancellationToken.None), "POST", "/api/" + ResetCreditsHttp.Route, query);
        Assert.True(answer.Status == 200, $"reset answered {answer.Status}: {answer.Body}");
        return answer.Body;
    }
}
