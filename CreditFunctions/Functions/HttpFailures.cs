using System.Globalization;
using Azure;
using CreditFunctions.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Functions;

/// <summary>
/// What every HTTP function answers when the work itself fails: problem details, never a bare 500. The store (or a
/// dependency) not answering is a 503 with <c>Retry-After</c>, since every operation here is safe to retry (resets are
/// once per boundary, spends and grants once per key, events once per id); a store that refuses the app's identity, or
/// anything unexpected, is a 500 that says which and is logged with the exception.
/// </summary>
internal static partial class HttpFailures
{
    public static async Task<IResult> GuardAsync(string function, ILogger logger, Func<Task<IResult>> handle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handle);
        try
        {
            return await handle().ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var kind = StoreFailure.Classify(ex);
            Failed(logger, ex, function, kind);
            return Answer(kind, ex);
        }
    }

    private static IResult Answer(StoreFailureKind kind, Exception exception)
    {
        var code = exception is RequestFailedException failed ? $" ({failed.Status} {failed.ErrorCode})" : "";
        return kind switch
        {
            StoreFailureKind.Unavailable => new RetryAfterResult(
                TypedResults.Problem(
                    $"The table store or the Stripe API did not answer{code}. What was committed before stays, and retrying is safe: "
                    + $"nothing is applied twice. Retry after {StoreFailure.RetryAfter.TotalSeconds:0} seconds.",
                    statusCode: StatusCodes.Status503ServiceUnavailable,
                    title: "Service unavailable",
                    type: "service-unavailable"),
                StoreFailure.RetryAfter),
            StoreFailureKind.Denied => TypedResults.Problem(
                $"The table store refused the app's identity{code}. Check that it holds Storage Table Data Contributor on the app's "
                + "tables and that the CreditStorage settings name the right account and identity. Nothing was changed.",
                statusCode: StatusCodes.Status500InternalServerError,
                title: "Store access denied",
                type: "store-access-denied"),
            _ => TypedResults.Problem(
                $"An unexpected error ({exception.GetType().Name}); the app's logs have it. What was committed before stays, and retrying is safe.",
                statusCode: StatusCodes.Status500InternalServerError,
                title: "Unexpected error",
                type: "unexpected-error"),
        };
    }

    [LoggerMessage(1300, LogLevel.Error, "{Function} failed ({FailureKind}); answered with problem details")]
    private static partial void Failed(ILogger logger, Exception exception, string function, StoreFailureKind failureKind);

    /// <summary>A result with a <c>Retry-After</c> header (in seconds) on top.</summary>
    private sealed class RetryAfterResult(IResult inner, TimeSpan after) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => (inner as IStatusCodeHttpResult)?.StatusCode;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            ArgumentNullException.ThrowIfNull(httpContext);
            httpContext.Response.Headers.RetryAfter = ((int)after.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}
