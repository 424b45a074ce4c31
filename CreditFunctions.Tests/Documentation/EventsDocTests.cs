using System.Text.Json;
using System.Text.RegularExpressions;
using CreditFunctions.Tests.Events;
using static CreditFunctions.Tests.Credits.CreditsClient;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Documentation;

/// <summary>
/// docs/events.md shows every event type the app sends, each with an example body whose fields (and data fields) are
/// exactly those of the event the app sends for it: a customer's month that produces every type, compared with the page.
/// </summary>
public sealed partial class EventsDocTests
{
    private static readonly DateTimeOffset Created = Utc(2026, 1, 15, 9, 30);
    private const string Customer = "cus_1Docs";

    /// <summary>An auto top-up that fails (the customer has no payment method), on an app of its own that charges through a fake Stripe.</summary>
    private static async Task TopUpFailedAsync(EventReceiver receiver)
    {
        using var stripe = new FakeStripeApi();
        var pack = new Plan("price_1DocsPack", "month", null, UnitAmount: 1000);
        stripe.Prices[pack.PriceId] = PackPrice(pack, 500);
        stripe.AddCustomer("cus_1DocsTopUp", withPaymentMethod: false);
        await using var app = await AppHost.StartAsync(Created, StripeQueuePump.Settings(receiver.Settings()), stripe: stripe);
        await GrantAsync(app, "cus_1DocsTopUp", 150, "welcome", reason: "welcome");
        await AutoTopUpClient.PutAsync(app, "cus_1DocsTopUp", $$"""{ "enabled": true, "belowAvailable": 100, "priceId": "{{pack.PriceId}}", "quantity": 1, "maxPerMonth": 4 }""");
        await SpendAsync(app, "cus_1DocsTopUp", 90, "report");
        await StripeQueuePump.DrainAsync(app);
        await QueuePump.DrainAsync(app);
    }

    [Fact]
    public async Task EveryEventType_IsDocumentedWithAnExampleOfExactlyTheFieldsSent()
    {
        await using var receiver = await EventReceiver.StartAsync();
        await using var app = await AppHost.StartAsync(Created.AddMinutes(1), receiver.Settings(new() { ["Events:LowBelow"] = "200" }));
        var monthly = Created.AddMonths(1);
        await WebhookClient.DeliverOkAsync(app, Event("evt_1DocY", "customer.subscription.created", Created, Subscription("sub_1Docs", "active", YearlyPro, Created, Created.AddYears(1), customerId: Customer)));
        await WebhookClient.DeliverOkAsync(app, Event("evt_1DocM", "customer.subscription.created", Created, Subscription("sub_2Docs", "active", MonthlyPro, Created, monthly, customerId: Customer)));
        await SpendAsync(app, Customer, 1900, "big-report");
        await GrantAsync(app, Customer, -100, "correction", reason: "double-counted import");
        await GrantAsync(app, Customer, -140, "correction", reason: "double-counted import");
        await WebhookClient.DeliverOkAsync(app, Event("evt_1DocP", "checkout.session.completed", Created, CheckoutSession("cs_test_1Docs", Customer, paymentIntentId: "pi_1Docs", metadata: new Dictionary<string, string> { ["credits"] = "500" })));
        await WebhookClient.DeliverOkAsync(app, Event("evt_1DocR", "charge.refunded", Created, Charge("ch_1Docs", Customer, "pi_1Docs", 1000, 200, Created)));
        await GrantAsync(app, Customer, 40, "promo", Utc(2026, 2, 20), reason: "welcome");
        await WebhookClient.DeliverOkAsync(app, Event("evt_1DocU", "customer.subscription.updated", Created.AddMinutes(1), Subscription("sub_1Docs", "active", YearlyTeam, Created, Created.AddYears(1), customerId: Customer)));
        foreach (var at in new[] { Utc(2026, 2, 14, 2), monthly.AddMinutes(30) })
        {
            app.Time.SetUtcNow(at);
            await app.RunAsync();
        }

        await WebhookClient.DeliverOkAsync(app, Event("evt_1DocMU", "customer.subscription.updated", monthly, Subscription("sub_2Docs", "active", MonthlyPro, monthly, monthly.AddMonths(1), customerId: Customer)));
        foreach (var at in new[] { Utc(2026, 2, 16, 2), Utc(2026, 2, 21, 2) })
        {
            app.Time.SetUtcNow(at);
            await app.RunAsync();
        }

        await QueuePump.DrainAsync(app);
        await TopUpFailedAsync(receiver);
        // One example per type, and per source for credits.granted (a grant, a purchase, an upgrade carry different data).
        var sent = receiver.Events.GroupBy(e => Shape(e.Json)).ToDictionary(g => g.Key, g => g.First().Json);
        File.WriteAllText("/tmp/events-docs.json", string.Join("\n", receiver.Events.Select(e => e.Body)));
        var documented = DocumentedExamples();

        Assert.Equal(CreditEventTypes.All.Order(StringComparer.Ordinal), sent.Keys.Select(k => k.Split('/')[0]).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(sent.Keys.Order(StringComparer.Ordinal), documented.Keys.Order(StringComparer.Ordinal));
        foreach (var (shape, body) in sent)
        {
            var example = documented[shape];
            Assert.True(Fields(body).SequenceEqual(Fields(example)), $"docs/events.md's example of {shape} has the fields {string.Join(", ", Fields(example))}; the app sends {body}");
        }
    }

    private static string Shape(JsonElement body) =>
        body.GetProperty("data").TryGetProperty("source", out var source) ? $"{body.GetProperty("type").GetString()}/{source.GetString()}" : body.GetProperty("type").GetString()!;

    /// <summary>The body's field names and its data's, in order, as "name" and "data.name".</summary>
    private static List<string> Fields(JsonElement body) =>
        [.. body.EnumerateObject().Select(p => p.Name), .. body.GetProperty("data").EnumerateObject().Select(p => "data." + p.Name)];

    /// <summary>Each ```json block under a "### `type`" heading, keyed by its shape; two of one shape fail.</summary>
    private static Dictionary<string, JsonElement> DocumentedExamples()
    {
        var page = File.ReadAllText(Path.Combine(AzuriteFixture.RepositoryRoot, "docs/events.md"));
        var examples = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (Match section in Section().Matches(page))
        {
            foreach (Match block in JsonBlock().Matches(section.Groups[2].Value))
            {
                var example = JsonDocument.Parse(block.Groups[1].Value).RootElement.Clone();
                Assert.Equal(section.Groups[1].Value, example.GetProperty("type").GetString());
                examples.Add(Shape(example), example);
            }
        }

        return examples;
    }

    [GeneratedRegex(@"^### `([a-z_.]+)`[^\n]*\n(.*?)(?=^##|\z)", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Section();

    [GeneratedRegex(@"```json\n(.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
