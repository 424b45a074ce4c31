using System.Collections.Concurrent;
using System.Collections.Specialized;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Web;

namespace CreditFunctions.Tests.Stripe;

/// <summary>What the fake answers a top-up invoice's pay call with.</summary>
public enum PayAnswer
{
    Paid,
    Declined,
    RequiresAction,

    /// <summary>Taken without an error but not paid yet (a bank debit): the invoice stays open until <see cref="FakeStripeApi.SettleProcessing"/>.</summary>
    Processing,
}

/// <summary>One request the app made to the fake Stripe API: method, path, its idempotency key and its form fields.</summary>
internal sealed record StripeCall(string Method, string Path, string? IdempotencyKey, NameValueCollection Form)
{
    public override string ToString() => $"{Method} {Path} [{IdempotencyKey}]";
}

/// <summary>
/// The write calls of the Stripe API the app makes for auto top-ups and overage, answered statefully with Stripe's own
/// shapes (invoice, invoice item, customer, payment intent, billing meter event from the published fixtures), and
/// Stripe's idempotency: a key used again is answered what it was answered the first time (a 5xx is not kept), so a
/// retry never does anything twice. Every call is recorded with its key.
/// </summary>
internal sealed partial class FakeStripeApi
{
    private readonly object _billing = new();
    private readonly Dictionary<string, (int Status, string Body)> _replays = new(StringComparer.Ordinal);
    private int _ids;

    /// <summary>GET /v1/customers/{id}.</summary>
    public ConcurrentDictionary<string, string> Customers { get; } = new(StringComparer.Ordinal);

    /// <summary>Invoices the app created, by id, as the fake keeps them.</summary>
    public ConcurrentDictionary<string, JsonObject> CreatedInvoices { get; } = new(StringComparer.Ordinal);

    /// <summary>Every write call and billing read, in the order they came.</summary>
    public ConcurrentQueue<StripeCall> Calls { get; } = new();

    /// <summary>Meter events Stripe accepted, a repeated identifier once (as Stripe drops a repeat within 24 hours).</summary>
    public ConcurrentDictionary<string, JsonObject> MeterEvents { get; } = new(StringComparer.Ordinal);

    public PayAnswer PayWith { get; set; } = PayAnswer.Paid;

    /// <summary>Before a call is carried out: a status to answer instead (Stripe down for it), or null to carry it out.</summary>
    public Func<StripeCall, int?>? FailBefore { get; set; }

    /// <summary>After a call was carried out: whether its answer is lost (a 500 answered instead, as a timed-out connection would leave the caller).</summary>
    public Func<StripeCall, bool>? LoseAnswer { get; set; }

    /// <summary>What the meter events call answers instead of taking the event (a status and Stripe's error body); null takes it.</summary>
    public Func<StripeCall, (int Status, string Body)?>? MeterAnswer { get; set; }

    /// <summary>Invoices Stripe paid (charged the customer for).</summary>
    public IReadOnlyList<JsonObject> PaidTopUpInvoices => [.. CreatedInvoices.Values.Where(i => (string?)i["status"] == "paid")];

    /// <summary>A customer as Stripe's fixture, with or without a default payment method for invoices.</summary>
    public void AddCustomer(string customerId, bool withPaymentMethod = true)
    {
        var c = StripeFixtures.Payments("customer");
        c["id"] = customerId;
        c["discount"] = null;
        c["invoice_settings"]!["default_payment_method"] = withPaymentMethod ? "pm_" + customerId[4..] : null;
        Customers[customerId] = c.ToJsonString();
    }

    private static bool IsBillingRead(StripeCall call) =>
        call.Path.StartsWith("/v1/customers/", StringComparison.Ordinal)
        || (call.Path.StartsWith("/v1/invoices/", StringComparison.Ordinal) && call.Path.Split('/').Length == 4);

    private static async Task<StripeCall> CallOfAsync(HttpListenerRequest request)
    {
        using var reader = new StreamReader(request.InputStream, request.ContentEncoding);
        var body = await reader.ReadToEndAsync();
        return new StripeCall(request.HttpMethod, request.Url!.AbsolutePath, request.Headers["Idempotency-Key"], HttpUtility.ParseQueryString(body));
    }

