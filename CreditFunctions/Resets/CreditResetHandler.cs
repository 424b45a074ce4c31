using System.Collections.Concurrent;
using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using CreditFunctions.Subscriptions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Resets;

/// <summary>
/// The one reset handler behind the timer and the HTTP twin: drives a run over what the due index says is due (pages,
/// chunks, time budget, index upkeep, summary), or over one named subscription. Each subscription is decided once
/// with <see cref="ResetPlanner"/> and reset by <see cref="SubscriptionResetter"/>.
/// </summary>
public sealed class CreditResetHandler(
    ICreditStore store,
    DueIndex index,
    SubscriptionResetter resetter,
    IRenewalReconciler reconciler,
    TimeProvider time,
    IOptions<ResetOptions> options,
    ILogger<CreditResetHandler> logger)
{
    // Index writes are batched per chunk; 100 is also Azure's limit on operations in one batch.
    private const int ChunkSize = 100;

    private readonly ResetOptions _options = options.Value;

    public async Task<ResetRunResult> RunAsync(ResetRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var budget = request.Trigger == ResetTrigger.Timer ? _options.TimerRunBudget : _options.ManualRunBudget;
        var run = new Run(Guid.NewGuid().ToString("N"), request, time.GetUtcNow(), time.GetTimestamp(), budget, cancellationToken);
        ResetLog.RunStarted(logger, run.Id, request.Trigger, run.AsOf, request.DryRun, request.SubscriptionId);

        var remaining = true;
        try
        {
            if (request.SubscriptionId is { } subscriptionId)
            {
                var subscription = await store.GetSubscriptionAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
                if (subscription is null)
                {
                    return ResetRunResult.SubscriptionNotFound(subscriptionId);
                }

                await ResetOneAsync(subscription, run, cancellationToken).ConfigureAwait(false);
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

        return ResetRunResult.Completed(await SaveSummaryAsync(run, remaining, cancellationToken).ConfigureAwait(false));
    }

    private async Task<ResetRunSummary> SaveSummaryAsync(Run run, bool remaining, CancellationToken cancellationToken)
    {
        var summary = run.Recorder.ToSummary(
            run.Id, run.Request.Trigger, run.AsOf, run.Request.DryRun, run.Request.SubscriptionId, remaining, time.GetElapsedTime(run.Started));
        ResetLog.RunFinished(
            logger, summary.RunId, summary.Counts.Examined, summary.Counts.Reset, summary.Counts.Skipped, summary.Counts.Failed,
            summary.Remaining, (long)summary.Duration.TotalMilliseconds);
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

    private async Task ResetOneAsync(Subscription subscription, Run run, CancellationToken cancellationToken)
    {
        run.Recorder.Examined();
        await GuardAsync(run, subscription.Id, async () =>
        {
            var look = await LookAsync(subscription, [], run, cancellationToken).ConfigureAwait(false);
            var outcome = await resetter.ResetAsync(look.Subscription, look.Decision, look.Job, cancellationToken).ConfigureAwait(false);
            Record(run, subscription.Id, outcome);
        }).ConfigureAwait(false);
    }

    /// <returns>Whether due entries were left when the time budget ran out.</returns>
    private async Task<bool> DrainDueAsync(Run run, CancellationToken cancellationToken)
    {
        var chunk = new List<DueEntry>(ChunkSize);
        await foreach (var entry in index.ReadDueAsync(run.AsOf, cancellationToken).ConfigureAwait(false))
        {
            if (entry.DueAt > run.AsOf)
            {
                continue; // Later today: tomorrow's run (or a later manual one) takes it.
            }

            chunk.Add(entry);
            if (chunk.Count == ChunkSize)
            {
                if (!await ProcessChunkAsync(chunk, run, cancellationToken).ConfigureAwait(false))
                {
                    return true;
                }

                chunk.Clear();
            }
        }

        return chunk.Count > 0 && !await ProcessChunkAsync(chunk, run, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Handles up to <see cref="ChunkSize"/> due entries in four steps, so the index costs a couple of batch writes per
    /// chunk instead of two writes per subscription: read and decide; write every next index entry (batched per day);
    /// reset each subscription; drop the handled entries (batched). The order keeps crashes harmless: next entries
    /// exist before any commit, and old entries go only after theirs. Returns false if the time budget ran out.
    /// </summary>
    private async Task<bool> ProcessChunkAsync(List<DueEntry> entries, Run run, CancellationToken cancellationToken)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxParallelism, CancellationToken = cancellationToken };
        var looks = new ConcurrentBag<Look>();
        var handled = new ConcurrentBag<(IReadOnlyList<DueEntry> Entries, DateTimeOffset? Placement)>();
        var outOfTime = false;
        await Parallel.ForEachAsync(entries.GroupBy(e => e.SubscriptionId, StringComparer.Ordinal), parallel, async (group, _) =>
        {
            if (time.GetElapsedTime(run.Started) >= run.Budget)
            {
                outOfTime = true;
                return;
            }

            run.Recorder.Examined();
            await GuardAsync(run, group.Key, async () =>
            {
                if (await store.GetSubscriptionAsync(group.Key, cancellationToken).ConfigureAwait(false) is { } subscription)
                {
                    looks.Add(await LookAsync(subscription, [.. group], run, cancellationToken).ConfigureAwait(false));
                }
                else
                {
                    Skip(run, group.Key, SkipReason.SubscriptionMissing);
                    handled.Add(([.. group], null));
                }
            }).ConfigureAwait(false);
        }).ConfigureAwait(false);

        var toReset = looks.ToList();
        if (!run.Request.DryRun)
        {
            var moved = toReset.Where(l => l.Placement is { } at && at != l.Subscription.DueAt).ToList();
            try
            {
                await index.PlaceManyAsync([.. moved.Select(l => new DueEntry(l.Subscription.Id, l.Placement!.Value))], cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Without their next entries these must not commit; their current entries stay for the next run.
                moved.ForEach(l => Fail(run, l.Subscription.Id, ex));
                toReset = [.. toReset.Except(moved)];
            }
        }

        await Parallel.ForEachAsync(toReset, parallel, async (look, _) =>
            await GuardAsync(run, look.Subscription.Id, async () =>
            {
                // The entries read go in one batch below; an entry the row points at that this run did not read (a
                // reconciling sync just put it there, say) goes with the commit.
                var pointerUnread = look.Subscription.DueAt is { } pointer && look.Entries.All(e => e.DueAt != pointer);
                var placed = look.Placement is { } at && at != look.Subscription.DueAt ? at : (DateTimeOffset?)null;
                var outcome = await resetter.ApplyAsync(look.Subscription, look.Decision, look.Job, placed, pointerUnread, cancellationToken).ConfigureAwait(false);
                Record(run, look.Subscription.Id, outcome);
                handled.Add((look.Entries, outcome.Placement));
            }).ConfigureAwait(false)).ConfigureAwait(false);

        if (!run.Request.DryRun)
        {
            try
            {
                await index.ReleaseManyAsync(handled, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // The resets are committed; leftover entries are stale and the next run drops them.
                ResetLog.IndexCleanupFailed(logger, ex, run.Id, handled.Sum(h => h.Entries.Count));
            }
        }

        return !outOfTime;
    }

    /// <summary>
    /// Decides once what to do with a subscription. One that cannot be decided on what is stored (its period ended with
    /// no renewal seen, or its payment is unconfirmed past the grace) is first brought up to date from Stripe: the
    /// reconciler only syncs what Stripe says, and the decision is then made on the copy it stored.
    /// </summary>
    private async Task<Look> LookAsync(Subscription subscription, IReadOnlyList<DueEntry> entries, Run run, CancellationToken cancellationToken)
    {
        var job = new ResetJob(run.Id, run.Request.Trigger, run.AsOf, run.Request.DryRun, _options.Policy);
        var decision = job.Decide(subscription);
        if (decision.NeedsStripe && !run.Request.DryRun)
        {
            if (await reconciler.ReconcileAsync(subscription, cancellationToken).ConfigureAwait(false) is { } current)
            {
                subscription = current;
                decision = job.Decide(subscription);
            }
            else if (decision.SkipReason == SkipReason.AwaitingRenewal)
            {
                ResetLog.RenewalMissing(logger, subscription.Id, subscription.Stripe.PeriodEnd);
            }
            else
            {
                ResetLog.RenewalUnconfirmed(logger, subscription.Id, subscription.Stripe.PeriodStart);
            }
        }

        return new Look(subscription, entries, decision, job);
    }

    /// <summary>
    /// Runs one subscription's work so that whatever goes wrong with it (a store error, a Stripe call that fails or times
    /// out) is that subscription's failure: the run goes on. Only the run's own cancellation stops it.
    /// </summary>
    private async Task GuardAsync(Run run, string subscriptionId, Func<Task> work)
    {
        try
        {
            await work().ConfigureAwait(false);
        }
        catch (Exception ex) when (!run.Cancellation.IsCancellationRequested)
        {
            Fail(run, subscriptionId, ex);
        }
    }

    private static void Record(Run run, string subscriptionId, ResetOutcome outcome)
    {
        if (outcome.Applied is not null)
        {
            run.Recorder.Reset();
        }
        else if (outcome.Planned is { } planned)
        {
            run.Recorder.Planned(planned);
        }
        else
        {
            run.Recorder.Skipped(subscriptionId, outcome.SkipReason!);
        }
    }

    private void Skip(Run run, string subscriptionId, string reason)
    {
        run.Recorder.Skipped(subscriptionId, reason);
        ResetLog.ResetSkipped(logger, subscriptionId, reason, run.Id);
    }

    private void Fail(Run run, string subscriptionId, Exception exception)
    {
        run.Recorder.Failed();
        ResetLog.ResetFailed(logger, exception, subscriptionId, run.Id);
    }

    /// <summary>One subscription of a run: the copy read, its due entries, the decision made once, and the rule to re-decide with.</summary>
    private sealed record Look(Subscription Subscription, IReadOnlyList<DueEntry> Entries, ResetDecision Decision, ResetJob Job)
    {
        /// <summary>Where the entry goes once the decision is carried out.</summary>
        public DateTimeOffset? Placement => DueIndex.Placement(Decision, carriedOut: true, Job.AsOf);
    }

    private sealed record Run(string Id, ResetRequest Request, DateTimeOffset AsOf, long Started, TimeSpan Budget, CancellationToken Cancellation)
    {
        public ResetRunRecorder Recorder { get; } = new();
    }
}
