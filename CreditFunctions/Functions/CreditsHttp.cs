using CreditFunctions.Credits;
using Microsoft.AspNetCore.Http;

namespace CreditFunctions.Functions;

/// <summary>How the credits functions answer: JSON for a value, RFC 9457 problem details (with a stable type) for the rest.</summary>
internal static class CreditsHttp
{
    public const string CustomerRoute = "customers/{customerId}/credits";

    public static IResult Answer<T>(CreditsAnswer<T> answer)
        where T : class
    {
        if (answer.Problem is not { } problem)
        {
            return TypedResults.Json(answer.Value, CreditJson.Options, statusCode: answer.Status);
        }

        var extensions = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (problem.Available is { } available)
        {
            extensions["available"] = available;
        }

        if (problem.Requested is { } requested)
        {
            extensions["requested"] = requested;
        }

        return TypedResults.Problem(problem.Detail, statusCode: answer.Status, title: problem.Title, type: problem.Type, extensions: extensions);
    }

    public static IResult Invalid(IDictionary<string, string[]> errors, string what) =>
        TypedResults.ValidationProblem(errors, detail: $"The request has invalid fields; nothing was {what}.", title: "Invalid request", type: "invalid-request");

    public static IResult BadCustomer(string? customerId) =>
        Invalid(new Dictionary<string, string[]> { ["customerId"] = [$"'{customerId}' is not a Stripe customer id such as cus_1PqRsT (letters and digits after 'cus_')."] }, "read or changed");

    /// <summary>The request's JSON body, or the answer that refuses it: too large (413), not JSON (415), not UTF-8 (400).</summary>
    public static async Task<(string? Body, IResult? Refusal)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentType is { Length: > 0 } contentType
            && !(contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) || contentType.Split(';')[0].EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
        {
            return (null, TypedResults.Problem(
                $"The body must be JSON (Content-Type: application/json), not {contentType}; nothing was read or changed.",
                statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Not JSON", type: "unsupported-media-type"));
        }

        try
        {
            return await BoundedBody.ReadAsync(request, CreditsLimits.MaxBodyBytes, cancellationToken).ConfigureAwait(false) is { } body
                ? (body, null)
                : (null, TypedResults.Problem(
                    $"The body is larger than {CreditsLimits.MaxBodyBytes / 1024} KB; nothing was read or changed.",
                    statusCode: StatusCodes.Status413PayloadTooLarge, title: "Body too large", type: "body-too-large"));
        }
        catch (System.Text.DecoderFallbackException)
        {
            return (null, Invalid(new Dictionary<string, string[]> { ["body"] = ["The body is not UTF-8 text."] }, "read or changed"));
        }
    }
}
