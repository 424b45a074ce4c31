using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Newtonsoft.Json;
using Stripe;

namespace CreditFunctions.Stripe;

/// <summary>
/// Checks a delivery with Stripe.net's <see cref="EventUtility.ConstructEvent(string, string, string, long, long, bool)"/>:
/// the signature over the raw body with the signing secret, a 5-minute timestamp tolerance against our clock, and the
/// event's API version against the one Stripe.net is pinned to.
/// </summary>
public sealed partial class StripeWebhookVerifier(IOptions<StripeOptions> options, TimeProvider time, ILogger<StripeWebhookVerifier> logger)
{
    public const long ToleranceSeconds = 300;

    private readonly string _secret = options.Value.WebhookSecret;

    public WebhookVerification Verify(string body, string? signatureHeader)
    {
        if (string.IsNullOrWhiteSpace(signatureHeader))
        {
            return WebhookVerification.Refused("Missing Stripe-Signature", "The request has no Stripe-Signature header; only Stripe can call this endpoint.");
        }

        Event stripeEvent;
        try
        {
            stripeEvent = EventUtility.ConstructEvent(
                body, signatureHeader, _secret, ToleranceSeconds, time.GetUtcNow().ToUnixTimeSeconds(), throwOnApiVersionMismatch: false);
        }
        catch (StripeException ex)
        {
            // Wrong secret, tampered body, or a timestamp outside the tolerance (a replay).
            SignatureRejected(logger, ex.Message);
            return WebhookVerification.Refused("Invalid Stripe signature", ex.Message);
        }
        catch (Exception ex) when (ex is JsonException or System.Text.Json.JsonException or InvalidCastException)
        {
            return WebhookVerification.Refused("Not a Stripe event", "The body is signed but is not a Stripe event: " + ex.Message);
        }

        if (stripeEvent is null || string.IsNullOrEmpty(stripeEvent.Id) || string.IsNullOrEmpty(stripeEvent.Type))
        {
            return WebhookVerification.Refused("Not a Stripe event", "The body is signed but has no event id or type.");
        }

        if (stripeEvent.ApiVersion != StripeConfiguration.ApiVersion)
        {
            ApiVersionMismatch(logger, stripeEvent.Id, stripeEvent.ApiVersion, StripeConfiguration.ApiVersion);
            return WebhookVerification.Refused(
                "Unsupported event API version",
                $"Event {stripeEvent.Id} has API version {stripeEvent.ApiVersion}; this endpoint must be set to {StripeConfiguration.ApiVersion} "
                + "(the version Stripe.net is pinned to) in the Stripe Dashboard.");
        }

        return WebhookVerification.Verified(stripeEvent);
    }

    [LoggerMessage(2000, LogLevel.Warning, "Refused a Stripe webhook delivery: {Reason}")]
    private static partial void SignatureRejected(ILogger logger, string reason);

    [LoggerMessage(2001, LogLevel.Error, "Refused Stripe event {EventId} with API version {EventApiVersion}: set the webhook endpoint's API version to {RequiredApiVersion} in the Stripe Dashboard (Developers > Webhooks > endpoint > API version)")]
    private static partial void ApiVersionMismatch(ILogger logger, string eventId, string eventApiVersion, string requiredApiVersion);
}
