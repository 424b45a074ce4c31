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
            await ResetDueAsync(subscription, run, cancellationToken).ConfigureAwait(false);
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
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var remaining = false;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxParallelism, CancellationToken = stop.Token };
        try
        {
            await Parallel.ForEachAsync(store.ReadDueAsync(run.AsOf, stop.Token), parallel, async (entry, _) =>
            {
                if (time.GetElapsedTime(started) >= budget)
                {
                    if (!remaining)
                    {
                        remaining = true;
                        ResetLog.BudgetReached(logger, run.RunId, budget);
                    }

                    await stop.CancelAsync().ConfigureAwait(false);
                    return;
                }

                // Work in flight finishes on the caller's token, not the budget's: a commit is never cut in half.
                await ProcessEntryAsync(entry, run, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (remaining && !cancellationToken.IsCancellationRequested)
        {
        }

        return remaining;
    }

    private async Task ProcessEntryAsync(DueEntry entry, RunContext run, CancellationToken cancellationToken)
    {
        if (entry.DueAt > run.AsOf)
        {
            return; // Later today: tomorrow's run (or a later manual one) takes it.
        }

        run.Recorder.Examined();
        try
        {
            var subscription = await store.GetSubscriptionAsync(entry.SubscriptionId, cancellationToken).ConfigureAwait(false);
            if (subscription is null)
            {
                Skip(run, entry.SubscriptionId, SkipReason.SubscriptionMissing);
            }
            else
            {
                await ResetDueAsync(subscription, run, cancellationToken).ConfigureAwait(false);
            }

            if (!run.DryRun)
            {
                // The next entry is written already, so dropping this one loses nothing; if it was rewritten meanwhile, it stays.
                await store.RemoveDueAsync(entry, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            run.Recorder.Failed();
            ResetLog.ResetFailed(logger, ex, entry.SubscriptionId, run.RunId);
        }
    }

    /// <summary>
    /// Applies the reset at the start of <paramref name="periodStart"/>'s billing period (a paid renewal, or a new
    /// subscription's first allowance), with the same exactly-once key and commit as the timer's resets.
    /// </summary>
    public async Task<RenewalOutcome> ApplyRenewalAsync(
        string subscriptionId, DateTimeOffset periodStart, string runId, CancellationToken cancellationToken = default)
    {
        var run = new RunContext(runId, ResetTrigger.Webhook, time.GetUtcNow(), DryRun: false, new ResetRunRecorder());
        var subscription = await store.GetSubscriptionAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
        if (subscription is null)
        {
            return new RenewalOutcome(false, SkipReason.SubscriptionMissing);
        }

        await ResetOneAsync(subscription, run, s => ResetPlanner.PlanRenewal(s, periodStart, run.AsOf), cancellationToken)
            .ConfigureAwait(false);
        var summary = run.Recorder.ToSummary(runId, run.Trigger, run.AsOf, false, subscriptionId, false, TimeSpan.Zero);
        return summary.Counts.Reset == 1
            ? new RenewalOutcome(true, null)
            : new RenewalOutcome(false, summary.Skipped.SingleOrDefault()?.Reason ?? SkipReason.NotDue);
    }

    private async Task ResetDueAsync(Subscription subscription, RunContext run, CancellationToken cancellationToken)
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
                await ResetOneAsync(reconciliation.Current, run, s => ResetPlanner.PlanRenewal(s, paid, run.AsOf), cancellationToken)
                    .ConfigureAwait(false);
                return;
            }
            else
            {
                subscription = reconciliation.Current;
            }
        }

        await ResetOneAsync(subscription, run, s => ResetPlanner.Plan(s, run.AsOf, allowPastDue), cancellationToken).ConfigureAwait(false);
    }

    private async Task ResetOneAsync(
        Subscription subscription, RunContext run, Func<Subscription, ResetDecision> plan, CancellationToken cancellationToken)
    {
        DateTimeOffset? scheduled = null;
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

                return;
            }

            var allowance = subscription.MonthlyAllowance!.Value;
            if (run.DryRun)
            {
                run.Recorder.Planned(new PlannedReset(subscription.Id, boundary, subscription.Balance, allowance));
                return;
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
                    return;
                case CommitResult.AlreadyApplied:
                    Skip(run, subscription.Id, SkipReason.AlreadyApplied);
                    return;
                case CommitResult.Conflict when attempt < MaxCommitAttempts:
                    // A short, jittered pause (real time, not the business clock) lets a busy spender's write land first.
                    await Task.Delay(Random.Shared.Next(1, 10 * attempt), cancellationToken).ConfigureAwait(false);
                    var reread = await store.GetSubscriptionAsync(subscription.Id, cancellationToken).ConfigureAwait(false);
                    if (reread is null)
                    {
                        Skip(run, subscription.Id, SkipReason.SubscriptionMissing);
                        return;
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

    private sealed record RunContext(string RunId, ResetTrigger Trigger, DateTimeOffset AsOf, bool DryRun, ResetRunRecorder Recorder);
}
