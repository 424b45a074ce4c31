using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using CreditFunctions.Subscriptions;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Resets;

/// <summary>
/// Resets one subscription: carries out a decision with one conditional write (the balance with If-Match, plus the
/// reset record keyed by the boundary), and when the subscription changed since it was read, reads it again, decides
/// again and retries. Used by the runs, the one-subscription manual run and the webhook's renewals alike.
/// </summary>
public sealed class SubscriptionResetter(ICreditStore store, DueIndex index, TimeProvider time, ILogger<SubscriptionResetter> logger)
{
    // A concurrent writer (a spender, a webhook) can win a few times in a row; past this the entry stays for the next run.
    private const int MaxCommitAttempts = 10;

    /// <param name="subscription">The copy <paramref name="decision"/> was made from; a stale one only costs a re-read.</param>
    /// <param name="placed">
    /// Where the subscription's index entry is now, if the caller already moved it (a run places a whole chunk's next
    /// entries before any commit); null when it is where the subscription's <see cref="Subscription.DueAt"/> says.
    /// </param>
    public async Task<ResetOutcome> ApplyAsync(
        Subscription subscription, ResetDecision decision, ResetJob job, DateTimeOffset? placed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(job);
        placed ??= subscription.DueAt;
        for (var attempt = 1; ; attempt++)
        {
            var placement = DueIndex.Placement(decision, carriedOut: true, job.AsOf);
            if (!job.DryRun)
            {
                // Before the commit: a crash right after it still leaves the next look scheduled.
                await index.PlaceAsync(subscription.Id, placement, placed, cancellationToken).ConfigureAwait(false);
                placed = placement ?? placed;
            }

            if (decision.Boundary is not { } boundary)
            {
                return Skipped(subscription, decision.SkipReason ?? SkipReason.NotDue, job, placement);
            }

            var allowance = subscription.Stripe.MonthlyAllowance!.Value;
            if (job.DryRun)
            {
                return ResetOutcome.WouldApply(new PlannedReset(subscription.Id, boundary, subscription.Balance, allowance), placement);
            }

            var reset = new AppliedReset
            {
                SubscriptionId = subscription.Id,
                Boundary = boundary,
                BalanceBefore = subscription.Balance,
                BalanceAfter = allowance,
                Trigger = job.Trigger,
                RunId = job.RunId,
                AppliedAt = time.GetUtcNow(),
                SkippedBoundaries = decision.SkippedBoundaries,
            };
            switch (await store.TryApplyResetAsync(subscription, reset, placement, cancellationToken).ConfigureAwait(false))
            {
                case CommitResult.Applied:
                    if (reset.SkippedBoundaries.Count > 0)
                    {
                        ResetLog.CatchUp(logger, subscription.Id, boundary, reset.SkippedBoundaries.Count);
                    }

                    ResetLog.ResetApplied(logger, subscription.Id, boundary, reset.BalanceBefore, reset.BalanceAfter, job.Trigger, job.RunId);
                    return ResetOutcome.Done(reset, placement);
                case CommitResult.AlreadyApplied:
                    return Skipped(subscription, SkipReason.AlreadyApplied, job, placement);
                case CommitResult.Conflict when attempt < MaxCommitAttempts:
                    // A short, jittered pause (real time, not the business clock) lets a busy spender's write land first.
                    await Task.Delay(Random.Shared.Next(1, 10 * attempt), cancellationToken).ConfigureAwait(false);
                    var reread = await store.GetSubscriptionAsync(subscription.Id, cancellationToken).ConfigureAwait(false);
                    if (reread is null)
                    {
                        return Skipped(subscription, SkipReason.SubscriptionMissing, job, placement: null);
                    }

                    subscription = reread;
                    decision = job.Replan(subscription);
                    break;
                default:
                    throw new InvalidOperationException(
                        $"Subscription {subscription.Id} kept changing during {MaxCommitAttempts} reset attempts.");
            }
        }
    }

    private ResetOutcome Skipped(Subscription subscription, string reason, ResetJob job, DateTimeOffset? placement)
    {
        if (reason == SkipReason.UnknownPlan)
        {
            ResetLog.UnknownPlan(logger, subscription.Id, subscription.Stripe.PriceId);
        }

        ResetLog.ResetSkipped(logger, subscription.Id, reason, job.RunId);
        return ResetOutcome.Skip(reason, placement);
    }
}
