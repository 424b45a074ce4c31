using CreditFunctions.Stripe;
using CreditFunctions.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Functions;

/// <summary>
/// <c>POST /api/stripe/webhook</c>: anonymous at the Functions level because the Stripe signature is the
/// authentication. Refused deliveries get 400 (413 for a body over <see cref="MaxBodyBytes"/>) with problem details and
/// write nothing; accepted ones get 200 with what the event did.
/// </summary>
public sealed class StripeWebhook(StripeWebhookVerifier verifier, StripeEventProcessor processor, CreditMetrics metrics, ILogger<StripeWebhook> logger)
{
    public const string Route = "stripe/webhook";

    /// <summary>Stripe's events are a few KB (an invoice carries at most one page of lines); anything this big is not one.</summary>
    public const int MaxBodyBytes = 256 * 1024;

    /// <summary>The <c>event_type</c> of deliveries refused before their event could be trusted, so none is named.</summary>
    public const string UnverifiedEventType = "unverified";

    /// <summary>The metric <c>result</c> of a delivery refused with 400/413 (bad signature, body or API version).</summary>
    public const string Refused = "refused";

    /// <summary>The metric <c>result</c> of a verified delivery that failed (Stripe retries it).</summary>
    public const string Failed = "failed";

    /// <summary>The problem type of every delivery that is not a verified Stripe event (4xx: Stripe does not retry it).</summary>
    public const string InvalidWebhook = "invalid-webhook";

    [Function(nameof(StripeWebhook))]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Route)] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var eventType = UnverifiedEventType;
        string? result = null;
        var answer = await HttpFailures.GuardAsync(nameof(StripeWebhook), logger, async () =>
        {
            // The signature covers the exact bytes Stripe sent, so the body is read raw, never model-bound, and never past the cap.
            string? body;
            try
            {
                body = await BoundedBody.ReadAsync(request, MaxBodyBytes, cancellationToken).ConfigureAwait(false);
            }
            catch (System.Text.DecoderFallbackException)
            {
                return TypedResults.Problem("The body is not UTF-8 text; Stripe sends UTF-8 JSON.", statusCode: StatusCodes.Status400BadRequest, title: "Not a Stripe event", type: InvalidWebhook);
            }

            if (body is null)
            {
                return TypedResults.Problem(
                    detail: $"The body is larger than {MaxBodyBytes / 1024} KB; Stripe's events are far smaller. Nothing was read or written.",
                    statusCode: StatusCodes.Status413PayloadTooLarge,
                    title: "Body too large",
                    type: "body-too-large");
            }

            var verification = verifier.Verify(body, request.Headers["Stripe-Signature"].ToString());
            if (verification.Event is not { } stripeEvent)
            {
                return TypedResults.Problem(
                    detail: verification.ProblemDetail,
                    statusCode: StatusCodes.Status400BadRequest,
                    title: verification.ProblemTitle,
                    type: InvalidWebhook);
            }

            eventType = stripeEvent.Type;
            var outcome = await processor.ProcessAsync(stripeEvent, cancellationToken).ConfigureAwait(false);
            result = outcome.Result;
            return TypedResults.Json(outcome, CreditJson.Options);
        }, cancellationToken).ConfigureAwait(false);

        // Every delivery is counted once: its answer's label, else refused (4xx: nothing was trusted) or failed (5xx: Stripe retries).
        metrics.WebhookReceived(eventType, result ?? (answer is IStatusCodeHttpResult { StatusCode: >= 500 } ? Failed : Refused));
        return answer;
    }
}
