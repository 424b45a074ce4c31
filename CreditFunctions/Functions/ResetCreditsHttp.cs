using System.Text.Json;
using CreditFunctions.Resets;
using CreditFunctions.Runs;
using CreditFunctions.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Functions;

/// <summary>
/// The manual twin of the timer: <c>POST /api/credits/reset[?dryRun=true][&amp;customerId=cus_...][&amp;subscriptionId=sub_...]</c> with a
/// function key. Answers the run summary (500 problem details carrying it when some subscriptions failed); the run is
/// time-boxed well inside Azure's 230-second HTTP limit.
/// </summary>
public sealed class ResetCreditsHttp(CreditResetHandler handler, ILogger<ResetCreditsHttp> logger)
{
    public const string Route = "credits/reset";

    [Function(nameof(ResetCreditsHttp))]
    public Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Route)] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return HttpFailures.GuardAsync(nameof(ResetCreditsHttp), logger, () => AnswerAsync(request, cancellationToken), cancellationToken);
    }

    private async Task<IResult> AnswerAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (resetRequest, errors) = ManualResetQuery.Parse(request.Query);
        if (resetRequest is null)
        {
            return TypedResults.ValidationProblem(
                errors,
                detail: "The query string has invalid parameters; nothing was reset.",
                title: "Invalid reset parameters",
                type: "invalid-request");
        }

        var result = await handler.RunAsync(resetRequest, cancellationToken).ConfigureAwait(false);
        if (result.Missing is { } missing)
        {
            return TypedResults.Problem(
                detail: missing switch
                {
                    { OwnerId: { } owner } => $"'{missing.Id}' is stored, but it is a subscription of {owner}, not of {missing.CustomerId}; nothing was reset.",
                    { CustomerId: { } customer } => $"'{missing.Id}' is not one of {customer}'s subscriptions, and no such subscription is stored; nothing was reset.",
                    _ => $"No '{missing.Id}' is stored. A subscription appears once Stripe's customer.subscription.created webhook has been received.",
                },
                statusCode: StatusCodes.Status404NotFound,
                title: missing.Id.StartsWith("cus_", StringComparison.Ordinal) ? "Customer not found" : "Subscription not found",
                type: missing.Id.StartsWith("cus_", StringComparison.Ordinal) ? "customer-not-found" : "subscription-not-found");
        }

        var summary = result.Summary!;
        if (summary.Counts.Failed > 0)
        {
            // What the run committed stays; the failed subscriptions stay due, so calling again retries only them. A run
            // whose every failure was the store not answering is an outage (503); anything else needs a look (500).
            if (summary.Failures.Count == summary.Counts.Failed
                && summary.Failures.All(f => f.Error == StoreFailure.Label(StoreFailureKind.Unavailable)))
            {
                return HttpFailures.Answer(StoreFailureKind.Unavailable, null, summary);
            }

            return TypedResults.Problem(
                detail: $"The run failed for {summary.Counts.Failed} subscription(s) and reset {summary.Counts.Reset}; what it reset stays, "
                    + "and the failed ones stay due: call again (or let the timer) to retry them. The summary's failures say which kind "
                    + "each was, the app's logs why.",
                statusCode: StatusCodes.Status500InternalServerError,
                title: "Reset run finished with failures",
                type: "reset-run-failed",
                extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["summary"] = JsonSerializer.SerializeToElement(summary, CreditJson.Options) });
        }

        return TypedResults.Json(summary, CreditJson.Options);
    }
}
