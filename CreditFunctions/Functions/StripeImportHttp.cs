using CreditFunctions.Stripe;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Stripe;

namespace CreditFunctions.Functions;

/// <summary>
/// <c>POST /api/stripe/import?grantCurrentPeriod=true|false[&amp;startingAfter=sub_...]</c> with a function key: the
/// back-fill of subscriptions that existed in Stripe before the app. Time-boxed like the manual reset; call again with
/// the answered <c>nextStartingAfter</c> until <c>complete</c>.
/// </summary>
public sealed class StripeImportHttp(StripeImport import, ILogger<StripeImportHttp> logger)
{
    public const string Route = "stripe/import";

    [Function(nameof(StripeImportHttp))]
    public Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Route)] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return HttpFailures.GuardAsync(nameof(StripeImportHttp), logger, () => AnswerAsync(request, cancellationToken), cancellationToken);
    }

    private async Task<IResult> AnswerAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (importRequest, errors) = Parse(request.Query);
        if (importRequest is null)
        {
            return TypedResults.ValidationProblem(errors, detail: "The query string has invalid parameters; nothing was imported.", title: "Invalid import parameters", type: "invalid-request");
        }

        if (!import.IsAvailable)
        {
            return TypedResults.Problem(
                detail: "The import reads subscriptions from the Stripe API: set Stripe:ApiKey (a restricted key with read access to subscriptions and invoices).",
                statusCode: StatusCodes.Status409Conflict,
                title: "Stripe API key not set",
                type: "stripe-api-key-missing");
        }

        try
        {
            return TypedResults.Json(await import.RunAsync(importRequest, cancellationToken).ConfigureAwait(false), CreditJson.Options);
        }
        catch (StripeException ex)
        {
            return TypedResults.Problem(
                detail: $"The Stripe API answered {(int)ex.HttpStatusCode}: {ex.Message}. What was imported before stays; call again to resume.",
                statusCode: StatusCodes.Status502BadGateway,
                title: "Stripe API error",
                type: "stripe-api-error");
        }
    }

    private static (ImportRequest? Request, Dictionary<string, string[]> Errors) Parse(IEnumerable<KeyValuePair<string, StringValues>> query)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        bool? grant = null;
        string? startingAfter = null;
        foreach (var (key, values) in query)
        {
            var value = values.Count == 1 ? values[0] ?? "" : null;
            switch (key)
            {
                case "code":
                    break;
                case "grantCurrentPeriod" when value is not null && bool.TryParse(value, out var parsed):
                    grant = parsed;
                    break;
                case "grantCurrentPeriod":
                    errors[key] = ["'grantCurrentPeriod' must be given once, true or false."];
                    break;
                case "startingAfter" when value is not null && StripeIds.IsSubscription(value):
                    startingAfter = value;
                    break;
                case "startingAfter":
                    errors[key] = ["'startingAfter' must be given once, a subscription id such as sub_1PqRsT (the nextStartingAfter of an earlier answer)."];
                    break;
                default:
                    errors[key] = [$"Unknown parameter '{key}'. Use grantCurrentPeriod=true|false and optionally startingAfter=sub_..."];
                    break;
            }
        }

        if (grant is null && !errors.ContainsKey("grantCurrentPeriod"))
        {
            errors["grantCurrentPeriod"] = ["Say whether each subscription's current allowance is granted now (true) or recorded as already given (false)."];
        }

        return errors.Count > 0 ? (null, errors) : (new ImportRequest(grant!.Value, startingAfter), errors);
    }
}
