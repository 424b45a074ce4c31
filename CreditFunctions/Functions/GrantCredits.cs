using CreditFunctions.Credits;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Functions;

/// <summary>
/// <c>POST /api/customers/{customerId}/credits/grants</c> with <c>{ "amount", "idempotencyKey", "expiresAt"?, "reason" }</c>:
/// a granted bucket (201), or with a negative amount an adjustment that takes credits back, never below zero.
/// </summary>
public sealed class GrantCredits(CreditsService credits, TimeProvider time, ILogger<GrantCredits> logger)
{
    [Function(nameof(GrantCredits))]
    public Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = CreditsHttp.CustomerRoute + "/grants")] HttpRequest request,
        string customerId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CreditsHttp.ForCustomerAsync(nameof(GrantCredits), logger, customerId, async () =>
        {
            var (body, refusal) = await CreditsHttp.ReadBodyAsync(request, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return refusal!;
            }

            var (grant, errors) = CreditsRequests.ParseGrant(body, time.GetUtcNow());
            return grant is null
                ? CreditsHttp.Invalid(errors, "granted")
                : CreditsHttp.Answer(await credits.GrantAsync(customerId, grant, cancellationToken).ConfigureAwait(false), StatusCodes.Status201Created);
        }, cancellationToken);
    }
}
