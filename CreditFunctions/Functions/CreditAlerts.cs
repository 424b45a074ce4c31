using System.Text.Json;
using CreditFunctions.Accounts;
using CreditFunctions.Credits;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Functions;

/// <summary>
/// <c>GET</c> and <c>PUT /api/customers/{customerId}/credits/alerts</c>: the customer's own low-credits threshold over the
/// <c>Events</c> defaults (<c>{ "lowBelow"?, "lowBelowPercent"? }</c>, null or absent: the default), and where its balance
/// stands against it.
/// </summary>
public sealed class CreditAlerts(CreditsService credits, ILogger<CreditAlerts> logger)
{
    public const string Route = CreditsHttp.CustomerRoute + "/alerts";

    [Function("GetCreditAlerts")]
    public Task<IResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Route)] HttpRequest request, string customerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CreditsHttp.ForCustomerAsync("GetCreditAlerts", logger, customerId, async () =>
            CreditsHttp.Answer(await credits.AlertsAsync(customerId, cancellationToken).ConfigureAwait(false)), cancellationToken);
    }

    [Function("PutCreditAlerts")]
    public Task<IResult> PutAsync(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = Route)] HttpRequest request, string customerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CreditsHttp.ForCustomerAsync("PutCreditAlerts", logger, customerId,
            () => CreditsHttp.ReplaceAsync(request, Parse, settings => credits.SetAlertsAsync(customerId, settings, cancellationToken), cancellationToken), cancellationToken);
    }

    public static (AlertSettings? Settings, Dictionary<string, string[]> Errors) Parse(string body) =>
        JsonBody.Parse(body, ["lowBelow", "lowBelowPercent"], (fields, errors) =>
        {
            var lowBelow = Whole(fields, errors, "lowBelow", AccountLimits.MaxAmount, "credits");
            var percent = Whole(fields, errors, "lowBelowPercent", 100, "percent of the customer's monthly allowances");
            return errors.Count == 0 ? new AlertSettings(lowBelow, percent is null ? null : (int)percent) : null;
        });

    private static long? Whole(Dictionary<string, JsonElement> fields, Dictionary<string, string[]> errors, string name, long max, string unit)
    {
        if (!fields.TryGetValue(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (!JsonBody.TryGetWhole(value, out var number) || number < 0 || number > max)
        {
            errors[name] = [$"'{name}' must be null (the default) or a whole number from 0 to {max} ({unit}); got {value.GetRawText()}."];
            return null;
        }

        return number;
    }
}
