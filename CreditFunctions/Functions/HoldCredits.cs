using CreditFunctions.Accounts;
using CreditFunctions.Credits;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Functions;

/// <summary>
/// Holds: <c>POST .../credits/holds</c> reserves credits for work whose cost is known at its end; <c>.../holds/{holdId}/capture</c>
/// takes what it cost and gives the rest back; <c>.../holds/{holdId}/release</c> gives everything back. Each once per key.
/// </summary>
public sealed class HoldCredits(CreditsService credits, ILogger<HoldCredits> logger)
{
    public const string Route = CreditsHttp.CustomerRoute + "/holds";

    [Function("PlaceCreditHold")]
    public Task<IResult> PlaceAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Route)] HttpRequest request, string customerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CreditsHttp.ForCustomerAsync("PlaceCreditHold", logger, customerId, async () =>
        {
            var (body, refusal) = await CreditsHttp.ReadBodyAsync(request, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return refusal!;
            }

            var (hold, errors) = CreditsRequests.ParseHold(body);
            return hold is null
                ? CreditsHttp.Invalid(errors, "held")
                : Answer(await credits.HoldAsync(customerId, hold, cancellationToken).ConfigureAwait(false), StatusCodes.Status201Created);
        }, cancellationToken);
    }

    [Function("CaptureCreditHold")]
    public Task<IResult> CaptureAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Route + "/{holdId}/capture")] HttpRequest request, string customerId, string holdId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CreditsHttp.ForCustomerAsync("CaptureCreditHold", logger, customerId, async () =>
        {
            if (BadHold(holdId) is { } bad)
            {
                return bad;
            }

            var (body, refusal) = await CreditsHttp.ReadBodyAsync(request, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return refusal!;
            }

            var (capture, errors) = CreditsRequests.ParseCapture(body, holdId);
            return capture is null
                ? CreditsHttp.Invalid(errors, "captured")
                : Answer(await credits.CaptureAsync(customerId, capture, cancellationToken).ConfigureAwait(false), StatusCodes.Status200OK);
        }, cancellationToken);
    }

    [Function("ReleaseCreditHold")]
    public Task<IResult> ReleaseAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Route + "/{holdId}/release")] HttpRequest request, string customerId, string holdId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CreditsHttp.ForCustomerAsync("ReleaseCreditHold", logger, customerId, async () =>
        {
            if (BadHold(holdId) is { } bad)
            {
                return bad;
            }

            var (body, refusal) = await CreditsHttp.ReadBodyAsync(request, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return refusal!;
            }

            var (release, errors) = CreditsRequests.ParseRelease(body, holdId);
            return release is null
                ? CreditsHttp.Invalid(errors, "released")
                : Answer(await credits.ReleaseAsync(customerId, release, cancellationToken).ConfigureAwait(false), StatusCodes.Status200OK);
        }, cancellationToken);
    }

    private static IResult Answer(Outcome<CreditsReceipt> outcome, int status) =>
        CreditsHttp.Answer(outcome.Refusal is { } refusal ? Outcome.Refused<HoldAnswer>(refusal) : Outcome.Done(HoldAnswer.From(outcome.Value!)), status);

    private static IResult? BadHold(string holdId) => Hold.NumberOf(holdId) is null
        ? CreditsHttp.Invalid(new Dictionary<string, string[]> { ["holdId"] = [$"'{holdId}' is not a hold id such as hold-12 (as POST .../credits/holds answers)."] }, "changed")
        : null;
}
