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

    public static IResult TooLarge() =>
        TypedResults.Problem(
            $"The body is larger than {CreditsLimits.MaxBodyBytes / 1024} KB; nothing was read or changed.",
            statusCode: StatusCodes.Status413PayloadTooLarge, title: "Body too large", type: "body-too-large");
}
