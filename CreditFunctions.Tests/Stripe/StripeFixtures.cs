using System.Globalization;
using System.Text.Json.Nodes;

namespace CreditFunctions.Tests.Stripe;

/// <summary>
/// Payloads built from Stripe's own published objects (<c>Fixtures/fixtures3-excerpt.json</c>, from stripe/openapi):
/// each builder takes a copy of the object and changes only ids, times, status, metadata, periods and the lists an
/// object sits in, so every field Stripe sends reaches the app. Values the builders do not set stay Stripe's examples.
/// </summary>
internal static class StripeFixtures
{
    public const string ApiVersion = "2026-10-28.endive";

    public sealed record Plan(string PriceId, string Interval, int? CreditsMetadata, string? LookupKey = null, long UnitAmount = 2000, string UsageType = "licensed");

    public static readonly Plan MonthlyPro = new("price_1MonthlyPro", "month", 1000);
    public static readonly Plan MonthlyLite = new("price_1MonthlyLite", "month", 300, UnitAmount: 900);
    public static readonly Plan YearlyPro = new("price_1YearlyPro", "year", 1000, UnitAmount: 20000);
    public static readonly Plan YearlyTeam = new("price_1YearlyTeam", "year", 5000, UnitAmount: 90000);
    public static readonly Plan Unmapped = new("price_1Unmapped", "month", null);
    public static readonly Plan WeeklyPro = new("price_1WeeklyPro", "week", 1000, UnitAmount: 500);
    public static readonly Plan MeteredApi = new("price_1MeteredApi", "month", null, UnitAmount: 1, UsageType: "metered");

    private static readonly JsonObject Resources = LoadResources();

    private static JsonObject LoadResources()
    {
        using var stream = typeof(StripeFixtures).Assembly.GetManifestResourceStream("stripe-fixtures.json")
            ?? throw new InvalidOperationException("The Stripe fixtures are not embedded in the test assembly.");
        return JsonNode.Parse(stream)!["resources"]!.AsObject();
    }

    /// <summary>A fresh copy of one of Stripe's published objects.</summary>
    public static JsonObject Fixture(string name) => Resources[name]!.DeepClone().AsObject();

    private static long Unix(DateTimeOffset value) => value.ToUnixTimeSeconds();

    public static string Event(string id, string type, DateTimeOffset created, string dataObject, string apiVersion = ApiVersion)
    {
        var e = Fixture("event");
        e["id"] = id;
        e["type"] = type;
        e["created"] = Unix(created);
        e["api_version"] = apiVersion;
        e["pending_webhooks"] = 1;
        e["request"] = new JsonObject { ["id"] = "req_" + id[4..], ["idempotency_key"] = Guid.NewGuid().ToString() };
        e["data"] = new JsonObject { ["object"] = JsonNode.Parse(dataObject) };
        return e.ToJsonString();
    }

    public static JsonObject PriceObject(Plan plan)
    {
        var p = Fixture("price");
        p["id"] = plan.PriceId;
        p["created"] = 1704067200;
        p["lookup_key"] = plan.LookupKey;
        p["metadata"] = plan.CreditsMetadata is { } credits
            ? new JsonObject { ["credits_per_month"] = credits.ToString(CultureInfo.InvariantCulture) }
            : new JsonObject();
        p["recurring"]!["interval"] = plan.Interval;
        p["recurring"]!["usage_type"] = plan.UsageType;
        p["unit_amount"] = plan.UnitAmount;
        p["unit_amount_decimal"] = plan.UnitAmount.ToString(CultureInfo.InvariantCulture);
        return p;
    }

    public static string Price(Plan plan) => PriceObject(plan).ToJsonString();

    /// <param name="extraItems">Further items (a metered add-on, say), each (plan, item id).</param>
    public static string Subscription(
        string id, string status, Plan plan, DateTimeOffset periodStart, DateTimeOffset periodEnd,
        bool cancelAtPeriodEnd = false, string latestInvoice = "\"in_1Latest\"", string? itemId = null,
        IEnumerable<(Plan Plan, string ItemId)>? extraItems = null, string? customerId = null)
    {
        var s = Fixture("subscription");
        s["id"] = id;
        s["customer"] = customerId ?? "cus_" + id[4..];
        s["status"] = status;
        s["cancel_at_period_end"] = cancelAtPeriodEnd;
        s["created"] = Unix(periodStart);
        s["start_date"] = Unix(periodStart);
        s["billing_cycle_anchor"] = Unix(periodStart);
        s["cancel_at"] = cancelAtPeriodEnd ? Unix(periodEnd) : null;
        s["canceled_at"] = status == "canceled" ? Unix(periodStart) : null;
        s["ended_at"] = status == "canceled" ? Unix(periodStart) : null;
        s["trial_start"] = null;
        s["trial_end"] = null;
        s["next_pending_invoice_item_invoice"] = null;
        s["pause_collection"] = status == "paused" ? s["pause_collection"]!.DeepClone() : null;
        s["latest_invoice"] = JsonNode.Parse(latestInvoice);
        s["metadata"] = new JsonObject();

        var items = new JsonArray { Item(id, itemId ?? "si_" + id[4..], plan, periodStart, periodEnd) };
        foreach (var (extraPlan, extraItemId) in extraItems ?? [])
        {
            items.Add(Item(id, extraItemId, extraPlan, periodStart, periodEnd));
        }

        s["items"]!["data"] = items;
        s["items"]!["url"] = "/v1/subscription_items?subscription=" + id;
        return s.ToJsonString();
    }

