using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Web;

namespace CreditFunctions.Tests.Stripe;

/// <summary>
/// A stand-in for api.stripe.com on 127.0.0.1, answering the read calls the app makes with JSON a test sets (built from
/// Stripe's fixture objects), Stripe's error body for anything unknown, and a <c>Date</c> header from the test's clock
/// (Stripe's clock, which orders its answers against its events). It can also hang, as a stuck API would.
/// </summary>
internal sealed partial class FakeStripeApi : IDisposable
{
    /// <summary>The API key the app is given for this fake API (a secret key's shape), as it sends it in each request.</summary>
    public const string ApiKey = "sk_test_fakeKeyForTests";

    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public FakeStripeApi(Func<DateTimeOffset>? clock = null)
    {
        Clock = clock ?? (() => DateTimeOffset.UtcNow);
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            BaseUri = new Uri($"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/");
        }

        _listener.Prefixes.Add(BaseUri.ToString());
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri BaseUri { get; }

    public Func<DateTimeOffset> Clock { get; set; }

    /// <summary>GET /v1/subscriptions/{id}, and the account's list in this order (Stripe's: newest first).</summary>
    public ConcurrentDictionary<string, string> Subscriptions { get; } = new(StringComparer.Ordinal);

    public List<string> SubscriptionOrder { get; } = [];

    /// <summary>GET /v1/invoices?subscription={id}&amp;status=paid: the subscription's paid invoices, newest first.</summary>
    public ConcurrentDictionary<string, List<string>> PaidInvoices { get; } = new(StringComparer.Ordinal);

    /// <summary>GET /v1/invoices/{id}/lines: every line of an invoice.</summary>
    public ConcurrentDictionary<string, List<string>> InvoiceLines { get; } = new(StringComparer.Ordinal);

    /// <summary>GET /v1/checkout/sessions/{id}/line_items.</summary>
    public ConcurrentDictionary<string, List<string>> SessionLineItems { get; } = new(StringComparer.Ordinal);

    /// <summary>GET /v1/prices/{id}.</summary>
    public ConcurrentDictionary<string, string> Prices { get; } = new(StringComparer.Ordinal);

    /// <summary>GET /v1/invoice_payments?invoice={id}: the payment intent that paid each invoice.</summary>
    public ConcurrentDictionary<string, string> InvoicePaymentIntents { get; } = new(StringComparer.Ordinal);

    /// <summary>Runs on every request before it is answered (to let time pass on a test's clock, say).</summary>
    public Action? OnRequest { get; set; }

    /// <summary>When set, every request waits until the test ends, as a hung API would.</summary>
    public bool Hang { get; set; }

    /// <summary>When set, every request is answered with this status and Stripe's error body (429, 500, 503: an outage).</summary>
    public int? FailWith { get; set; }

    public ConcurrentQueue<(string PathAndQuery, string? Authorization)> Requests { get; } = new();

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        try
        {
            Requests.Enqueue((context.Request.Url!.PathAndQuery, context.Request.Headers["Authorization"]));
            OnRequest?.Invoke();
            if (Hang)
            {
                await Task.Delay(Timeout.Infinite, _stop.Token);
            }

            var call = await CallOfAsync(context.Request);
            var (status, body) = FailWith is { } failure
                ? (failure, """{ "error": { "message": "Service unavailable", "type": "api_error" } }""")
                : call.Method == "GET" && !IsBillingRead(call)
                ? Route(context.Request.Url.AbsolutePath, HttpUtility.ParseQueryString(context.Request.Url.Query))
                : Bill(call);
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            context.Response.Headers["Request-Id"] = "req_fake";
            context.Response.Headers["Date"] = Clock().ToString("r", CultureInfo.InvariantCulture);
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            context.Response.Abort();
        }
    }

    private (int Status, string Body) Route(string path, System.Collections.Specialized.NameValueCollection query)
    {
        var segments = path.Trim('/').Split('/');
        return segments switch
        {
            ["v1", "subscriptions", var id] when Subscriptions.TryGetValue(id, out var json) => (200, json),
            ["v1", "subscriptions"] => (200, Page("/v1/subscriptions", [.. SubscriptionOrder.Select(id => (id, Subscriptions[id]))], query)),
            ["v1", "invoices"] when query["subscription"] is { } id => (200, StripeFixtures.List("/v1/invoices", PaidInvoices.GetValueOrDefault(id) ?? [], hasMore: false)),
            ["v1", "checkout", "sessions", var id, "line_items"] when SessionLineItems.TryGetValue(id, out var items) =>
                (200, Page($"/v1/checkout/sessions/{id}/line_items", [.. items.Select(i => (System.Text.Json.Nodes.JsonNode.Parse(i)!["id"]!.GetValue<string>(), i))], query)),
            ["v1", "prices", var id] when Prices.TryGetValue(id, out var price) => (200, price),
            ["v1", "invoice_payments"] when query["invoice"] is { } invoice && InvoicePaymentIntents.TryGetValue(invoice, out var intent) =>
                (200, StripeFixtures.List("/v1/invoice_payments", [$$"""{ "id": "inpay_{{invoice[3..]}}", "object": "invoice_payment", "amount_paid": 1000, "amount_requested": 1000, "created": 1767225600, "currency": "usd", "invoice": "{{invoice}}", "is_default": true, "livemode": false, "payment": { "type": "payment_intent", "payment_intent": "{{intent}}" }, "status": "paid", "status_transitions": { "canceled_at": null, "paid_at": 1767225600 } }"""], hasMore: false)),
            ["v1", "invoices", var id, "lines"] when InvoiceLines.TryGetValue(id, out var lines) =>
                (200, Page($"/v1/invoices/{id}/lines", [.. lines.Select(l => (System.Text.Json.Nodes.JsonNode.Parse(l)!["id"]!.GetValue<string>(), l))], query)),
            _ => (404, $$"""{ "error": { "code": "resource_missing", "message": "No such object: '{{path}}'", "type": "invalid_request_error" } }"""),
        };
    }

    /// <summary>Stripe's cursor paging: <c>limit</c> objects after <c>starting_after</c>, and whether more follow.</summary>
    private static string Page(string url, List<(string Id, string Json)> all, System.Collections.Specialized.NameValueCollection query)
    {
        var limit = int.Parse(query["limit"] ?? "10", CultureInfo.InvariantCulture);
        var start = query["starting_after"] is { } after ? all.FindIndex(o => o.Id == after) + 1 : 0;
        var page = all.Skip(start).Take(limit).ToList();
        return StripeFixtures.List(url, page.Select(o => o.Json), hasMore: start + page.Count < all.Count);
    }
}
