using CreditFunctions.Credits;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace CreditFunctions.Functions;

/// <summary><c>GET /api/customers/{customerId}/credits</c>: the available total and each bucket, as of now.</summary>
public sealed class GetCredits(CreditsService credits)
{
    [Function(nameof(GetCredits))]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = CreditsHttp.CustomerRoute)] HttpRequest request,
        string customerId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return !CreditsRequests.IsCustomerId(customerId)
            ? CreditsHttp.BadCustomer(customerId)
            : CreditsHttp.Answer(await credits.ReadAsync(customerId, cancellationToken).ConfigureAwait(false));
    }
}
