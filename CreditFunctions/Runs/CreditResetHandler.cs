using System.Collections.Concurrent;
using CreditFunctions.Accounts;
using CreditFunctions.Resets;
using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using CreditFunctions.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Runs;

/// <summary>
/// The one reset run behind the timer and the HTTP twin: over what the due index says is due (pages, chunks, time budget,
/// summary), or over one named customer or subscription. Each customer is load → apply what is due → save: the verb is
/// <see cref="CustomerAccount.ApplyDue"/>, the same rule every other writer applies; the run's batching of index writes
/// is the repository's <see cref="AccountRepository.SaveManyAsync"/>.
/// </summary>
public sealed partial class CreditResetHandler(
    ICreditStore store,
    AccountRepository accounts,
    IRenewalReconciler reconciler,
    TimeProvider time,
    CreditMetrics metrics,
    IOptions<ResetOptions> options,
    ILogger<CreditResetHandler> logger)
{
    private readonly ResetOptions _options = options.Value;

    public async Task<ResetRunResult> RunAsync(ResetRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var budget = request.Trigger == ResetTrigger.Timer ? _options.TimerRunBudget : _options.ManualRunBudget;
        using var slots = new StoreSlots(_options.MaxParallelism);
        var runId = Guid.NewGuid().ToString("N");
        var run = new Run(runId, request, time.GetUtcNow(), time.GetTimestamp(), budget, slots, _options.Policy, new RunReport(runId, request, metrics, logger), cancellationToken);
        ResetLog.RunStarted(logger, run.Id, request.Trigger, run.AsOf, request.DryRun, request.CustomerId, request.SubscriptionId);

        var remaining = true;
        try
        {
            if (request.Names)
            {
                if (await ResetNamedAsync(run, cancellationToken).ConfigureAwait(false) is { } missing)
                {
                    return ResetRunResult.NotFound(missing);
                }

                remaining = false;
            }
            else
            {
                remaining = await DrainDueAsync(run, cancellationToken).ConfigureAwait(false);
                if (remaining)
                {
                    ResetLog.BudgetReached(logger, run.Id, budget);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped from outside (the host shutting down): what was committed stays, and the record says so.
            await SaveSummaryAsync(run, remaining, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        catch (Exception ex)
        {
            // The run itself failed (the due index unreadable, say): what it committed stays, the rest is still due, and
            // the record and the caller are told both.
            var summary = await SaveSummaryAsync(run, remaining: true, CancellationToken.None, aborted: true).ConfigureAwait(false);
            throw new ResetRunAbortedException(summary, ex);
        }

        return ResetRunResult.Completed(await SaveSummaryAsync(run, remaining, cancellationToken).ConfigureAwait(false));
    }

    /// <returns>What the request named that is not there, or null once the run is done.</returns>
    private async Task<NamedMissing?> ResetNamedAsync(Run run, CancellationToken cancellationToken)
    {
        var (subscriptionId, customerId) = (run.Request.SubscriptionId, run.Request.CustomerId);
        var owner = subscriptionId is null ? null : await store.FindCustomerAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
        if (subscriptionId is not null && customerId is not null && owner is not null && owner != customerId)
        {
            return new NamedMissing(subscriptionId, customerId, owner); // Stored, but not one of that customer's.
        }

        customerId ??= owner;
        var loaded = customerId is null ? null : await accounts.LoadAsync(customerId, cancellationToken).ConfigureAwait(false);
        var account = loaded?.Stored?.State;
        if (account is null || (subscriptionId is not null && account.Find(subscriptionId) is null))
        {
            return subscriptionId is not null && account is not null ? new NamedMissing(subscriptionId, customerId) : new NamedMissing(subscriptionId ?? customerId!);
        }

        string[] targets = subscriptionId is null ? [.. account.Subscriptions.Select(s => s.Id)] : [subscriptionId];
        foreach (var _ in targets)
        {
            run.Recorder.Examined();
        }

        await GuardAsync(run, targets, async () =>
        {
            loaded = await ReconcileAsync(loaded!, targets, run, cancellationToken).ConfigureAwait(false);
            if (run.Request.DryRun)
            {
                run.Report.Outcomes(loaded.Account.ApplyDue(run.Job, targets), loaded.Account.State);
                return;
            }

            var changed = await accounts.ChangeAsync(
                loaded.Account.CustomerId, (a, _) => Task.FromResult(a.ApplyDue(run.Job, targets)), known: loaded, cancellationToken: cancellationToken).ConfigureAwait(false);
            run.Report.Outcomes(changed.Result, changed.Account.State);
        }).ConfigureAwait(false);
        return null;
    }

    private async Task<ResetRunSummary> SaveSummaryAsync(Run run, bool remaining, CancellationToken cancellationToken, bool aborted = false)
    {
        var summary = run.Recorder.ToSummary(
            run.Id, run.Request.Trigger, run.AsOf, run.Request.DryRun, run.Request.SubscriptionId, run.Request.CustomerId, remaining, time.GetElapsedTime(run.Started), aborted);
        ResetLog.RunFinished(
            logger, summary.RunId, summary.Counts.Examined, summary.Counts.Reset, summary.Counts.Skipped, summary.Counts.Failed,
            summary.Remaining, (long)summary.Duration.TotalMilliseconds);
        metrics.RunFinished(summary.Trigger, RunOutcome.Of(summary), summary.DryRun, summary.Duration, summary.Counts.Examined);
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(TimeSpan.FromSeconds(30));
            await store.SaveRunAsync(summary, limit.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The resets are committed; a missing run record must not turn them into an error for the caller.
            ResetLog.SummaryNotSaved(logger, ex, summary.RunId);
        }

        return summary;
    }

    /// <summary>
    /// Runs one customer's work so that whatever goes wrong with it (a store error, a Stripe call that fails or times
    /// out) is the failure of its subscriptions in this run: the run goes on. Only the run's own cancellation stops it.
    /// </summary>
    private static async Task GuardAsync(Run run, IEnumerable<string> subscriptionIds, Func<Task> work)
    {
        try
        {
            await work().ConfigureAwait(false);
        }
        catch (Exception ex) when (!run.Cancellation.IsCancellationRequested)
        {
            foreach (var id in subscriptionIds)
            {
                run.Report.Fail(id, ex);
            }
        }
    }

    /// <summary>One customer in a chunk: its account as loaded and changed, what became of each subscription, and the entries read for it.</summary>
    private sealed record Look(LoadedAccount Loaded, IReadOnlyDictionary<string, ResetOutcome> Outcomes, IReadOnlyCollection<DueEntry> Read);

    /// <param name="Slots">The run's store slots, shared by the chunks in flight.</param>
    /// <param name="Report">Where the run's outcomes go: its summary, the metrics and the logs.</param>
    private sealed record Run(
        string Id, ResetRequest Request, DateTimeOffset AsOf, long Started, TimeSpan Budget, StoreSlots Slots, ResetPolicy Policy, RunReport Report, CancellationToken Cancellation)
    {
        public ResetRunRecorder Recorder => Report.Recorder;

        /// <summary>What the run applies to each customer it loads.</summary>
        public ResetJob Job { get; } = new(Id, Request.Trigger, AsOf, Request.DryRun, Policy);
    }
}
