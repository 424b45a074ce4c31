using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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

        if (!IsWellFormed(signatureHeader))
        {
            SignatureRejected(logger, "malformed Stripe-Signature header");
            return WebhookVerification.Refused(
                "Malformed Stripe-Signature",
                "The Stripe-Signature header must be 't=<unix seconds>,v1=<hex signature>[,...]' as Stripe sends it.");
        }

        Event? stripeEvent;
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
#pragma warning disable CA1031 // A correctly signed body that Stripe.net cannot read is the sender's error, never ours.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return WebhookVerification.Refused("Not a Stripe event", "The body is signed but is not a Stripe event: " + ex.Message);
        }

        if (stripeEvent is null || !StripeIds.IsEvent(stripeEvent.Id) || string.IsNullOrEmpty(stripeEvent.Type))
        {
            return WebhookVerification.Refused("Not a Stripe event", "The body is signed but has no event id (evt_...) or type.");
        }

        if (stripeEvent.Object != "event")
        {
            return WebhookVerification.Refused(
                "Not a snapshot event",
                $"Event {stripeEvent.Id} is a '{stripeEvent.Object}'; this endpoint takes snapshot events ('object': 'event'). Point thin (v2) event destinations elsewhere.");
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

    /// <summary>Stripe's scheme: comma-separated <c>key=value</c> pairs, one <c>t</c> of digits and at least one hex <c>v1</c>.</summary>
    private static bool IsWellFormed(string header)
    {
        var pairs = header.Split(',', StringSplitOptions.TrimEntries).Select(p => p.Split('=', 2)).ToList();
        return pairs.All(p => p.Length == 2 && p[0].Length > 0)
            && pairs.Count(p => p[0] == "t") == 1
            && pairs.Single(p => p[0] == "t")[1] is { Length: > 0 and <= 12 } t && t.All(char.IsAsciiDigit)
            && pairs.Any(p => p[0] == "v1" && p[1].Length > 0 && p[1].All(char.IsAsciiHexDigit));
    }

    [LoggerMessage(2000, LogLevel.Warning, "Refused a Stripe webhook delivery: {Reason}")]
    private static partial void SignatureRejected(ILogger logger, string reason);

    [LoggerMessage(2001, LogLevel.Error, "Refused Stripe event {EventId} with API version {EventApiVersion}: set the webhook endpoint's API version to {RequiredApiVersion} in the Stripe Dashboard (Developers > Webhooks > endpoint > API version)")]
    private static partial void ApiVersionMismatch(ILogger logger, string eventId, string eventApiVersion, string requiredApiVersion);
}
