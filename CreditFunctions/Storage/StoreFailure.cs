using System.Net.Sockets;
using Azure;
using Azure.Identity;

namespace CreditFunctions.Storage;

/// <summary>What kind of failure an exception from the table store is, so callers can answer it the right way.</summary>
public enum StoreFailureKind
{
    /// <summary>Not a failure of the store (a bug, an unexpected answer): nobody should be told to just retry.</summary>
    None,

    /// <summary>The store could not be reached or answered "busy/unavailable" (network, timeout, 5xx, 429): try again later.</summary>
    Unavailable,

    /// <summary>The store refused the app's identity (401/403): a role assignment or setting is wrong; retrying will not help.</summary>
    Denied,
}

public static class StoreFailure
{
    /// <summary>How long callers are asked to wait before retrying when the store is unavailable.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(30);

    /// <param name="callerCanceled">Whether the caller itself gave up (then a cancellation is not the store's fault).</param>
    public static StoreFailureKind Classify(Exception exception, bool callerCanceled = false)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            RequestFailedException { Status: 401 or 403 } => StoreFailureKind.Denied,

            // Status 0: no answer at all (the SDK's retries gave up on the network).
            RequestFailedException { Status: 0 or 408 or 429 or >= 500 } => StoreFailureKind.Unavailable,
            AuthenticationFailedException or CredentialUnavailableException => StoreFailureKind.Denied,
            HttpRequestException or IOException or SocketException or TimeoutException => StoreFailureKind.Unavailable,

            // The SDK's network timeout surfaces as a cancellation the caller never asked for.
            OperationCanceledException when !callerCanceled => StoreFailureKind.Unavailable,
            AggregateException { InnerExceptions.Count: > 0 } aggregate => Classify(aggregate.InnerExceptions[0], callerCanceled),
            _ => StoreFailureKind.None,
        };
    }
}
