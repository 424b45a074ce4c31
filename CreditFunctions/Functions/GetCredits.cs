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
        return HttpFailures.GuardAsync(nameof(GetCredits), logger, () => AnswerAsync(request, customerId, cancellationToken), cancellationToken);
    }

    private async Task<IResult> AnswerAsync(HttpRequest request, string customerId, CancellationToken cancellationToken)
    {
        return !CreditsRequests.IsCustomerId(customerId)
            ? CreditsHttp.BadCustomer(customerId)
            : CreditsHttp.Answer(await credits.ReadAsync(customerId, cancellationToken).ConfigureAwait(false));
    }
}
