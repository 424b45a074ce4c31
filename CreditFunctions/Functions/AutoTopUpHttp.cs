using System.Text.Json;
using System.Text.RegularExpressions;
using CreditFunctions.Accounts;
using CreditFunctions.Stripe;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Functions;

/// <summary>
/// <c>GET</c> and <c>PUT /api/customers/{customerId}/credits/auto-top-up</c>: the customer's opt-in auto top-up
/// (<c>{ enabled, belowAvailable, priceId, quantity, maxPerMonth }</c>, all required: a PUT replaces it whole), with
/// this month's count, the top-up in flight and the last one; <c>POST .../auto-top-up/retry</c>: an operator's retry.
/// </summary>
public sealed partial class AutoTopUpHttp(AutoTopUps topUps, ILogger<AutoTopUpHttp> logger)
{
    public const string Route = CreditsHttp.CustomerRoute + "/auto-top-up";

    [Function("GetAutoTopUp")]
    public Task<IResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Route)] HttpRequest request, string customerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CreditsHttp.ForCustomerAsync("GetAutoTopUp", logger, customerId, async () =>
            CreditsHttp.Answer(await topUps.GetAsync(customerId, cancellationToken).ConfigureAwait(false)), cancellationToken);
    }

    [Function("PutAutoTopUp")]
    public Task<IResult> PutAsync(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = Route)] HttpRequest request, string customerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CreditsHttp.ForCustomerAsync("PutAutoTopUp", logger, customerId,
            () => CreditsHttp.ReplaceAsync(request, Parse, settings => topUps.SetAsync(customerId, settings, cancellationToken), cancellationToken), cancellationToken);
    }

    [Function("RetryAutoTopUp")]
    public Task<IResult> RetryAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Route + "/retry")] HttpRequest request, string customerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CreditsHttp.ForCustomerAsync("RetryAutoTopUp", logger, customerId, async () =>
            CreditsHttp.Answer(await topUps.RetryAsync(customerId, cancellationToken).ConfigureAwait(false), StatusCodes.Status202Accepted), cancellationToken);
    }

    public static (AutoTopUpSettings? Settings, Dictionary<string, string[]> Errors) Parse(string body) =>
        JsonBody.Parse(body, ["enabled", "belowAvailable", "priceId", "quantity", "maxPerMonth"], (fields, errors) =>
        {
            var enabled = false;
            if (!fields.TryGetValue("enabled", out var flag) || flag.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                errors["enabled"] = ["'enabled' is required: true to top up automatically, false to stop."];
            }
            else
            {
                enabled = flag.GetBoolean();
            }

            var below = Whole(fields, errors, "belowAvailable", 1, AccountLimits.MaxAmount, "credits: a top-up starts when a change leaves available below it");
            var quantity = Whole(fields, errors, "quantity", 1, AutoTopUpSettings.MaxQuantity, "packs of the price per top-up");
            var max = Whole(fields, errors, "maxPerMonth", 1, AutoTopUpSettings.MaxMonthly, "top-ups per calendar month (UTC), failed ones included");
            string? priceId = null;
            if (!fields.TryGetValue("priceId", out var price) || price.ValueKind != JsonValueKind.String || !PricePattern().IsMatch(price.GetString()!))
            {
                errors["priceId"] = ["'priceId' is required: a Stripe one-time price id (price_...) whose metadata 'credits' says how many credits one unit buys."];
            }
            else
            {
                priceId = price.GetString();
            }

            return errors.Count == 0 ? new AutoTopUpSettings(enabled, below, priceId!, quantity, (int)max) : null;
        });

    private static long Whole(Dictionary<string, JsonElement> fields, Dictionary<string, string[]> errors, string name, long min, long max, string meaning)
    {
        if (!fields.TryGetValue(name, out var value) || !JsonBody.TryGetWhole(value, out var number) || number < min || number > max)
        {
            var got = fields.TryGetValue(name, out var given) ? $"got {given.GetRawText()}" : "it is missing";
            errors[name] = [$"'{name}' must be a whole number from {min} to {max} ({meaning}); {got}."];
            return 0;
        }

        return number;
    }

    [GeneratedRegex("\\Aprice_[A-Za-z0-9_]{1,250}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex PricePattern();
}