    private static JsonObject Item(string subscriptionId, string itemId, Plan plan, DateTimeOffset periodStart, DateTimeOffset periodEnd)
    {
        var item = Fixture("subscription_item");
        item["id"] = itemId;
        item["subscription"] = subscriptionId;
        item["created"] = Unix(periodStart);
        item["current_period_start"] = Unix(periodStart);
        item["current_period_end"] = Unix(periodEnd);
        item["price"] = PriceObject(plan);
        item["metadata"] = new JsonObject();
        return item;
    }

    /// <summary>An invoice line for a subscription item: the plan's (or another item's, or a proration) with its period.</summary>
    public static JsonObject Line(
        string invoiceId, string subscriptionId, string itemId, Plan plan, DateTimeOffset periodStart, DateTimeOffset periodEnd, bool proration = false, string? lineId = null)
    {
        var l = Fixture("line_item");
        l["id"] = lineId ?? "il_" + Guid.NewGuid().ToString("N")[..14];
        l["invoice"] = invoiceId;
        l["amount"] = proration ? -plan.UnitAmount / 3 : plan.UnitAmount;
        l["description"] = $"1 × {plan.PriceId} (at {plan.UnitAmount / 100m:0.00} / {plan.Interval})";
        l["period"] = new JsonObject { ["start"] = Unix(periodStart), ["end"] = Unix(periodEnd) };
        l["metadata"] = new JsonObject();
        l["parent"] = new JsonObject
        {
            ["invoice_item_details"] = null,
            ["subscription_item_details"] = new JsonObject
            {
                ["invoice_item"] = proration ? "ii_" + Guid.NewGuid().ToString("N")[..14] : null,
                ["proration"] = proration,
                ["proration_details"] = new JsonObject { ["credited_items"] = null },
                ["subscription"] = subscriptionId,
                ["subscription_item"] = itemId,
            },
            ["type"] = "subscription_item_details",
        };
        l["pricing"] = new JsonObject
        {
            ["price_details"] = new JsonObject { ["price"] = plan.PriceId, ["product"] = "prod_QXg1hqf4jFNsqG" },
            ["type"] = "price_details",
            ["unit_amount_decimal"] = plan.UnitAmount.ToString(CultureInfo.InvariantCulture),
        };
        return l;
    }

    /// <param name="lines">The invoice's first page of lines; by default the plan's one line for the period.</param>
    /// <param name="hasMore">Whether Stripe cut the lines after this page.</param>
    public static string Invoice(
        string id, string subscriptionId, Plan plan, DateTimeOffset periodStart, DateTimeOffset periodEnd,
        string status = "paid", string billingReason = "subscription_cycle", IEnumerable<JsonObject>? lines = null, bool hasMore = false,
        string? itemId = null, string? customerId = null)
    {
        var i = Fixture("invoice");
        i["id"] = id;
        i["customer"] = customerId ?? "cus_" + subscriptionId[4..];
        i["status"] = status;
        i["billing_reason"] = billingReason;
        i["created"] = Unix(periodStart);
        i["effective_at"] = Unix(periodStart);
        i["due_date"] = null;
        i["next_payment_attempt"] = status == "paid" ? null : Unix(periodStart.AddDays(3));
        i["webhooks_delivered_at"] = Unix(periodStart);
        i["period_start"] = Unix(periodStart);
        i["period_end"] = Unix(periodStart);
        i["amount_due"] = plan.UnitAmount;
        i["amount_paid"] = status == "paid" ? plan.UnitAmount : 0;
        i["amount_remaining"] = status == "paid" ? 0 : plan.UnitAmount;
        i["attempt_count"] = 1;
        i["attempted"] = true;
        i["status_transitions"] = new JsonObject
        {
            ["finalized_at"] = Unix(periodStart),
            ["marked_uncollectible_at"] = null,
            ["paid_at"] = status == "paid" ? Unix(periodStart) : null,
            ["voided_at"] = null,
        };
        i["parent"] = new JsonObject
        {
            ["quote_details"] = null,
            ["subscription_details"] = new JsonObject { ["metadata"] = new JsonObject(), ["subscription"] = subscriptionId },
            ["type"] = "subscription_details",
        };
        i["metadata"] = new JsonObject();
        var data = new JsonArray();
        foreach (var line in lines ?? [Line(id, subscriptionId, itemId ?? "si_" + subscriptionId[4..], plan, periodStart, periodEnd)])
        {
            data.Add(line);
        }

        i["lines"]!["data"] = data;
        i["lines"]!["has_more"] = hasMore;
        i["lines"]!["url"] = $"/v1/invoices/{id}/lines";
        return i.ToJsonString();
    }

    /// <summary>A Stripe list object, as the API answers list calls.</summary>
    public static string List(string url, IEnumerable<string> objects, bool hasMore) =>
        new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray([.. objects.Select(o => JsonNode.Parse(o))]),
            ["has_more"] = hasMore,
            ["url"] = url,
        }.ToJsonString();
}