    private (int Status, string Body) Bill(StripeCall call)
    {
        Calls.Enqueue(call);
        if (FailBefore?.Invoke(call) is { } status)
        {
            return (status, """{ "error": { "message": "An error occurred with our connection to Stripe.", "type": "api_error" } }""");
        }

        (int Status, string Body) answer;
        lock (_billing)
        {
            if (call.Method != "GET" && call.IdempotencyKey is { } key && _replays.TryGetValue(key, out var replay))
            {
                answer = replay;
            }
            else
            {
                answer = Carry(call);
                if (call.Method != "GET" && call.IdempotencyKey is { } newKey && answer.Status < 500)
                {
                    _replays[newKey] = answer;
                }
            }
        }

        return LoseAnswer?.Invoke(call) == true
            ? (500, """{ "error": { "message": "The request timed out.", "type": "api_error" } }""")
            : answer;
    }

    private (int Status, string Body) Carry(StripeCall call)
    {
        var segments = call.Path.Trim('/').Split('/');
        return (call.Method, segments) switch
        {
            ("GET", ["v1", "customers", var id]) when Customers.TryGetValue(id, out var customer) => (200, customer),
            ("GET", ["v1", "invoices", var id]) when CreatedInvoices.TryGetValue(id, out var invoice) => (200, invoice.ToJsonString()),
            ("POST", ["v1", "invoices"]) => CreateInvoice(call.Form),
            ("POST", ["v1", "invoiceitems"]) => AddItem(call.Form),
            ("POST", ["v1", "invoices", var id, "finalize"]) when CreatedInvoices.TryGetValue(id, out var invoice) => Move(invoice, "draft", "open"),
            ("POST", ["v1", "invoices", var id, "pay"]) when CreatedInvoices.TryGetValue(id, out var invoice) => PayInvoice(invoice),
            ("POST", ["v1", "invoices", var id, "void"]) when CreatedInvoices.TryGetValue(id, out var invoice) => Move(invoice, "open", "void"),
            ("DELETE", ["v1", "invoices", var id]) when CreatedInvoices.TryRemove(id, out _) =>
                (200, $$"""{ "id": "{{id}}", "object": "invoice", "deleted": true }"""),
            ("POST", ["v1", "billing", "meter_events"]) => TakeMeterEvent(call),
            _ => (404, $$"""{ "error": { "code": "resource_missing", "message": "No such object: '{{call.Path}}'", "type": "invalid_request_error" } }"""),
        };
    }

    private (int, string) CreateInvoice(NameValueCollection form)
    {
        var id = "in_" + NextId();
        var metadata = new Dictionary<string, string>();
        foreach (var key in form.AllKeys.Where(k => k!.StartsWith("metadata[", StringComparison.Ordinal)))
        {
            metadata[key!["metadata[".Length..^1]] = form[key]!;
        }

        var invoice = JsonNode.Parse(StripeFixtures.OneOffInvoice(id, form["customer"]!, [], metadata))!.AsObject();
        invoice["status"] = "draft";
        invoice["collection_method"] = form["collection_method"];
        invoice["auto_advance"] = form["auto_advance"] == "true";
        invoice["description"] = form["description"];
        invoice["amount_due"] = 0;
        invoice["amount_paid"] = 0;
        invoice["amount_remaining"] = 0;
        invoice["attempt_count"] = 0;
        invoice["attempted"] = false;
        invoice["status_transitions"]!["paid_at"] = null;
        invoice["status_transitions"]!["finalized_at"] = null;
        CreatedInvoices[id] = invoice;
        return (200, invoice.ToJsonString());
    }

    private (int, string) AddItem(NameValueCollection form)
    {
        if (form["invoice"] is not { } invoiceId || !CreatedInvoices.TryGetValue(invoiceId, out var invoice) || (string?)invoice["status"] != "draft")
        {
            return (400, """{ "error": { "code": "invoice_not_editable", "message": "The invoice is not a draft.", "type": "invalid_request_error" } }""");
        }

        var priceId = form["pricing[price]"]!;
        var quantity = long.Parse(form["quantity"] ?? "1", CultureInfo.InvariantCulture);
        var unit = Prices.TryGetValue(priceId, out var price) ? JsonNode.Parse(price)!["unit_amount"]!.GetValue<long>() : 1000;
        var item = StripeFixtures.Payments("invoiceitem");
        item["id"] = "ii_" + NextId();
        item["customer"] = form["customer"];
        item["invoice"] = invoiceId;
        item["quantity"] = quantity;
        item["amount"] = unit * quantity;
        item["parent"] = null;
        item["metadata"] = new JsonObject { ["credits_top_up"] = form["metadata[credits_top_up]"] };
        var line = JsonNode.Parse(StripeFixtures.OneOffInvoice(invoiceId, form["customer"]!, [(new StripeFixtures.Plan(priceId, "month", null, UnitAmount: unit), quantity)]))!
            ["lines"]!["data"]![0]!.DeepClone().AsObject();
        line["parent"]!["invoice_item_details"]!["invoice_item"] = (string)item["id"]!;
        line["metadata"] = item["metadata"]!.DeepClone();
        invoice["lines"]!["data"]!.AsArray().Add(line);
        invoice["amount_due"] = unit * quantity;
        invoice["amount_remaining"] = unit * quantity;
        invoice["subtotal"] = unit * quantity;
        invoice["total"] = unit * quantity;
        return (200, item.ToJsonString());
    }

