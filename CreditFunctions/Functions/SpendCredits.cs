using CreditFunctions.Credits;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Functions;

/// <summary>
/// <c>POST /api/customers/{customerId}/credits/spend</c> with <c>{ "amount", "idempotencyKey", "reason"?, "metadata"? }</c>:
/// all or nothing; the same key again answers the first answer and spends nothing.
/// </summary>
public sealed class SpendCredits(CreditsService credits, ILogger<SpendCredits> logger)
{
    [Function(nameof(SpendCredits))]
    public Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = CreditsHttp.CustomerRoute + "/spend")] HttpRequest request,
        string customerId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CreditsHttp.ForCustomerAsync(nameof(SpendCredits), logger, customerId, async () =>
        {
            var (body, refusal) = await CreditsHttp.ReadBodyAsync(request, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return refusal!;
            }

            var (spend, errors) = CreditsRequests.ParseSpend(body);
            return spend is null
                ? CreditsHttp.Invalid(errors, "spent")
                : CreditsHttp.Answer(await credits.SpendAsync(customerId, spend, cancellationToken).ConfigureAwait(false));
        }, cancellationToken);
    }
}
