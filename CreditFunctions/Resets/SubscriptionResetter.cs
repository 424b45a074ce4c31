using CreditFunctions.Accounts;
using CreditFunctions.Storage;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Resets;

/// <summary>
/// Applies what is due to subscriptions of one customer in one conditional write of the customer's account: each
/// decided once (again only after a lost race), the reset records keyed by (subscription, boundary), the plan buckets
/// and the ledger in the same transaction. Used by the runs, the manual reset and the import; the webhooks and the
/// credits API apply what is due as part of their own writes, through the same <see cref="AccountDraft"/>.
/// </summary>
public sealed class SubscriptionResetter(AccountWriter writer, ICreditStore store, ILogger<SubscriptionResetter> logger)
{
    /// <param name="decided">Decisions the caller made on <paramref name="known"/>, carried out as they are on the first attempt.</param>
    /// <param name="known">The account as the caller read it (saves a read).</param>
    /// <param name="scope">Inside a run: the index entries it placed and those it read.</param>
    /// <returns>What became of each subscription, with where its index entry is after the write.</returns>
    public async Task<IReadOnlyDictionary<string, ResetOutcome>> ResetAsync(
        string customerId,
        IReadOnlyCollection<string> subscriptionIds,
        ResetJob job,
        IReadOnlyDictionary<string, ResetDecision>? decided = null,
        CustomerAccount? known = null,
        RunIndexScope? scope = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptionIds);
        ArgumentNullException.ThrowIfNull(job);
        if (job.DryRun)
        {
            var read = known ?? await store.GetAccountAsync(customerId, cancellationToken).ConfigureAwait(false);
            return Log(new AccountDraft(read, customerId, job.AsOf, job.Policy).ApplyDue(job, subscriptionIds, decided), job, read);
        }

        var update = await writer.UpdateAsync(
            customerId,
            (draft, attempt) => new DraftResult<IReadOnlyDictionary<string, ResetOutcome>>(
                draft.ApplyDue(job, subscriptionIds, attempt == 1 && known is not null ? decided : null)),
            scope,
            known,
            cancellationToken).ConfigureAwait(false);

        // Where each entry is now: what the write stored (the index rule's placement).
        var placed = update.Answer.ToDictionary(o => o.Key, o => o.Value.WithPlacement(update.Stored?.Find(o.Key)?.DueAt), StringComparer.Ordinal);
        return Log(placed, job, update.Stored);
    }

    private IReadOnlyDictionary<string, ResetOutcome> Log(IReadOnlyDictionary<string, ResetOutcome> outcomes, ResetJob job, CustomerAccount? account)
    {
        foreach (var (id, outcome) in outcomes)
        {
            if (outcome.Applied is { } reset)
            {
                if (reset.SkippedBoundaries.Count > 0)
                {
                    ResetLog.CatchUp(logger, id, reset.Boundary, reset.SkippedBoundaries.Count);
                }

                ResetLog.ResetApplied(logger, id, reset.Boundary, reset.BalanceBefore, reset.BalanceAfter, job.Trigger, job.RunId);
            }
            else if (outcome.SkipReason is { } reason)
            {
                if (reason == SkipReason.UnknownPlan)
                {
                    ResetLog.UnknownPlan(logger, id, account?.Find(id)?.Stripe.PriceId ?? "");
                }

                ResetLog.ResetSkipped(logger, id, reason, job.RunId);
            }
        }

        return outcomes;
    }
}
