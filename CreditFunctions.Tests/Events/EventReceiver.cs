using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;

namespace CreditFunctions.Tests.Events;

/// <summary>
/// The SaaS's endpoint, as a receiver would write it: on 127.0.0.1, verifying each delivery with the StandardWebhooks
/// library, answering as <see cref="Answer"/> says (200 unless told otherwise), and keeping every delivery it saw.
/// </summary>
internal sealed class EventReceiver : IAsyncDisposable
{
    /// <summary>A Standard Webhooks secret for the tests (32 zero bytes): not a secret of anyone's.</summary>
    public const string Secret = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

    private readonly WebApplication _web;
    private readonly ConcurrentQueue<Delivery> _deliveries = new();
    private int _calls;

    private EventReceiver(WebApplication web) => _web = web;

    /// <summary>One delivery: its headers, body, whether its signature verified, and what was answered.</summary>
    public sealed record Delivery(string Id, string Timestamp, string Signature, string Body, bool Verified, int Answered)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

        public string Type => Json.GetProperty("type").GetString()!;
    }

    public Uri Url => new(_web.Urls.Single() + "/events");

    /// <summary>What to answer the n-th call (from 1); 200 by default.</summary>
    public Func<int, int> Answer { get; set; } = _ => 200;

    public IReadOnlyList<Delivery> Deliveries => [.. _deliveries];

    /// <summary>The deliveries taken (2xx), in the order they arrived; a redelivery appears again.</summary>
    public IReadOnlyList<Delivery> Taken => [.. _deliveries.Where(d => d.Answered is >= 200 and < 300)];

    /// <summary>Each event taken, once, in the order it was first taken.</summary>
    public IReadOnlyList<Delivery> Events => [.. Taken.GroupBy(d => d.Id).Select(g => g.First())];

    public static async Task<EventReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var web = builder.Build();
        var receiver = new EventReceiver(web);
        var webhook = new StandardWebhook(Secret);
        web.MapPost("/events", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            bool verified;
            try
            {
                webhook.Verify(body, request.Headers);
                verified = true;
            }
            catch (StandardWebhooks.Diagnostics.WebhookVerificationException)
            {
                verified = false;
            }

            var status = verified ? receiver.Answer(Interlocked.Increment(ref receiver._calls)) : 400;
            receiver._deliveries.Enqueue(new Delivery(
                request.Headers["webhook-id"].ToString(), request.Headers["webhook-timestamp"].ToString(), request.Headers["webhook-signature"].ToString(), body, verified, status));
            // A 3xx points somewhere that would say 200: only a sender that follows redirects would count it as taken.
            return status is >= 300 and < 400 ? Results.Redirect("/elsewhere", preserveMethod: true) : Results.StatusCode(status);
        });
        web.MapPost("/elsewhere", () => Results.Ok());
        await web.StartAsync();
        return receiver;
    }

    /// <summary>The settings that point the app's events at this receiver, on a queue of the test's own.</summary>
    public Dictionary<string, string?> Settings(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Events:WebhookUrl"] = Url.ToString(),
            ["Events:WebhookSecret"] = Secret,
            ["Events:Queue"] = "ev-" + Guid.NewGuid().ToString("N")[..20],
            ["Events:RetryAfter"] = "00:00:00",
            ["Events:AnnounceDelay"] = "00:00:00.2",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    public async ValueTask DisposeAsync()
    {
        await _web.StopAsync();
        await _web.DisposeAsync();
    }
}
