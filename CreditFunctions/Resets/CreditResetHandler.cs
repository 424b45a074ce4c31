using CreditFunctions.Subscriptions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Resets;

/// <summary>
/// The one reset handler behind the timer, the HTTP twin and the webhook: reads what is due from the index,
/// decides per subscription with <see cref="ResetPlanner"/>, and commits each reset with one conditional write.
/// </summary>
public sealed class CreditResetHandler(
    ICreditStore store,
    IRenewalReconciler reconciler,
    TimeProvider time,
    IOptions<ResetOptions> options,
    ILogger<CreditResetHandler> logger)
{
    // A concurrent writer (a spender, a webhook) can win a few times in a row; past this the entry stays for the next run.
    private const int MaxCommitAttempts = 10;

    // Index writes are batched per chunk; 100 is also Azure's limit on operations in one batch.
    private const int ChunkSize = 100;

    private readonly ResetOptions _options = options.Value;

    public async Task<ResetRunResult> RunAsync(ResetRequest request, CancellationToken cancellationToken = default)
    {
        var started = time.GetTimestamp();
        var run = new RunContext(
            Guid.NewGuid().ToString("N"),
            request.Trigger,
            time.GetUtcNow(),
            request.DryRun,
            new ResetRunRecorder());
        ResetLog.RunStarted(logger, run.RunId, run.Trigger, run.AsOf, run.DryRun, request.SubscriptionId);

        var remaining = false;
        if (request.SubscriptionId is { } subscriptionId)
        {
            var subscription = await store.GetSubscriptionAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
            if (subscription is null)
            {
                return ResetRunResult.SubscriptionNotFound(subscriptionId);
            }

            run.Recorder.Examined();
            await ResetDueAsync(subscription, run, scheduled: null, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var budget = request.Trigger == ResetTrigger.Timer ? _options.TimerRunBudget : _options.ManualRunBudget;
            remaining = await DrainDueAsync(run, started, budget, cancellationToken).ConfigureAwait(false);
        }

        var summary = run.Recorder.ToSummary(
            run.RunId, run.Trigger, run.AsOf, run.DryRun, request.SubscriptionId, remaining, time.GetElapsedTime(started));
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

    private async Task<bool> DrainDueAsync(RunContext run, long started, TimeSpan budget, CancellationToken cancellationToken)
    {
        var chunk = new List<DueEntry>(ChunkSize);
        await foreach (var entry in store.ReadDueAsync(run.AsOf, cancellationToken).ConfigureAwait(false))
        {
            if (entry.DueAt > run.AsOf)
            {
                continue; // Later today: tomorrow's run (or a later manual one) takes it.
            }

            chunk.Add(entry);
            if (chunk.Count == ChunkSize)
            {
                if (!await ProcessChunkAsync(chunk, run, started, budget, cancellationToken).ConfigureAwait(false))
                {
                    ResetLog.BudgetReached(logger, run.RunId, budget);
                    return true;
                }

                chunk.Clear();
            }
        }

        if (chunk.Count > 0 && !await ProcessChunkAsync(chunk, run, started, budget, cancellationToken).ConfigureAwait(false))
        {
            ResetLog.BudgetReached(logger, run.RunId, budget);
            return true;
        }

        return false;
    }

    /// <summary>
    /// Handles up to <see cref="ChunkSize"/> due entries in four steps, so the index costs a couple of batch writes per
    /// chunk instead of two writes per subscription: read and decide; write every next index entry (batched per day);
    /// commit each reset on its own; drop the handled entries (batched). The order keeps crashes harmless: next entries
    /// exist before any commit, and old entries go only after theirs. Returns false if the time budget ran out.
    /// </summary>
    private async Task<bool> ProcessChunkAsync(
        List<DueEntry> entries, RunContext run, long started, TimeSpan budget, CancellationToken cancellationToken)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxParallelism, CancellationToken = cancellationToken };
        var looks = entries.GroupBy(e => e.SubscriptionId, StringComparer.Ordinal).Select(g => new Look(g.Key, [.. g])).ToArray();
        var outOfTime = false;

        await Parallel.ForEachAsync(looks, parallel, async (look, _) =>
        {
            if (time.GetElapsedTime(started) >= budget)
            {
                outOfTime = true;
                return;
            }

            run.Recorder.Examined();
            look.Started = true;
            await Guard(look, run, async () =>
            {
                look.Subscription = await store.GetSubscriptionAsync(look.SubscriptionId, cancellationToken).ConfigureAwait(false);
                look.Decision = look.Subscription is { } subscription ? ResetPlanner.Plan(subscription, run.AsOf, _options.AllowPastDue) : null;
            }).ConfigureAwait(false);
        }).ConfigureAwait(false);

        var active = looks.Where(l => l.Started && !l.Failed).ToList();
        if (!run.DryRun)
        {
            // Period-ended subscriptions are reconciled one by one and schedule themselves.
            var next = active.Where(l => l.Decision is { PeriodEnded: false, NextCheck: not null }).ToList();
            try
            {
                await store.ScheduleManyAsync([.. next.Select(l => new DueEntry(l.SubscriptionId, l.Decision!.NextCheck!.Value))], cancellationToken)
                    .ConfigureAwait(false);
                next.ForEach(l => l.Scheduled = l.Decision!.NextCheck);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Without their next entries these must not commit; their current entries stay for the next run.
                foreach (var look in next)
                {
                    Fail(look, run, ex);
                }
            }
        }

        await Parallel.ForEachAsync(active.Where(l => !l.Failed), parallel, async (look, _) =>
            await Guard(look, run, async () =>
            {
                if (look.Subscription is not { } subscription)
                {
                    Skip(run, look.SubscriptionId, SkipReason.SubscriptionMissing);
                }
                else
                {
                    look.Scheduled = await ResetDueAsync(subscription, run, look.Scheduled, cancellationToken).ConfigureAwait(false);
                }

                look.Done = true;
            }).ConfigureAwait(false)).ConfigureAwait(false);

        if (!run.DryRun)
        {
            // An entry whose subscription was rescheduled within the same day was overwritten by that write: it stays.
            var handled = looks.Where(l => l.Done)
                .SelectMany(l => l.Entries.Where(e => l.Scheduled is not { } next || !e.IsSameDay(next)))
                .ToList();
            try
            {
                await store.RemoveDueManyAsync(handled, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The resets are committed; leftover entries are stale and the next run drops them.
                ResetLog.IndexCleanupFailed(logger, ex, run.RunId, handled.Count);
            }
        }

        return !outOfTime;
    }

    private async Task Guard(Look look, RunContext run, Func<Task> work)
    {
        try
        {
            await work().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Fail(look, run, ex);
        }
    }

    private void Fail(Look look, RunContext run, Exception exception)
    {
        look.Failed = true;
        run.Recorder.Failed();
        ResetLog.ResetFailed(logger, exception, look.SubscriptionId, run.RunId);
    }

    /// <summary>
    /// Applies the reset at the start of <paramref name="periodStart"/>'s billing period (a paid renewal, or a new
    /// subscription's first allowance), with the same exactly-once key and commit as the timer's resets.
    /// </summary>
    /// <param name="subscription">The subscription as just read or written by the caller; a stale copy only costs a re-read.</param>
    public async Task<RenewalOutcome> ApplyRenewalAsync(
        Subscription subscription, DateTimeOffset periodStart, string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var run = new RunContext(runId, ResetTrigger.Webhook, time.GetUtcNow(), DryRun: false, new ResetRunRecorder());
        await ResetOneAsync(subscription, run, s => ResetPlanner.PlanRenewal(s, periodStart, run.AsOf), scheduled: null, cancellationToken)
            .ConfigureAwait(false);
        var summary = run.Recorder.ToSummary(runId, run.Trigger, run.AsOf, false, subscription.Id, false, TimeSpan.Zero);
        return summary.Counts.Reset == 1
            ? new RenewalOutcome(true, null)
            : new RenewalOutcome(false, summary.Skipped.SingleOrDefault()?.Reason ?? SkipReason.NotDue);
    }

    /// <returns>Where the subscription's next index entry now is.</returns>
    private async Task<DateTimeOffset?> ResetDueAsync(
        Subscription subscription, RunContext run, DateTimeOffset? scheduled, CancellationToken cancellationToken)
    {
        var allowPastDue = _options.AllowPastDue;
        if (ResetPlanner.Plan(subscription, run.AsOf, allowPastDue).PeriodEnded && !run.DryRun)
        {
            var reconciliation = await reconciler.ReconcileAsync(subscription, cancellationToken).ConfigureAwait(false);
            if (reconciliation is null)
            {
                ResetLog.RenewalMissing(logger, subscription.Id, subscription.PeriodEnd);
            }
            else if (reconciliation.PaidPeriodStart is { } paid)
            {
                return await ResetOneAsync(reconciliation.Current, run, s => ResetPlanner.PlanRenewal(s, paid, run.AsOf), scheduled, cancellationToken)
                    .ConfigureAwait(false);
            }
            else
            {
                subscription = reconciliation.Current;
            }
        }

        return await ResetOneAsync(subscription, run, s => ResetPlanner.Plan(s, run.AsOf, allowPastDue), scheduled, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <param name="scheduled">Where the next index entry already is, if the caller wrote it.</param>
    /// <returns>Where the subscription's next index entry now is.</returns>
    private async Task<DateTimeOffset?> ResetOneAsync(
        Subscription subscription,
        RunContext run,
        Func<Subscription, ResetDecision> plan,
        DateTimeOffset? scheduled,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var decision = plan(subscription);
            if (!run.DryRun && decision.NextCheck is { } nextCheck && nextCheck != scheduled)
            {
                // Written before the commit: a crash right after the commit still leaves the next look scheduled.
                await store.ScheduleAsync(subscription.Id, nextCheck, cancellationToken).ConfigureAwait(false);
                scheduled = nextCheck;
            }

            if (decision.Boundary is not { } boundary)
            {
                Skip(run, subscription.Id, decision.SkipReason ?? SkipReason.NotDue);
                if (decision.SkipReason == SkipReason.UnknownPlan)
                {
                    ResetLog.UnknownPlan(logger, subscription.Id, subscription.PriceId);
                }

                return scheduled;
            }

            var allowance = subscription.MonthlyAllowance!.Value;
            if (run.DryRun)
            {
                run.Recorder.Planned(new PlannedReset(subscription.Id, boundary, subscription.Balance, allowance));
                return scheduled;
            }

            var reset = new AppliedReset
            {
                SubscriptionId = subscription.Id,
                Boundary = boundary,
                BalanceBefore = subscription.Balance,
                BalanceAfter = allowance,
                Trigger = run.Trigger,
                RunId = run.RunId,
                AppliedAt = time.GetUtcNow(),
                SkippedBoundaries = decision.SkippedBoundaries,
            };
            switch (await store.TryApplyResetAsync(subscription, reset, scheduled, cancellationToken).ConfigureAwait(false))
            {
                case CommitResult.Applied:
                    run.Recorder.Reset();
                    if (reset.SkippedBoundaries.Count > 0)
                    {
                        ResetLog.CatchUp(logger, subscription.Id, boundary, reset.SkippedBoundaries.Count);
                    }

                    ResetLog.ResetApplied(logger, subscription.Id, boundary, reset.BalanceBefore, reset.BalanceAfter, run.Trigger, run.RunId);
                    return scheduled;
                case CommitResult.AlreadyApplied:
                    Skip(run, subscription.Id, SkipReason.AlreadyApplied);
                    return scheduled;
                case CommitResult.Conflict when attempt < MaxCommitAttempts:
                    // A short, jittered pause (real time, not the business clock) lets a busy spender's write land first.
                    await Task.Delay(Random.Shared.Next(1, 10 * attempt), cancellationToken).ConfigureAwait(false);
                    var reread = await store.GetSubscriptionAsync(subscription.Id, cancellationToken).ConfigureAwait(false);
                    if (reread is null)
                    {
                        Skip(run, subscription.Id, SkipReason.SubscriptionMissing);
                        return scheduled;
                    }

                    subscription = reread;
                    break;
                default:
                    throw new InvalidOperationException(
                        $"Subscription {subscription.Id} kept changing during {MaxCommitAttempts} reset attempts.");
            }
        }
    }

    private void Skip(RunContext run, string subscriptionId, string reason)
    {
        run.Recorder.Skipped(subscriptionId, reason);
        ResetLog.ResetSkipped(logger, subscriptionId, reason, run.RunId);
    }

    /// <summary>One subscription's look within a chunk: its due entries, what was read and decided, how it ended.</summary>
    private sealed class Look(string subscriptionId, List<DueEntry> entries)
    {
        public string SubscriptionId { get; } = subscriptionId;
        public List<DueEntry> Entries { get; } = entries;
        public Subscription? Subscription { get; set; }
        public ResetDecision? Decision { get; set; }
        public DateTimeOffset? Scheduled { get; set; }
        public bool Started { get; set; }
        public bool Failed { get; set; }
        public bool Done { get; set; }
    }

    private sealed record RunContext(string RunId, ResetTrigger Trigger, DateTimeOffset AsOf, bool DryRun, ResetRunRecorder Recorder);
}
