using CreditFunctions.Stripe;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace CreditFunctions.Functions;

/// <summary>
/// <c>POST /api/stripe/webhook</c>: anonymous at the Functions level because the Stripe signature is the
/// authentication. Refused deliveries get 400 with problem details and write nothing; accepted ones get 200.
/// </summary>
public sealed class StripeWebhook(StripeWebhookVerifier verifier, StripeEventProcessor processor)
{
    public const string Route = "stripe/webhook";

    [Function(nameof(StripeWebhook))]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Route)] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string body;
        using (var reader = new StreamReader(request.Body))
        {
            // The signature covers the exact bytes Stripe sent, so the body is read raw, never model-bound.
            body = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }

        var verification = verifier.Verify(body, request.Headers["Stripe-Signature"].ToString());
        if (verification.Event is not { } stripeEvent)
        {
            return TypedResults.Problem(
                detail: verification.ProblemDetail,
                statusCode: StatusCodes.Status400BadRequest,
                title: verification.ProblemTitle);
        }

        var outcome = await processor.ProcessAsync(stripeEvent, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(outcome, CreditJson.Options);
    }
}
