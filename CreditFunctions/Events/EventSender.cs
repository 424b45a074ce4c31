using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using CreditFunctions.Storage;
using Microsoft.Extensions.Options;
using StandardWebhooks;

namespace CreditFunctions.Events;

/// <summary>
/// Posts one event to the SaaS, signed as Standard Webhooks (standardwebhooks.com) with the <c>StandardWebhooks</c>
/// library: <c>webhook-id</c> (the event's id, the same on every delivery), <c>webhook-timestamp</c> (this attempt) and
/// <c>webhook-signature</c> (<c>v1,</c> and the base64 HMAC-SHA256 of id, timestamp and body).
/// </summary>
public sealed class EventSender : IDisposable
{
    private readonly HttpClient _http;
    private readonly StandardWebhook? _signer;
    private readonly Uri? _url;

    public EventSender(IOptions<EventsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        _url = value.WebhookUrl;
        // A redirect is not a delivery: the receiver must answer 2xx itself (3xx counts as failed and is retried).
        _http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = value.DeliveryTimeout };
        _signer = value.Enabled ? new StandardWebhook(value.WebhookSecret!) : null;
    }

    /// <returns>Null when the receiver took it (2xx); else what went wrong, for the logs.</returns>
    public async Task<string?> SendAsync(OutboxEvent outgoing, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outgoing);
        // The wire's clock, not the business clock: receivers check the timestamp against their own time (a replay guard).
        var now = TimeProvider.System.GetUtcNow();
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new StringContent(outgoing.Body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add("webhook-id", outgoing.Id);
        request.Headers.Add("webhook-timestamp", now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", _signer!.Sign(outgoing.Id, now, outgoing.Body));
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : $"the receiver answered {(int)response.StatusCode}";
        }
        catch (HttpRequestException ex)
        {
            return $"the receiver could not be reached ({ex.Message})";
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return "the receiver did not answer in time";
        }
    }

    public void Dispose() => _http.Dispose();
}
