using System.Text.Json;
using static CreditFunctions.Tests.Credits.CreditsClient;
using static CreditFunctions.Tests.Stripe.Deliveries;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Events;

/// <summary>A customer's own low-credits threshold through GET and PUT <c>.../credits/alerts</c>, over the settings' default.</summary>
public sealed class CreditAlertsTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Start = Utc(2026, 1, 31, 10);
    private const string Customer = "cus_1Alerts";

    private readonly Task<EventReceiver> _receiver = EventReceiver.StartAsync();

    public async ValueTask DisposeAsync() => await (await _receiver).DisposeAsync();

    private async Task<AppHost> CustomerAsync(Dictionary<string, string?>? settings = null)
    {
        var app = await AppHost.StartAsync(Start.AddMinutes(1), (await _receiver).Settings(settings));
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1AlC", "customer.subscription.created", Start, "sub_1Alerts", "active", YearlyPro, Start));
        return app;
    }

    [Fact]
    public async Task Get_AnswersTheDefaultsTheThresholdAndTheLevel()
    {
        await using var app = await CustomerAsync(new() { ["Events:LowBelowPercent"] = "20" });

        var answer = await AlertsAsync(app, Customer);

        Assert.Equal(200, answer.Status);
        var body = answer.Body;
        Assert.Equal(JsonValueKind.Null, body.GetProperty("lowBelow").ValueKind);
        Assert.Equal((20, 200L, 1000L, "normal", true),
            (body.GetProperty("defaults").GetProperty("lowBelowPercent").GetInt32(), body.GetProperty("threshold").GetInt64(), body.GetProperty("available").GetInt64(),
             body.GetProperty("level").GetString(), body.GetProperty("eventsEnabled").GetBoolean()));
    }

    [Fact]
    public async Task Put_OverridesTheDefaultForThisCustomer_ItsCrossingTellsLow_AndNullGoesBackToTheDefault()
    {
        await using var app = await CustomerAsync(new() { ["Events:LowBelow"] = "100" });
        var receiver = await _receiver;

        var put = await PutAlertsAsync(app, Customer, """{ "lowBelow": 800 }""");
        await SpendAsync(app, Customer, 300, "s1");
        await QueuePump.DrainAsync(app);
        var back = await PutAlertsAsync(app, Customer, """{ "lowBelow": null }""");

        Assert.Equal((200, 800L, 800L), (put.Status, put.Body.GetProperty("lowBelow").GetInt64(), put.Body.GetProperty("threshold").GetInt64()));
        Assert.Contains(receiver.Events, e => e.Type == "credits.low" && e.Json.GetProperty("data").GetProperty("threshold").GetInt64() == 800);
        Assert.Equal((JsonValueKind.Null, 100L), (back.Body.GetProperty("lowBelow").ValueKind, back.Body.GetProperty("threshold").GetInt64()));
        Assert.Equal("normal", (await AlertsAsync(app, Customer)).Body.GetProperty("level").GetString()); // 700 is not below 100
    }

    [Theory]
    [InlineData("""{ "lowBelow": -1 }""", "lowBelow")]
    [InlineData("""{ "lowBelow": 1.5 }""", "lowBelow")]
    [InlineData("""{ "lowBelow": "100" }""", "lowBelow")]
    [InlineData("""{ "lowBelowPercent": 101 }""", "lowBelowPercent")]
    [InlineData("""{ "lowBelowPct": 10 }""", "lowBelowPct")]
    [InlineData("""[1]""", "body")]
    public async Task Put_BadBody_Answers400NamingTheFieldAndChangesNothing(string body, string field)
    {
        await using var app = await CustomerAsync();

        var answer = await PutAlertsAsync(app, Customer, body);

        Assert.Equal(400, answer.Status);
        Assert.True(answer.Body.GetProperty("errors").TryGetProperty(field, out _), answer.Body.ToString());
        Assert.Null((await app.Store.GetStateAsync(Customer))!.Alerts);
    }

    [Fact]
    public async Task AnUnknownCustomer_Is404_AndABadCustomerId400()
    {
        await using var app = await CustomerAsync();

        Assert.Equal(404, (await AlertsAsync(app, "cus_1Nobody")).Status);
        Assert.Equal(404, (await PutAlertsAsync(app, "cus_1Nobody", """{ "lowBelow": 5 }""")).Status);
        Assert.Equal(400, (await AlertsAsync(app, "not-a-customer")).Status);
    }
}
