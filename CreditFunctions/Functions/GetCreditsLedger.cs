using System.Globalization;
using System.Text;
using CreditFunctions.Credits;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Functions;

/// <summary>
/// <c>GET /api/customers/{customerId}/credits/ledger?limit=&amp;continuationToken=</c>: every change of the customer's
/// credits, newest first, a page at a time; pass the answered <c>continuationToken</c> for the next page.
/// </summary>
public sealed class GetCreditsLedger(CreditsService credits, ILogger<GetCreditsLedger> logger)
{
    [Function(nameof(GetCreditsLedger))]
    public Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = CreditsHttp.CustomerRoute + "/ledger")] HttpRequest request,
        string customerId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CreditsHttp.ForCustomerAsync(nameof(GetCreditsLedger), logger, customerId, () => AnswerAsync(request, customerId, cancellationToken), cancellationToken);
    }

    private async Task<IResult> AnswerAsync(HttpRequest request, string customerId, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var limit = CreditsLimits.DefaultLedgerPage;
        long? before = null;
        foreach (var (key, values) in request.Query)
        {
            var value = values.Count == 1 ? values[0] ?? "" : null;
            switch (key)
            {
                case "code":
                    break;
                case "limit" when value is not null && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed is >= 1 and <= CreditsLimits.MaxLedgerPage:
                    limit = parsed;
                    break;
                case "limit":
                    errors[key] = [$"'limit' must be given once, a whole number from 1 to {CreditsLimits.MaxLedgerPage}."];
                    break;
                case "continuationToken" when value is not null && Decode(value, customerId) is { } decoded:
                    before = decoded;
                    break;
                case "continuationToken":
                    errors[key] = ["'continuationToken' must be given once, exactly as an earlier page of this customer's ledger answered it."];
                    break;
                default:
                    errors[key] = [$"Unknown parameter '{key}'. Use limit and continuationToken."];
                    break;
            }
        }

        if (errors.Count > 0)
        {
            return CreditsHttp.Invalid(errors, "read");
        }

        var answer = await credits.LedgerAsync(customerId, limit, before, cancellationToken).ConfigureAwait(false);
        return answer.Value is { } page
            ? TypedResults.Json(new { page.CustomerId, page.Entries, ContinuationToken = Encode(customerId, page.Next) }, CreditJson.Options)
            : CreditsProblems.For(answer.Refusal!);
    }

    // The cursor names the customer and the entry the next page starts below, opaque and safe in a URL.
    internal static string? Encode(string customerId, long? next) =>
        next is not { } below ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes($"{customerId}:{below.ToString(CultureInfo.InvariantCulture)}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    internal static long? Decode(string value, string customerId)
    {
        var base64 = value.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(base64)).Split(':');
            return parts.Length == 2 && parts[0] == customerId
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var below) && below > 1
                ? below
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
