using CreditFunctions.Accounts;
using CreditFunctions.Credits;
using CreditFunctions.Stripe;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Functions;

/// <summary>How the credits functions answer: JSON for a value, RFC 9457 problem details (with a stable type) for the rest.</summary>
internal static class CreditsHttp
{
    public const string CustomerRoute = "customers/{customerId}/credits";

    /// <summary>A value as JSON with <paramref name="status"/> (200, or 201 for what a call creates); a refusal as its problem.</summary>
    public static IResult Answer<T>(Outcome<T> outcome, int status = StatusCodes.Status200OK)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return outcome.Refusal is { } refusal ? CreditsProblems.For(refusal) : TypedResults.Json(outcome.Value, CreditJson.Options, statusCode: status);
    }

    /// <summary>
    /// Answers a call on one customer's credits: a customer id that is not a Stripe customer id is refused before anything
    /// is read, and any failure of the work is answered by <see cref="HttpFailures"/>.
    /// </summary>
    public static Task<IResult> ForCustomerAsync(string function, ILogger logger, string customerId, Func<Task<IResult>> answer, CancellationToken cancellationToken) =>
        HttpFailures.GuardAsync(function, logger, () => StripeIds.IsCustomer(customerId) ? answer() : Task.FromResult(BadCustomer(customerId)), cancellationToken);

    /// <summary>A PUT that replaces a customer's setting whole: its body read and parsed, then applied; or the answer that refuses it, nothing changed.</summary>
    public static async Task<IResult> ReplaceAsync<TSettings, TView>(
        HttpRequest request, Func<string, (TSettings? Settings, Dictionary<string, string[]> Errors)> parse, Func<TSettings, Task<Outcome<TView>>> apply, CancellationToken cancellationToken)
        where TSettings : class
        where TView : class
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(apply);
        var (body, refusal) = await ReadBodyAsync(request, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return refusal!;
        }

        var (settings, errors) = parse(body);
        return settings is null ? Invalid(errors, "changed") : Answer(await apply(settings).ConfigureAwait(false));
    }

    public static IResult Invalid(IDictionary<string, string[]> errors, string what) =>
        TypedResults.ValidationProblem(errors, detail: $"The request has invalid fields; nothing was {what}.", title: "Invalid request", type: "invalid-request");

    public static IResult BadCustomer(string? customerId) =>
        Invalid(new Dictionary<string, string[]> { ["customerId"] = [$"'{customerId}' is not a Stripe customer id such as cus_1PqRsT (letters, digits and underscores after 'cus_')."] }, "read or changed");

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
