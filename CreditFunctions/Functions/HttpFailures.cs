using System.Globalization;
using System.Text.Json;
using Azure;
using CreditFunctions.Resets;
using CreditFunctions.Runs;
using CreditFunctions.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Functions;

/// <summary>
/// What every HTTP function answers when the work itself fails: problem details, never a bare 500. The store (or a
/// dependency) not answering, or too many writers on one account, is a 503 with <c>Retry-After</c>, since every operation
/// here is safe to retry (resets are once per boundary, spends and grants once per key, events once per id); a body that
/// could not be read is the caller's 400; a store that refuses the app's identity, or anything unexpected, is a 500 that
/// says which and is logged with the exception. A run that aborted carries its summary.
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
        catch (BadHttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The client's body ended early or broke off: its fault, and nothing was read or changed.
            BodyUnreadable(logger, function, ex.Message);
            return TypedResults.Problem(
                $"The request body could not be read ({ex.Message}); nothing was changed. Send it again.",
                statusCode: StatusCodes.Status400BadRequest,
                title: "Body unreadable",
                type: "body-unreadable");
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var cause = ex is ResetRunAbortedException aborted ? aborted.InnerException ?? ex : ex;
            var kind = StoreFailure.Classify(cause);
            Failed(logger, ex, function, kind);
            return Answer(kind, cause, (ex as ResetRunAbortedException)?.Summary);
        }
    }

    /// <summary>The answer to a failure of the kind given; with a run's summary when the run got that far.</summary>
    public static IResult Answer(StoreFailureKind kind, Exception? exception, ResetRunSummary? summary = null)
    {
        var code = exception is RequestFailedException failed
            ? failed.Status == 0 ? "" : $" ({failed.Status} {failed.ErrorCode})".Replace(" )", ")", StringComparison.Ordinal)
            : "";
        var ran = summary is null ? "" : $" The run {summary.RunId} reset {summary.Counts.Reset} subscription(s) before it stopped (see summary).";
        var extensions = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (summary is not null)
        {
            extensions["summary"] = JsonSerializer.SerializeToElement(summary, CreditJson.Options);
        }

        return kind switch
        {
            StoreFailureKind.Unavailable => new RetryAfterResult(
                TypedResults.Problem(
                    $"The table store or the Stripe API did not answer{code}.{ran} What was committed stays, and retrying is safe: "
                    + $"nothing is applied twice. Retry after {StoreFailure.RetryAfter.TotalSeconds:0} seconds.",
                    statusCode: StatusCodes.Status503ServiceUnavailable,
                    title: "Service unavailable",
                    type: "service-unavailable",
                    extensions: extensions),
                StoreFailure.RetryAfter),
            StoreFailureKind.Contention => new RetryAfterResult(
                TypedResults.Problem(
                    $"{exception?.Message}{ran}",
                    statusCode: StatusCodes.Status503ServiceUnavailable,
                    title: "Too many concurrent changes",
                    type: "account-contention",
                    extensions: extensions),
                StoreFailure.ContentionRetryAfter),
            StoreFailureKind.Denied => TypedResults.Problem(
                $"The table store refused the request{code}: the app's identity lacks Storage Table Data Contributor, or the app's tables "
                + $"(CreditStorage:TablePrefix) do not exist in the account CreditStorage names.{ran} Retrying will not help until that is fixed.",
                statusCode: StatusCodes.Status500InternalServerError,
                title: "Store access denied",
                type: "store-access-denied",
                extensions: extensions),
            _ => TypedResults.Problem(
                $"An unexpected error ({exception?.GetType().Name}); the app's logs have it.{ran} What was committed stays, and retrying is safe.",
                statusCode: StatusCodes.Status500InternalServerError,
                title: "Unexpected error",
                type: "unexpected-error",
                extensions: extensions),
        };
    }

    [LoggerMessage(1300, LogLevel.Error, "{Function} failed ({FailureKind}); answered with problem details")]
    private static partial void Failed(ILogger logger, Exception exception, string function, StoreFailureKind failureKind);

    [LoggerMessage(1301, LogLevel.Warning, "{Function}: the request body could not be read ({Reason}); answered 400")]
    private static partial void BodyUnreadable(ILogger logger, string function, string reason);

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
