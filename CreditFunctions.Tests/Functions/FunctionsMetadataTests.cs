using System.Reflection;
using System.Text.Json;

namespace CreditFunctions.Tests.Functions;

/// <summary>The contract with the Functions host: what the build's functions.metadata declares.</summary>
public class FunctionsMetadataTests
{
    private static JsonElement Function(string functionName)
    {
        var path = typeof(FunctionsMetadataTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "FunctionsMetadataPath").Value!;
        Assert.True(File.Exists(path), $"The app's build did not write {path}");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.EnumerateArray().Single(f => f.GetProperty("name").GetString() == functionName).Clone();
    }

    private static JsonElement Binding(string functionName, string type) =>
        Function(functionName).GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString() == type);

    [Fact]
    public void Timer_FailedRunIsRetriedWithBoundedExponentialBackoff()
    {
        var retry = Function("ResetCreditsTimer").GetProperty("retry");

        Assert.Equal("exponentialBackoff", retry.GetProperty("strategy").GetString());
        Assert.Equal(5, retry.GetProperty("maxRetryCount").GetInt32());
        Assert.Equal(("00:01:00", "00:15:00"), (retry.GetProperty("minimumInterval").GetString(), retry.GetProperty("maximumInterval").GetString()));
    }

    [Fact]
    public void Timer_RunsDailyAt0200WithoutRunOnStartup()
    {
        var timer = Binding("ResetCreditsTimer", "timerTrigger");

        Assert.Equal("0 0 2 * * *", timer.GetProperty("schedule").GetString());
        Assert.False(timer.GetProperty("runOnStartup").GetBoolean());
        Assert.True(timer.GetProperty("useMonitor").GetBoolean());
    }

    [Fact]
    public void ManualReset_IsPostCreditsResetWithFunctionKey()
    {
        var http = Binding("ResetCreditsHttp", "httpTrigger");

        Assert.Equal("credits/reset", http.GetProperty("route").GetString());
        Assert.Equal(["post"], http.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("Function", http.GetProperty("authLevel").GetString());
    }

    [Fact]
    public void StripeWebhook_IsAnonymousPostStripeWebhook()
    {
        var http = Binding("StripeWebhook", "httpTrigger");

        Assert.Equal("stripe/webhook", http.GetProperty("route").GetString());
        Assert.Equal(["post"], http.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("Anonymous", http.GetProperty("authLevel").GetString());
    }

    [Fact]
    public void StripeImport_IsPostStripeImportWithFunctionKey()
    {
        var http = Binding("StripeImportHttp", "httpTrigger");

        Assert.Equal("stripe/import", http.GetProperty("route").GetString());
        Assert.Equal(["post"], http.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("Function", http.GetProperty("authLevel").GetString());
    }

    [Theory]
    [InlineData("GetCredits", "get", "customers/{customerId}/credits")]
    [InlineData("SpendCredits", "post", "customers/{customerId}/credits/spend")]
    [InlineData("GrantCredits", "post", "customers/{customerId}/credits/grants")]
    [InlineData("GetCreditsLedger", "get", "customers/{customerId}/credits/ledger")]
    [InlineData("GetCreditAlerts", "get", "customers/{customerId}/credits/alerts")]
    [InlineData("PutCreditAlerts", "put", "customers/{customerId}/credits/alerts")]
    [InlineData("PlaceCreditHold", "post", "customers/{customerId}/credits/holds")]
    [InlineData("CaptureCreditHold", "post", "customers/{customerId}/credits/holds/{holdId}/capture")]
    [InlineData("ReleaseCreditHold", "post", "customers/{customerId}/credits/holds/{holdId}/release")]
    public void CreditsApi_RoutesWithFunctionKey(string function, string method, string route)
    {
        var http = Binding(function, "httpTrigger");

        Assert.Equal(route, http.GetProperty("route").GetString());
        Assert.Equal([method], http.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("Function", http.GetProperty("authLevel").GetString());
    }

    [Fact]
    public void EventDelivery_IsTriggeredByTheEventsQueueInTheHostsStorage()
    {
        var queue = Binding("DeliverCreditEvents", "queueTrigger");

        Assert.Equal("%Events:Queue%", queue.GetProperty("queueName").GetString());
        Assert.False(queue.TryGetProperty("connection", out var connection) && connection.GetString() is { Length: > 0 }, "the queue is in AzureWebJobsStorage, the default connection");
    }

    [Fact]
    public void HostJson_RetriesAQueueMessageAsTheDeliveryExpects_ThenPoisonsIt()
    {
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(AzuriteFixture.RepositoryRoot, "host.json")));
        var queues = host.RootElement.GetProperty("extensions").GetProperty("queues");

        Assert.Equal(CreditFunctions.Events.EventDelivery.HostMaxDequeueCount, queues.GetProperty("maxDequeueCount").GetInt32());
        Assert.Equal("base64", queues.GetProperty("messageEncoding").GetString()); // what EventsHandOff sends
    }
}
