using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CreditFunctions.Tests.Stripe;

/// <summary>
/// A stand-in for api.stripe.com on 127.0.0.1: answers GET /v1/subscriptions/{id} with the JSON a test sets, shaped
/// like the real API's, and 404 with Stripe's error body otherwise. Records what it was asked.
/// </summary>
internal sealed class FakeStripeApi : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public FakeStripeApi()
    {
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

    public ConcurrentDictionary<string, string> Subscriptions { get; } = new(StringComparer.Ordinal);

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

            var path = context.Request.Url!.AbsolutePath;
            Requests.Enqueue((context.Request.Url.PathAndQuery, context.Request.Headers["Authorization"]));
            var id = path.StartsWith("/v1/subscriptions/", StringComparison.Ordinal) ? path["/v1/subscriptions/".Length..] : null;
            var (status, body) = context.Request.HttpMethod == "GET" && id is not null && Subscriptions.TryGetValue(id, out var json)
                ? (200, json)
                : (404, $$"""{ "error": { "code": "resource_missing", "message": "No such subscription: '{{id}}'", "param": "id", "type": "invalid_request_error" } }""");
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            context.Response.Headers["Request-Id"] = "req_fake";
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }
}
