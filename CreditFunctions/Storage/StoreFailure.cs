using System.Net.Sockets;
using Azure;
using Azure.Identity;
using CreditFunctions.Accounts;

namespace CreditFunctions.Storage;

/// <summary>What kind of failure an exception from the table store (or the Stripe API) is, so callers can answer it the right way.</summary>
public enum StoreFailureKind
{
    /// <summary>Not a failure of the store (a bug, an unexpected answer): nobody should be told to just retry.</summary>
    None,

    /// <summary>The store (or a dependency) could not be reached or answered "busy" (network, timeout, 5xx, 429): try again later.</summary>
    Unavailable,

    /// <summary>The store refused the app's identity (401/403), or its tables are missing: a setting or role is wrong; retrying will not help.</summary>
    Denied,

    /// <summary>Too many writers changed one customer's account at once; a retry in a moment goes through.</summary>
    Contention,
}

public static class StoreFailure
{
    /// <summary>How long callers are asked to wait before retrying when the store is unavailable.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(30);

    /// <summary>How long callers are asked to wait before retrying after contention on one account.</summary>
    public static readonly TimeSpan ContentionRetryAfter = TimeSpan.FromSeconds(1);

    /// <param name="callerCanceled">Whether the caller itself gave up (then a cancellation is not the store's fault).</param>
    public static StoreFailureKind Classify(Exception exception, bool callerCanceled = false)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            AccountContentionException => StoreFailureKind.Contention,
            RequestFailedException { Status: 401 or 403 } => StoreFailureKind.Denied,
            RequestFailedException { Status: 404, ErrorCode: "TableNotFound" } => StoreFailureKind.Denied,

            // Status 0: no answer at all (the SDK's retries gave up on the network).
            RequestFailedException { Status: 0 or 408 or 429 or >= 500 } => StoreFailureKind.Unavailable,

            // The Stripe API busy or down (429, 5xx): the same answer, retry later.
            global::Stripe.StripeException { HttpStatusCode: System.Net.HttpStatusCode.TooManyRequests or >= System.Net.HttpStatusCode.InternalServerError } => StoreFailureKind.Unavailable,

            // A token endpoint that did not answer is an outage; one that said no is a wrong identity or role.
            AuthenticationFailedException { InnerException: { } inner } when Classify(inner, callerCanceled) == StoreFailureKind.Unavailable => StoreFailureKind.Unavailable,
            AuthenticationFailedException or CredentialUnavailableException => StoreFailureKind.Denied,
            HttpRequestException or IOException or SocketException or TimeoutException => StoreFailureKind.Unavailable,

            // The SDK's network timeout surfaces as a cancellation the caller never asked for.
            OperationCanceledException when !callerCanceled => StoreFailureKind.Unavailable,
            AggregateException { InnerExceptions.Count: > 0 } aggregate => Classify(aggregate.InnerExceptions[0], callerCanceled),
            _ => StoreFailureKind.None,
        };
    }

    /// <summary>The failure's label in run summaries: <c>store-unavailable</c>, <c>store-denied</c>, <c>contention</c> or <c>unexpected</c>.</summary>
    public static string Label(StoreFailureKind kind) => kind switch
    {
        StoreFailureKind.Unavailable => "store-unavailable",
        StoreFailureKind.Denied => "store-denied",
        StoreFailureKind.Contention => "contention",
        _ => "unexpected",
    };
}
