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
        var run = new Run(Guid.NewGuid().ToString("N"), request, time.GetUtcNow(), time.GetTimestamp(), budget);
        ResetLog.RunStarted(logger, run.Id, request.Trigger, run.AsOf, request.DryRun, request.SubscriptionId);

        var remaining = false;
        if (request.SubscriptionId is { } subscriptionId)
        {
            var subscription = await store.GetSubscriptionAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
            if (subscription is null)
            {
                return ResetRunResult.SubscriptionNotFound(subscriptionId);
            }

            await ResetOneAsync(subscription, run, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            remaining = await DrainDueAsync(run, cancellationToken).ConfigureAwait(false);
            if (remaining)
            {
                ResetLog.BudgetReached(logger, run.Id, budget);
            }
        }

        var summary = run.Recorder.ToSummary(
            run.Id, request.Trigger, run.AsOf, request.DryRun, request.SubscriptionId, remaining, time.GetElapsedTime(run.Started));
        ResetLog.RunFinished(
            logger, summary.RunId, summary.Counts.Examined, summary.Counts.Reset, summary.Counts.Skipped, summary.Counts.Failed,
            summary.Remaining, (long)summary.Duration.TotalMilliseconds);
        try
        {
            await store.SaveRunAsync(summary, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The resets are committed; a missing run record must not turn them into an error for the caller.
            ResetLog.SummaryNotSaved(logger, ex, summary.RunId);
        }

        return ResetRunResult.Completed(summary);
    }

    private async Task ResetOneAsync(Subscription subscription, Run run, CancellationToken cancellationToken)
    {
        run.Recorder.Examined();
        await GuardAsync(run, subscription.Id, async () =>
        {
            var look = await LookAsync(subscription, [], run, cancellationToken).ConfigureAwait(false);
            var outcome = await resetter.ApplyAsync(look.Subscription, look.Decision, look.Job, placed: null, cancellationToken).ConfigureAwait(false);
            if (!run.Request.DryRun)
            {
                await index.ReleaseAsync(subscription.Id, look.Subscription.DueAt, outcome.Placement, cancellationToken).ConfigureAwait(false);
            }

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
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Without their next entries these must not commit; their current entries stay for the next run.
                moved.ForEach(l => Fail(run, l.Subscription.Id, ex));
                toReset = [.. toReset.Except(moved)];
            }
        }

        await Parallel.ForEachAsync(toReset, parallel, async (look, _) =>
            await GuardAsync(run, look.Subscription.Id, async () =>
            {
                var outcome = await resetter.ApplyAsync(look.Subscription, look.Decision, look.Job, look.Placement, cancellationToken).ConfigureAwait(false);
                Record(run, look.Subscription.Id, outcome);
                handled.Add((look.Entries, outcome.Placement));
            }).ConfigureAwait(false)).ConfigureAwait(false);

        if (!run.Request.DryRun)
        {
            try
            {
                await index.ReleaseManyAsync(handled, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The resets are committed; leftover entries are stale and the next run drops them.
                ResetLog.IndexCleanupFailed(logger, ex, run.Id, handled.Sum(h => h.Entries.Count));
            }
        }

        return !outOfTime;
    }

    /// <summary>
    /// Decides once what to do with a subscription. A billing period that ended with no renewal seen is first recovered
    /// from Stripe (the reconciler only syncs what Stripe says and whether the new period is paid); the decision is then
    /// made on the copy it stored, with the renewal rule when the new period is paid.
    /// </summary>
    private async Task<Look> LookAsync(Subscription subscription, IReadOnlyList<DueEntry> entries, Run run, CancellationToken cancellationToken)
    {
        var allowPastDue = _options.AllowPastDue;
        var asOf = run.AsOf;
        Func<Subscription, ResetDecision> rule = s => ResetPlanner.Plan(s, asOf, allowPastDue);
        var decision = rule(subscription);
        if (decision.PeriodEnded && !run.Request.DryRun)
        {
            var recovered = await reconciler.ReconcileAsync(subscription, cancellationToken).ConfigureAwait(false);
            if (recovered is null)
            {
                ResetLog.RenewalMissing(logger, subscription.Id, subscription.Stripe.PeriodEnd);
            }
            else
            {
                subscription = recovered.Current;
                if (recovered.PaidPeriodStart is { } paid)
                {
                    rule = s => ResetPlanner.PlanRenewal(s, paid, asOf);
                }

                decision = rule(subscription);
            }
        }

        return new Look(subscription, entries, decision, new ResetJob(run.Id, run.Request.Trigger, asOf, run.Request.DryRun, rule));
    }

    private async Task GuardAsync(Run run, string subscriptionId, Func<Task> work)
    {
        try
        {
            await work().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
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

    private sealed record Run(string Id, ResetRequest Request, DateTimeOffset AsOf, long Started, TimeSpan Budget)
    {
        public ResetRunRecorder Recorder { get; } = new();
    }
}
