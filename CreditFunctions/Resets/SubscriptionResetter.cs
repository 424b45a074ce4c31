using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using CreditFunctions.Subscriptions;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Resets;

/// <summary>
/// Resets one subscription: carries out a decision with one conditional write (the balance with If-Match, plus the
/// reset record keyed by the boundary), and when the subscription changed since it was read, reads it again, decides
/// again and retries. Used by the runs, the one-subscription manual run, the webhooks and the import alike.
/// </summary>
public sealed class SubscriptionResetter(ICreditStore store, DueIndex index, TimeProvider time, ILogger<SubscriptionResetter> logger)
{
    // A concurrent writer (a spender, a webhook) can win a few times in a row; past this the entry stays for the next run.
    private const int MaxCommitAttempts = 10;

    /// <summary>
    /// Resets one subscription on its own (a webhook, the import, a one-subscription manual run): moves its index entry,
    /// commits, and takes the old entry away.
    /// </summary>
    public Task<ResetOutcome> ResetAsync(Subscription subscription, ResetDecision decision, ResetJob job, CancellationToken cancellationToken = default) =>
        ApplyAsync(subscription, decision, job, placed: null, releasePointer: true, cancellationToken);

    /// <summary>Carries out <paramref name="decision"/>, retrying on a concurrent change as long as it stays worth it.</summary>
    /// <param name="subscription">The copy <paramref name="decision"/> was made from; a stale one only costs a re-read.</param>
    /// <param name="placed">Where the caller already put the next index entry (a run does a whole chunk before any commit).</param>
    /// <param name="releasePointer">
    /// Whether to take away the entry the row pointed at once the commit moved it; a run removes the entries it read
    /// itself, in one batch per chunk.
    /// </param>
    public async Task<ResetOutcome> ApplyAsync(
        Subscription subscription, ResetDecision decision, ResetJob job, DateTimeOffset? placed, bool releasePointer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(job);
        var move = index.Move(subscription.Id);
        if (placed is { } byCaller)
        {
            move.Adopt(byCaller);
        }

        for (var attempt = 1; ; attempt++)
        {
            var placement = DueIndex.Placement(decision, carriedOut: true, job.AsOf);
            if (!job.DryRun)
            {
                // Before the commit: a crash right after it still leaves the next look scheduled.
                await move.PlaceAsync(placement, subscription.DueAt, cancellationToken).ConfigureAwait(false);
            }

            AppliedReset? reset = null;
            if (decision.Boundary is not { } boundary)
            {
                if (job.DryRun || placement is not { } moved || moved == subscription.DueAt)
                {
                    if (!job.DryRun)
                    {
                        await move.AbandonAsync(subscription.DueAt, cancellationToken).ConfigureAwait(false);
                    }

                    return Skipped(subscription, decision.SkipReason ?? SkipReason.NotDue, job, placement);
                }

                // The entry moved: the row must know where, so deleting the subscription can take the entry along.
            }
            else if (job.DryRun)
            {
                var after = job.RecordOnly ? subscription.Balance : subscription.Stripe.MonthlyAllowance!.Value;
                return ResetOutcome.WouldApply(new PlannedReset(subscription.Id, boundary, subscription.Balance, after), placement);
            }
            else
            {
                reset = new AppliedReset
                {
                    SubscriptionId = subscription.Id,
                    Boundary = boundary,
                    BalanceBefore = subscription.Balance,
                    BalanceAfter = job.RecordOnly ? subscription.Balance : subscription.Stripe.MonthlyAllowance!.Value,
                    Trigger = job.Trigger,
                    RunId = job.RunId,
                    AppliedAt = time.GetUtcNow(),
                    SkippedBoundaries = decision.SkippedBoundaries,
                    RecordOnly = job.RecordOnly,
                };
            }

            switch (await store.TryCommitAsync(subscription, reset, placement, cancellationToken).ConfigureAwait(false))
            {
                case CommitResult.Applied:
                    await move.CommitAsync(placement, subscription.DueAt, releasePointer, cancellationToken).ConfigureAwait(false);
                    if (reset is null)
                    {
                        return Skipped(subscription, decision.SkipReason ?? SkipReason.NotDue, job, placement);
                    }

                    if (reset.SkippedBoundaries.Count > 0)
                    {
                        ResetLog.CatchUp(logger, subscription.Id, reset.Boundary, reset.SkippedBoundaries.Count);
                    }

                    ResetLog.ResetApplied(logger, subscription.Id, reset.Boundary, reset.BalanceBefore, reset.BalanceAfter, job.Trigger, job.RunId);
                    return ResetOutcome.Done(reset, placement);
                case CommitResult.AlreadyApplied:
                    // Whoever applied it moved the entry by the same rule to the same place.
                    await move.AbandonAsync(placement, cancellationToken).ConfigureAwait(false);
                    return Skipped(subscription, SkipReason.AlreadyApplied, job, placement);
                case CommitResult.Conflict when attempt < MaxCommitAttempts:
                    // A short, jittered pause (real time, not the business clock) lets a busy spender's write land first.
                    await Task.Delay(Random.Shared.Next(1, 10 * attempt), cancellationToken).ConfigureAwait(false);
                    var reread = await store.GetSubscriptionAsync(subscription.Id, cancellationToken).ConfigureAwait(false);
                    if (reread is null)
                    {
                        await move.AbandonAsync(null, cancellationToken).ConfigureAwait(false);
                        return Skipped(subscription, SkipReason.SubscriptionMissing, job, placement: null);
                    }

                    subscription = reread;
                    decision = job.Decide(subscription);
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
