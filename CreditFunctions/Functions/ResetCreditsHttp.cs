using CreditFunctions.Resets;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace CreditFunctions.Functions;

/// <summary>
/// The manual twin of the timer: <c>POST /api/credits/reset[?dryRun=true][&amp;customerId=cus_...][&amp;subscriptionId=sub_...]</c> with a
/// function key. Answers the run summary; the run is time-boxed well inside Azure's 230-second HTTP limit.
/// </summary>
public sealed class ResetCreditsHttp(CreditResetHandler handler)
{
    public const string Route = "credits/reset";

    [Function(nameof(ResetCreditsHttp))]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Route)] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (resetRequest, errors) = ManualResetQuery.Parse(request.Query);
        if (resetRequest is null)
        {
            return TypedResults.ValidationProblem(
                errors,
                detail: "The query string has invalid parameters; nothing was reset.",
                title: "Invalid reset parameters");
        }

        var result = await handler.RunAsync(resetRequest, cancellationToken).ConfigureAwait(false);
        if (result.Missing is { } missing)
        {
            return TypedResults.Problem(
                detail: $"No '{missing}' is stored. A subscription appears once Stripe's customer.subscription.created webhook has been received.",
                statusCode: StatusCodes.Status404NotFound,
                title: missing.StartsWith("cus_", StringComparison.Ordinal) ? "Customer not found" : "Subscription not found");
        }

        return TypedResults.Json(result.Summary, CreditJson.Options);
    }
}
