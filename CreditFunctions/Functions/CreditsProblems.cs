using CreditFunctions.Accounts;
using Microsoft.AspNetCore.Http;

namespace CreditFunctions.Functions;

/// <summary>
/// The one map from what the account refused to HTTP: a status and RFC 9457 problem details with a stable <c>type</c>
/// clients can switch on. Nothing below the functions knows a status code.
/// </summary>
public static class CreditsProblems
{
    public static int StatusOf(Refusal refusal) => Describe(refusal).Status;

    public static string TypeOf(Refusal refusal) => Describe(refusal).Type;

    public static IResult For(Refusal refusal)
    {
        var problem = Describe(refusal);
        return TypedResults.Problem(problem.Detail, statusCode: problem.Status, title: problem.Title, type: problem.Type, extensions: problem.Extensions);
    }

    private static Problem Describe(Refusal refusal) => refusal switch
    {
        CustomerNotFound r => new(StatusCodes.Status404NotFound, "customer-not-found", "Customer not found",
            $"No subscription or grant is stored for {r.CustomerId}. Customers appear with their first Stripe subscription or grant."),
        InsufficientCredits r => new(StatusCodes.Status409Conflict, "insufficient-credits", "Insufficient credits",
            $"{r.CustomerId} has {r.Available} credits available; {r.Requested} were asked for. Nothing was taken.",
            new() { ["available"] = r.Available, ["requested"] = r.Requested }),
        TooManyGrants r => new(StatusCodes.Status409Conflict, "too-many-grants", "Too many open grants",
            $"{r.CustomerId} holds {r.Open} open granted buckets, the most one customer may; let some be spent or expire first."),
        HoldNotFound r => new(StatusCodes.Status404NotFound, "hold-not-found", "Hold not found",
            $"{r.CustomerId} has no hold {r.HoldId}; hold ids are answered by POST .../credits/holds."),
        HoldClosed r => new(StatusCodes.Status409Conflict, "hold-closed", "Hold closed",
            $"Hold {r.HoldId} of {r.CustomerId} was captured, released or expired already; nothing was changed. Its ledger entries say which."),
        TooManyHolds r => new(StatusCodes.Status409Conflict, "too-many-holds", "Too many open holds",
            $"{r.CustomerId} has {r.Open} open holds, the most one customer may; capture or release some first."),
        AccountFull r => new(StatusCodes.Status409Conflict, "account-full", "Account full", r.Detail),
        AutoTopUpOff { StripeConfigured: false } r => new(StatusCodes.Status409Conflict, "stripe-not-configured", "Stripe not configured",
            $"Auto top-up for {r.CustomerId} needs the Stripe API (Stripe__ApiKey) and the Stripe queue (Stripe__Queue) set on the app; nothing was changed."),
        AutoTopUpOff r => new(StatusCodes.Status409Conflict, "auto-top-up-off", "Auto top-up off",
            $"Auto top-up is off for {r.CustomerId} and none is in flight; turn it on with PUT .../credits/auto-top-up first. Nothing was started."),
        TopUpLimitReached r => new(StatusCodes.Status409Conflict, "top-up-limit", "Top-up limit reached",
            $"{r.CustomerId} has started {r.MaxPerMonth} top-ups in {r.Month}, the most its maxPerMonth allows; raise it or wait for next month. Nothing was started.",
            new() { ["maxPerMonth"] = r.MaxPerMonth, ["month"] = r.Month }),
        OverageBacklog r => new(StatusCodes.Status409Conflict, "overage-backlog", "Overage reports behind",
            $"{r.CustomerId} has {r.Pending} overage reports waiting for Stripe, the most one account keeps; nothing was taken. Retry once they are sent (Stripe unreachable?)."),
        InvalidTopUpPrice r => new(StatusCodes.Status400BadRequest, "invalid-price", "Price cannot top up",
            $"{r.Problem} Nothing was changed.", new() { ["priceId"] = r.PriceId }),
        IdempotencyKeyReused r => new(StatusCodes.Status409Conflict, "idempotency-key-reused", "Idempotency key reused",
            $"The key '{r.Key}' was used on {r.FirstUsedAt:O} for a different {r.Operation} request; use a new key for a new request."),
        _ => throw new ArgumentOutOfRangeException(nameof(refusal), refusal, "A refusal without a problem type."),
    };

    private sealed record Problem(int Status, string Type, string Title, string Detail, Dictionary<string, object?>? Extensions = null);
}
