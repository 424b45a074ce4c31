using System.Security.Cryptography;
using System.Text;
using CreditFunctions.Client.Generated;
using CreditFunctions.Client.Generated.Models;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;

namespace CreditFunctions.Client;

/// <summary>
/// Creates the generated <see cref="CreditsApiClient"/> for an app, and the one call the generated code makes awkward:
/// a spend whose idempotency key comes from the work and whose refusal for want of credits is <c>false</c>, not an
/// exception. Every answer of the app that is not a success is thrown as <see cref="Problem"/> (RFC 9457: switch on
/// <see cref="Problem.Type"/>); a 401 from the Functions host (no function key, or a wrong one; no body) as Kiota's
/// <see cref="Microsoft.Kiota.Abstractions.ApiException"/> with its <c>ResponseStatusCode</c>.
/// </summary>
public static class CreditsApi
{
    /// <summary>The function key's header (Azure Functions' <c>x-functions-key</c>).</summary>
    public const string FunctionKeyHeader = "x-functions-key";

    /// <summary>
    /// A client for the app at <paramref name="baseUrl"/> (its <c>/api</c> root, such as
    /// <c>https://myapp.azurewebsites.net/api</c>), sending <paramref name="functionKey"/> on every call, on Kiota's
    /// HTTP pipeline without its automatic retries: a <c>503</c> is thrown at once as a <see cref="Problem"/>
    /// (<c>service-unavailable</c> or <c>account-contention</c>) for you to retry when it suits you, with the same
    /// idempotency key (the app applies each key once), rather than held for up to three Retry-After waits (30 s each).
    /// </summary>
    public static CreditsApiClient Create(Uri baseUrl, string? functionKey) =>
        Create(KiotaClientFactory.Create(optionsForHandlers: [new RetryHandlerOption { MaxRetry = 0 }]), baseUrl, functionKey);

    /// <summary>
    /// A client over your own <paramref name="http"/> (its handlers, timeouts and lifetime are yours; the key goes on each
    /// request, never onto the <see cref="HttpClient"/>, so one client can serve several apps).
    /// </summary>
    public static CreditsApiClient Create(HttpClient http, Uri baseUrl, string? functionKey)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(baseUrl);
        IAuthenticationProvider key = functionKey is { Length: > 0 } ? new FunctionKey(functionKey) : new AnonymousAuthenticationProvider();
        var adapter = new HttpClientRequestAdapter(key, httpClient: http)
        {
            BaseUrl = baseUrl.ToString().TrimEnd('/'),
        };
        return new CreditsApiClient(adapter);
    }

    /// <summary>
    /// The function key on every request, as Azure Functions reads it. (Kiota's own API-key provider refuses plain http,
    /// which the local host and tests use.)
    /// </summary>
    private sealed class FunctionKey(string key) : IAuthenticationProvider
    {
        public Task AuthenticateRequestAsync(
            Microsoft.Kiota.Abstractions.RequestInformation request, Dictionary<string, object>? additionalAuthenticationContext = null,
            CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(request);
            request.Headers.TryAdd(FunctionKeyHeader, key);
            return Task.CompletedTask;
        }
    }

    /// <summary>
    /// Spends <paramref name="amount"/> credits for the work <paramref name="workId"/> (a job, a report, a request id):
    /// true when spent (now, or by an earlier call for the same work: a retry never spends twice), false when the
    /// customer has too few credits (nothing taken). Anything else throws: a <see cref="Problem"/> for an answer of the
    /// app, an <see cref="Microsoft.Kiota.Abstractions.ApiException"/> for the host's 401, or the transport's exception;
    /// call again with the same work id and it spends at most once.
    /// </summary>
    public static async Task<bool> TrySpendAsync(
        this CreditsApiClient client, string customerId, long amount, string workId, string? reason = null,
        IDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var request = new SpendRequest { Amount = amount, IdempotencyKey = IdempotencyKeyFor(workId), Reason = reason };
        if (metadata is not null)
        {
            request.Metadata = new SpendRequest_metadata { AdditionalData = metadata.ToDictionary(m => m.Key, m => (object)m.Value) };
        }

        try
        {
            await client.Customers[customerId].Credits.Spend.PostAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Problem problem) when (problem.Type == "insufficient-credits")
        {
            return false;
        }
    }

    /// <summary>
    /// The idempotency key of a piece of work: <c>work-</c> and its id when that is a valid key, else <c>work-</c> and
    /// the id's SHA-256 (an id too long, or with spaces, '/', '\', '#', '?' or non-ASCII characters). The same work
    /// always gets the same key.
    /// </summary>
    public static string IdempotencyKeyFor(string workId)
    {
        ArgumentException.ThrowIfNullOrEmpty(workId);
        return workId.Length <= 195 && workId.All(c => c is >= '!' and <= '~' and not ('/' or '\\' or '#' or '?'))
            ? "work-" + workId
            : "work-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(workId)));
    }
}
