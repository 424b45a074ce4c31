using CreditFunctions.Credits;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Functions;

/// <summary><c>GET /api/customers/{customerId}/credits</c>: the available total and each bucket, as of now.</summary>
public sealed class GetCredits(CreditsService credits, ILogger<GetCredits> logger)
{
    [Function(nameof(GetCredits))]
    public Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = CreditsHttp.CustomerRoute)] HttpRequest request,
        string customerId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CreditsHttp.ForCustomerAsync(nameof(GetCredits), logger, customerId, async () =>
            CreditsHttp.Answer(await credits.ReadAsync(customerId, cancellationToken).ConfigureAwait(false)), cancellationToken);
    }
}