    private static (int, string) Move(JsonObject invoice, string from, string to)
    {
        if ((string?)invoice["status"] != from)
        {
            return (400, $$"""{ "error": { "code": "invoice_unexpected_state", "message": "The invoice is {{invoice["status"]}}, not {{from}}.", "type": "invalid_request_error" } }""");
        }

        invoice["status"] = to;
        return (200, invoice.ToJsonString());
    }

    private (int, string) PayInvoice(JsonObject invoice)
    {
        if ((string?)invoice["status"] != "open")
        {
            return (400, $$"""{ "error": { "code": "invoice_unexpected_state", "message": "Invoice is {{invoice["status"]}}; only open invoices can be paid.", "type": "invalid_request_error" } }""");
        }

        var id = (string)invoice["id"]!;
        var intent = StripeFixtures.Payments("payment_intent");
        intent["id"] = "pi_" + id[3..];
        intent["customer"] = invoice["customer"]!.DeepClone();
        intent["amount"] = invoice["amount_due"]!.DeepClone();
        intent["canceled_at"] = null;
        intent["last_payment_error"] = null;
        intent["next_action"] = null;
        invoice["attempt_count"] = invoice["attempt_count"]!.GetValue<int>() + 1;
        invoice["attempted"] = true;
        switch (PayWith)
        {
            case PayAnswer.Declined:
                intent["status"] = "requires_payment_method";
                return (402, new JsonObject
                {
                    ["error"] = new JsonObject
                    {
                        ["type"] = "card_error", ["code"] = "card_declined", ["decline_code"] = "insufficient_funds",
                        ["message"] = "Your card has insufficient funds.", ["payment_intent"] = intent,
                    },
                }.ToJsonString());
            case PayAnswer.RequiresAction:
                intent["status"] = "requires_action";
                intent["next_action"] = new JsonObject { ["type"] = "use_stripe_sdk" };
                return (402, new JsonObject
                {
                    ["error"] = new JsonObject
                    {
                        ["type"] = "invalid_request_error", ["code"] = "invoice_payment_intent_requires_action",
                        ["message"] = "Payment for this invoice requires a payment method that needs the customer's action (3D Secure).", ["payment_intent"] = intent,
                    },
                }.ToJsonString());
            case PayAnswer.Processing:
                intent["status"] = "processing";
                InvoicePaymentIntents[id] = (string)intent["id"]!;
                return (200, invoice.ToJsonString());
            default:
                MarkPaid(invoice);
                InvoicePaymentIntents[id] = (string)intent["id"]!;
                return (200, invoice.ToJsonString());
        }
    }

    /// <summary>The processing payment of every open invoice that was paid succeeds (the bank debit clears): the invoices are paid.</summary>
    public IReadOnlyList<JsonObject> SettleProcessing()
    {
        lock (_billing)
        {
            var settled = CreatedInvoices.Values.Where(i => (string?)i["status"] == "open" && i["attempted"]!.GetValue<bool>()).ToList();
            settled.ForEach(MarkPaid);
            return settled;
        }
    }

    private void MarkPaid(JsonObject invoice)
    {
        invoice["status"] = "paid";
        invoice["amount_paid"] = invoice["amount_due"]!.DeepClone();
        invoice["amount_remaining"] = 0;
        invoice["status_transitions"]!["paid_at"] = Clock().ToUnixTimeSeconds();
    }

    private (int, string) TakeMeterEvent(StripeCall call)
    {
        if (MeterAnswer?.Invoke(call) is { } refused)
        {
            return refused;
        }

        var e = StripeFixtures.Payments("billing.meter_event");
        e["event_name"] = call.Form["event_name"];
        e["identifier"] = call.Form["identifier"];
        e["created"] = Clock().ToUnixTimeSeconds();
        e["timestamp"] = long.Parse(call.Form["timestamp"]!, CultureInfo.InvariantCulture);
        e["payload"] = new JsonObject { ["stripe_customer_id"] = call.Form["payload[stripe_customer_id]"], ["value"] = call.Form["payload[value]"] };
        MeterEvents.TryAdd(call.Form["identifier"]!, e);
        return (200, e.ToJsonString());
    }

    private string NextId() => "1Fake" + Interlocked.Increment(ref _ids).ToString("D6", CultureInfo.InvariantCulture);
}
