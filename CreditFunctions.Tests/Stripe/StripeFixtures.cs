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

    public sealed record Plan(
        string PriceId, string Interval, int? CreditsMetadata, string? LookupKey = null, long UnitAmount = 2000, string UsageType = "licensed", string? RolloverMax = null,
        string? OverageMeter = null, string? OverageMax = null);

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

    private static readonly JsonObject PaymentResources = LoadPayments();

    private static JsonObject LoadPayments()
    {
        using var stream = typeof(StripeFixtures).Assembly.GetManifestResourceStream("stripe-payments.json")
            ?? throw new InvalidOperationException("The Stripe payment fixtures are not embedded in the test assembly.");
        return JsonNode.Parse(stream)!["resources"]!.AsObject();
    }

    /// <summary>A fresh copy of one of Stripe's published payment objects (<c>Fixtures/fixtures3-payments.json</c>).</summary>
    public static JsonObject Payments(string name) => PaymentResources[name]!.DeepClone().AsObject();

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
        var metadata = new JsonObject();
        if (plan.CreditsMetadata is { } credits)
        {
            metadata["credits_per_month"] = credits.ToString(CultureInfo.InvariantCulture);
        }

        if (plan.RolloverMax is { } rollover)
        {
            metadata["credits_rollover_max"] = rollover;
        }

        if (plan.OverageMeter is { } meter)
        {
            metadata["credits_overage_meter"] = meter;
        }

        if (plan.OverageMax is { } overageMax)
        {
            metadata["credits_overage_max"] = overageMax;
        }

        p["metadata"] = metadata;
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

    /// <summary>A Checkout session in payment mode, from Stripe's published object.</summary>
    public static string CheckoutSession(
        string id, string? customerId, string paymentStatus = "paid", IDictionary<string, string>? metadata = null, string? invoiceId = null,
        string? paymentIntentId = null, string mode = "payment", DateTimeOffset? created = null)
    {
        var c = Fixture("checkout.session");
        c["id"] = id;
        c["customer"] = customerId;
        c["customer_creation"] = customerId is null ? null : "always";
        c["mode"] = mode;
        c["payment_status"] = paymentStatus;
        c["status"] = paymentStatus == "unpaid" ? "complete" : "complete";
        c["created"] = Unix(created ?? DateTimeOffset.UnixEpoch.AddYears(56));
        c["expires_at"] = Unix((created ?? DateTimeOffset.UnixEpoch.AddYears(56)).AddDays(1));
        c["invoice"] = invoiceId;
        c["payment_intent"] = paymentIntentId ?? "pi_" + id[3..];
        c["amount_subtotal"] = 1000;
        c["amount_total"] = 1000;
        c["currency"] = "usd";
        c["metadata"] = new JsonObject([.. (metadata ?? new Dictionary<string, string>()).Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value))]);
        return c.ToJsonString();
    }

    /// <summary>A Checkout session's line item as the API lists it: the price object with its metadata, and the quantity.</summary>
    public static string SessionLineItem(string id, Plan price, long quantity, IDictionary<string, string>? priceMetadata = null)
    {
        var p = PriceObject(price);
        p["type"] = "one_time";
        p["recurring"] = null;
        p["metadata"] = new JsonObject([.. (priceMetadata ?? new Dictionary<string, string>()).Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value))]);
        return new JsonObject
        {
            ["id"] = id,
            ["object"] = "item",
            ["amount_discount"] = 0,
            ["amount_subtotal"] = price.UnitAmount * quantity,
            ["amount_tax"] = 0,
            ["amount_total"] = price.UnitAmount * quantity,
            ["currency"] = "usd",
            ["description"] = "Credit pack",
            ["price"] = p,
            ["quantity"] = quantity,
        }.ToJsonString();
    }

    /// <summary>
    /// A charge after a refund. Stripe's published fixtures above hold no charge, so this follows the Charge object of
    /// the API reference; amount_refunded is cumulative over the charge's refunds.
    /// </summary>
    public static string Charge(string id, string customerId, string paymentIntentId, long amount, long amountRefunded, DateTimeOffset created) =>
        new JsonObject
        {
            ["id"] = id,
            ["object"] = "charge",
            ["amount"] = amount,
            ["amount_captured"] = amount,
            ["amount_refunded"] = amountRefunded,
            ["application"] = null,
            ["application_fee"] = null,
            ["application_fee_amount"] = null,
            ["balance_transaction"] = "txn_" + id[3..],
            ["billing_details"] = new JsonObject { ["address"] = null, ["email"] = "buyer@example.com", ["name"] = null, ["phone"] = null },
            ["calculated_statement_descriptor"] = "CREDITS",
            ["captured"] = true,
            ["created"] = Unix(created),
            ["currency"] = "usd",
            ["customer"] = customerId,
            ["description"] = null,
            ["disputed"] = false,
            ["failure_code"] = null,
            ["failure_message"] = null,
            ["fraud_details"] = new JsonObject(),
            ["livemode"] = false,
            ["metadata"] = new JsonObject(),
            ["on_behalf_of"] = null,
            ["outcome"] = new JsonObject { ["network_status"] = "approved_by_network", ["reason"] = null, ["risk_level"] = "normal", ["seller_message"] = "Payment complete.", ["type"] = "authorized" },
            ["paid"] = true,
            ["payment_intent"] = paymentIntentId,
            ["payment_method"] = "pm_1CardVisa",
            ["payment_method_details"] = new JsonObject { ["card"] = new JsonObject { ["brand"] = "visa", ["last4"] = "4242" }, ["type"] = "card" },
            ["receipt_email"] = null,
            ["receipt_url"] = "https://pay.stripe.com/receipts/test_" + id,
            ["refunded"] = amountRefunded >= amount,
            ["review"] = null,
            ["shipping"] = null,
            ["source_transfer"] = null,
            ["statement_descriptor"] = null,
            ["status"] = "succeeded",
            ["transfer_data"] = null,
            ["transfer_group"] = null,
        }.ToJsonString();

    /// <summary>An invoice without a subscription (a one-off invoice, or a Checkout session's), its lines one-off items.</summary>
    public static string OneOffInvoice(string id, string customerId, IEnumerable<(Plan Price, long Quantity)> lines, IDictionary<string, string>? metadata = null)
    {
        var i = JsonNode.Parse(Invoice(id, "sub_none", MonthlyPro, DateTimeOffset.UnixEpoch.AddYears(56), DateTimeOffset.UnixEpoch.AddYears(56), billingReason: "manual", customerId: customerId))!.AsObject();
        i["parent"] = null;
        i["metadata"] = new JsonObject([.. (metadata ?? new Dictionary<string, string>()).Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value))]);
        var data = new JsonArray();
        foreach (var (price, quantity) in lines)
        {
            var line = Fixture("line_item");
            line["id"] = "il_" + Guid.NewGuid().ToString("N")[..14];
            line["invoice"] = id;
            line["quantity"] = quantity;
            line["amount"] = price.UnitAmount * quantity;
            line["parent"] = new JsonObject
            {
                ["invoice_item_details"] = new JsonObject
                {
                    ["invoice_item"] = "ii_" + Guid.NewGuid().ToString("N")[..14],
                    ["proration"] = false,
                    ["proration_details"] = new JsonObject { ["credited_items"] = null },
                    ["subscription"] = null,
                },
                ["subscription_item_details"] = null,
                ["type"] = "invoice_item_details",
            };
            line["pricing"] = new JsonObject
            {
                ["price_details"] = new JsonObject { ["price"] = price.PriceId, ["product"] = "prod_QXg1hqf4jFNsqG" },
                ["type"] = "price_details",
                ["unit_amount_decimal"] = price.UnitAmount.ToString(CultureInfo.InvariantCulture),
            };
            data.Add(line);
        }

        i["lines"]!["data"] = data;
        return i.ToJsonString();
    }

    /// <summary>A one-time price (a credit pack) whose metadata says the credits one unit buys.</summary>
    public static string PackPrice(Plan price, long credits, bool active = true, string type = "one_time")
    {
        var p = PriceObject(price);
        p["type"] = type;
        p["active"] = active;
        p["recurring"] = type == "one_time" ? null : p["recurring"];
        p["metadata"] = new JsonObject { ["credits"] = credits.ToString(CultureInfo.InvariantCulture) };
        return p.ToJsonString();
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
