using CreditFunctions.SupportConsole;
using CreditFunctions.Credits;
using CreditFunctions.Storage;
using CreditFunctions.Stripe;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Functions;

/// <summary>
/// The calls the support console's page makes, under <c>/api/console-api/</c>: who is signed in, a customer's credits
/// with the first page of the explained ledger, older pages, a grant or adjustment with a reason, and the latest reset
/// runs. Each checks the principal as <see cref="ConsolePages"/> does (no function key: the browser never has one); a
/// change also needs the console's own header, so no other site's page can make it.
/// </summary>
public sealed partial class ConsoleApi(
    ConsoleAccess access, CreditsService credits, ICreditStore store, IOptions<ConsoleOptions> options, IOptions<StripeOptions> stripe, TimeProvider time, ILogger<ConsoleApi> logger)
{
    public const string Route = "console-api";
    public const int LedgerPage = 100;
    public const int RunsShown = 20;

    private Uri Dashboard => LedgerExplanation.Dashboard(options.Value.StripeDashboardUrl, stripe.Value.UsableApiKey);

    [Function("ConsoleWhoAmI")]
    public IResult WhoAmI([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route + "/me")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ConsoleHttp.Private(request.HttpContext.Response);
        var decision = access.Decide(request.Headers[ConsoleAccess.PrincipalHeader]);
        return decision.Lets
            ? TypedResults.Json(new ConsoleIdentity(decision.Kind == ConsoleAccessKind.Open ? "open" : "signed-in", decision.Principal, access.Role, Dashboard), CreditJson.Options)
            : ConsoleHttp.Refused(decision, access.Role);
    }

    [Function("ConsoleCustomer")]
    public Task<IResult> CustomerAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route + "/customers/{customerId}")] HttpRequest request, string customerId, CancellationToken cancellationToken) =>
        GuardAsync(request, "ConsoleCustomer", customerId, async _ =>
        {
            var read = await credits.ReadAsync(customerId, cancellationToken).ConfigureAwait(false);
            if (read.Value is not { } view)
            {
                return CreditsProblems.For(read.Refusal!);
            }

            var page = await credits.LedgerAsync(customerId, LedgerPage, null, cancellationToken).ConfigureAwait(false);
            return page.Value is { } ledger
                ? TypedResults.Json(new ConsoleCustomerView(view, new Uri(Dashboard, "customers/" + customerId), Explained(ledger)), CreditJson.Options)
                : CreditsProblems.For(page.Refusal!);
        }, cancellationToken);

    [Function("ConsoleLedger")]
    public Task<IResult> LedgerAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route + "/customers/{customerId}/ledger")] HttpRequest request, string customerId, CancellationToken cancellationToken) =>
        GuardAsync(request, "ConsoleLedger", customerId, async _ =>
        {
            var token = request.Query["continuationToken"];
            if (request.Query.Keys.Any(k => k != "continuationToken") || token.Count != 1 || GetCreditsLedger.Decode(token[0] ?? "", customerId) is not { } before)
            {
                return CreditsHttp.Invalid(new Dictionary<string, string[]>
                {
                    ["continuationToken"] = ["Give 'continuationToken' once, exactly as the customer's view or an earlier page answered it, and nothing else."],
                }, "read");
            }

            var page = await credits.LedgerAsync(customerId, LedgerPage, before, cancellationToken).ConfigureAwait(false);
            return page.Value is { } ledger ? TypedResults.Json(Explained(ledger), CreditJson.Options) : CreditsProblems.For(page.Refusal!);
        }, cancellationToken);

    [Function("ConsoleGrant")]
    public Task<IResult> GrantAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Route + "/customers/{customerId}/grants")] HttpRequest request, string customerId, CancellationToken cancellationToken) =>
        GuardAsync(request, "ConsoleGrant", customerId, async decision =>
        {
            if (request.Headers[ConsoleHttp.ChangeHeader] != "1")
            {
                return TypedResults.Problem($"A change from the console carries the header {ConsoleHttp.ChangeHeader}: 1; nothing was granted.",
                    statusCode: StatusCodes.Status403Forbidden, title: "Not from the console", type: "not-from-console");
            }

            var (body, refusal) = await CreditsHttp.ReadBodyAsync(request, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return refusal!;
            }

            var (grant, errors) = CreditsRequests.ParseGrant(body, time.GetUtcNow());
            if (grant is null)
            {
                return CreditsHttp.Invalid(errors, "granted");
            }

            // Who did it leads the entry's reason, so no reason can pose as another person and no shortening loses it.
            var by = $"by {decision.Principal ?? "the local console"}: ";
            if (ControlOrDirection().IsMatch(grant.Reason) || grant.Reason.Length + by.Length > CreditsLimits.MaxReasonLength)
            {
                return CreditsHttp.Invalid(new Dictionary<string, string[]>
                {
                    ["reason"] = [$"'reason' must be plain text (no control or text-direction characters) leaving room for who granted it: at most {CreditsLimits.MaxReasonLength - by.Length} characters here."],
                }, "granted");
            }

            if (await store.GetAccountAsync(customerId, cancellationToken).ConfigureAwait(false) is null)
            {
                return CreditsProblems.For(new Accounts.CustomerNotFound(customerId)); // The console grants to customers it can look up, never to a typo.
            }

            return CreditsHttp.Answer(await credits.GrantAsync(customerId, grant with { Reason = by + grant.Reason }, cancellationToken).ConfigureAwait(false), StatusCodes.Status201Created);
        }, cancellationToken);

    [Function("ConsoleRuns")]
    public Task<IResult> RunsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route + "/runs")] HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ConsoleHttp.Private(request.HttpContext.Response);
        var decision = access.Decide(request.Headers[ConsoleAccess.PrincipalHeader]);
        return !decision.Lets
            ? Task.FromResult(ConsoleHttp.Refused(decision, access.Role))
            : HttpFailures.GuardAsync("ConsoleRuns", logger, async () =>
                TypedResults.Json(new ConsoleRuns(await store.GetRecentRunsAsync(time.GetUtcNow(), RunsShown, cancellationToken).ConfigureAwait(false)), CreditJson.Options),
                cancellationToken);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"[\p{Cc}\u200E\u200F\u202A-\u202E\u2066-\u2069]")]
    private static partial System.Text.RegularExpressions.Regex ControlOrDirection();

    private ConsoleLedgerPage Explained(LedgerPage page) =>
        new([.. page.Entries.Select(e => LedgerExplanation.Explain(e, Dashboard))], GetCreditsLedger.Encode(page.CustomerId, page.Next));

    private Task<IResult> GuardAsync(HttpRequest request, string function, string customerId, Func<ConsoleDecision, Task<IResult>> answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ConsoleHttp.Private(request.HttpContext.Response);
        var decision = access.Decide(request.Headers[ConsoleAccess.PrincipalHeader]);
        return decision.Lets
            ? CreditsHttp.ForCustomerAsync(function, logger, customerId, () => answer(decision), cancellationToken)
            : Task.FromResult(ConsoleHttp.Refused(decision, access.Role));
    }
}

/// <summary>Who uses the console: <c>open</c> (locally) or <c>signed-in</c>, their name, the role it needs, and where Stripe links go.</summary>
public sealed record ConsoleIdentity(string Mode, string? Principal, string Role, Uri StripeDashboard);

/// <summary>A customer as the console shows it: the credits (as <c>GET .../credits</c> answers them), its Stripe link, and the newest ledger page.</summary>
public sealed record ConsoleCustomerView(CreditsView Credits, Uri StripeCustomer, ConsoleLedgerPage Ledger);

/// <summary>A page of explained ledger entries, newest first; <c>continuationToken</c> asks for the next.</summary>
public sealed record ConsoleLedgerPage(IReadOnlyList<ExplainedEntry> Entries, string? ContinuationToken);

/// <summary>The latest reset runs, newest first (this month and last).</summary>
public sealed record ConsoleRuns(IReadOnlyList<Runs.ResetRunSummary> Runs);
