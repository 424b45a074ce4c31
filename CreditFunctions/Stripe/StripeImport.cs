using CreditFunctions.Accounts;
using CreditFunctions.Resets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Stripe;

/// <summary>
/// Brings in the subscriptions that existed in Stripe before the app did: lists every subscription of the account (all
/// statuses), syncs each one through the same forward-only sync as a webhook, and applies whatever reset is then due,
/// either granting it or recording it as already given. Idempotent (a second import writes nothing new), time-boxed,
/// and resumable from the cursor it answers with.
/// </summary>
public sealed partial class StripeImport(
    StripeApi api,
    StripeSubscriptionMapper mapper,
    SubscriptionSync sync,
    TimeProvider time,
    IOptions<ResetOptions> options,
    ILogger<StripeImport> logger)
{
    private const int PageSize = 100;

    /// <summary>The per-subscription list in an answer stops here; the counts stay whole.</summary>
    public const int MaxListed = 1000;

    private readonly ResetOptions _options = options.Value;

    public bool IsAvailable => api.IsConfigured;

    public async Task<ImportResult> RunAsync(ImportRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = time.GetTimestamp();
        var runId = Guid.NewGuid().ToString("N");
        var job = new ResetJob(runId, ResetTrigger.Import, time.GetUtcNow(), DryRun: false, _options.Policy, RecordOnly: !request.GrantCurrentPeriod);
        var listed = new List<ImportedSubscription>();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var cursor = request.StartingAfter;
        var complete = false;
        while (time.GetElapsedTime(started) < _options.ManualRunBudget)
        {
            var page = await api.ListSubscriptionsAsync(cursor, PageSize, cancellationToken).ConfigureAwait(false);
            var asOf = StripeApi.AnswerTime(page.StripeResponse);
            foreach (var subscription in page.Data)
            {
                var imported = await ImportOneAsync(subscription, asOf, job, cancellationToken).ConfigureAwait(false);
                counts[imported.Result] = counts.GetValueOrDefault(imported.Result) + 1;
                if (listed.Count < MaxListed)
                {
                    listed.Add(imported);
                }

                cursor = subscription.Id;
            }

            if (!page.HasMore || page.Data.Count == 0)
            {
                complete = true;
                break;
            }
        }

        var result = new ImportResult(runId, request.GrantCurrentPeriod, counts.Values.Sum(), counts, listed, complete ? null : cursor, complete);
        ImportFinished(logger, runId, result.Examined, complete, cursor);
        return result;
    }

    private async Task<ImportedSubscription> ImportOneAsync(global::Stripe.Subscription subscription, DateTimeOffset? asOf, ResetJob job, CancellationToken cancellationToken)
    {
        try
        {
            var view = mapper.Map(subscription) with { AsOf = asOf };
            var synced = await sync.SyncViewAsync(view, eventId: null, isCreation: false, job, cancellationToken: cancellationToken).ConfigureAwait(false);
            var label = synced.Outcome switch
            {
                SyncOutcome.Applied or SyncOutcome.Created => WebhookResult.Synced,
                SyncOutcome.Stale => WebhookResult.Stale,
                _ => WebhookResult.Unchanged,
            };
            var reset = synced.Reset is { } outcome ? WebhookReset.From(outcome) : null;
            return new ImportedSubscription(subscription.Id, subscription.Status, label, reset, null);
        }
        catch (InvalidDataException ex)
        {
            return new ImportedSubscription(subscription.Id, subscription.Status, WebhookResult.Ignored, null, ex.Message);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            ImportFailed(logger, ex, subscription.Id);
            return new ImportedSubscription(subscription.Id, subscription.Status, ImportedSubscription.Failed, null, ex.Message);
        }
    }

    [LoggerMessage(2400, LogLevel.Information, "Stripe import {RunId}: {Examined} subscriptions, complete {Complete}, last {Cursor}")]
    private static partial void ImportFinished(ILogger logger, string runId, int examined, bool complete, string? cursor);

    [LoggerMessage(2401, LogLevel.Error, "Stripe import of {SubscriptionId} failed; import again from before it to retry")]
    private static partial void ImportFailed(ILogger logger, Exception exception, string subscriptionId);
}

/// <param name="GrantCurrentPeriod">
/// True: a subscription's due allowance is granted now. False: it is recorded as already given (the balance is left as
/// it is), for subscriptions whose current allowance was handed out by whatever ran before.
/// </param>
/// <param name="StartingAfter">Where an earlier, time-boxed import stopped (its <see cref="ImportResult.NextStartingAfter"/>).</param>
public sealed record ImportRequest(bool GrantCurrentPeriod, string? StartingAfter);

/// <summary>What one import call did; call again with <see cref="NextStartingAfter"/> until <see cref="Complete"/>.</summary>
public sealed record ImportResult(
    string RunId,
    bool GrantCurrentPeriod,
    int Examined,
    IReadOnlyDictionary<string, int> Counts,
    IReadOnlyList<ImportedSubscription> Subscriptions,
    string? NextStartingAfter,
    bool Complete);

/// <param name="Result">One of the webhook's labels (<see cref="WebhookResult"/>), or <c>failed</c>.</param>
public sealed record ImportedSubscription(string SubscriptionId, string Status, string Result, WebhookReset? Reset, string? Detail)
{
    public const string Failed = "failed";
}
