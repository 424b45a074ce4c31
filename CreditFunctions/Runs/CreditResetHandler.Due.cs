using System.Collections.Concurrent;
using CreditFunctions.Resets;
using CreditFunctions.Scheduling;
using CreditFunctions.Storage;

namespace CreditFunctions.Runs;

/// <summary>A run over what the due index says is due: chunks of entries, each customer loaded once, saved together.</summary>
public sealed partial class CreditResetHandler
{
    /// <returns>Whether due entries were left when the time budget ran out.</returns>
    private Task<bool> DrainDueAsync(Run run, CancellationToken cancellationToken) =>
        RunChunks.DrainAsync(
            store.ReadDueAsync(run.AsOf, cancellationToken),
            entry => entry.DueAt <= run.AsOf, // Later today: tomorrow's run (or a later manual one) takes it.
            chunk => ProcessChunkAsync(chunk, run, cancellationToken));

    /// <summary>
    /// Handles up to <see cref="RunChunks.Size"/> due entries: loads each customer once and applies what is due to the
    /// subscriptions its entries name; then saves the chunk's accounts (<see cref="AccountRepository.SaveManyAsync"/>: the
    /// next entries in one batch per day before any write, the handled ones removed in one batch after), so the index
    /// costs a couple of batch writes per chunk instead of two writes per subscription. An account another writer changed
    /// meanwhile is loaded again and applied again on its own. Returns false if the time budget ran out.
    /// </summary>
    private async Task<bool> ProcessChunkAsync(List<DueEntry> entries, Run run, CancellationToken cancellationToken)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxParallelism, CancellationToken = cancellationToken };
        var looks = new ConcurrentBag<Look>();
        var orphans = new ConcurrentBag<DueEntry>();
        var outOfTime = false;
        await Parallel.ForEachAsync(entries.GroupBy(e => e.CustomerId, StringComparer.Ordinal), parallel, async (customer, _) =>
        {
            // The budget is checked once a store slot is free, so customers waiting in line behind other chunks do not
            // start after it ran out.
            using var slot = await run.Slots.TakeAsync(cancellationToken).ConfigureAwait(false);
            if (time.GetElapsedTime(run.Started) >= run.Budget)
            {
                outOfTime = true;
                return;
            }

            // An entry keyed by the customer itself is the account's own (a grant's expiry, say): not a subscription to report.
            var own = customer.Where(e => e.SubscriptionId == customer.Key).ToList();
            var bySubscription = customer.Where(e => e.SubscriptionId != customer.Key)
                .GroupBy(e => e.SubscriptionId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
            foreach (var examined in bySubscription)
            {
                run.Recorder.Examined();
            }

            await GuardAsync(run, bySubscription.Keys, async () =>
            {
                var loaded = await accounts.LoadAsync(customer.Key, cancellationToken).ConfigureAwait(false);
                var present = bySubscription.Keys.Where(id => loaded.Stored?.State.Find(id) is not null).ToList();
                foreach (var id in bySubscription.Keys.Except(present))
                {
                    run.Report.Skip(id, SkipReason.SubscriptionMissing);
                    bySubscription[id].ForEach(orphans.Add);
                }

                if (loaded.Stored is null)
                {
                    own.ForEach(orphans.Add);
                }
                else if (present.Count > 0 || own.Count > 0)
                {
                    loaded = await ReconcileAsync(loaded, present, run, cancellationToken).ConfigureAwait(false);
                    var outcomes = loaded.Account.ApplyDue(run.Job, present);
                    looks.Add(new Look(loaded, outcomes, [.. present.SelectMany(id => bySubscription[id]), .. own]));
                }
            }).ConfigureAwait(false);
        }).ConfigureAwait(false);

        var looked = looks.ToList();
        if (run.Request.DryRun)
        {
            foreach (var look in looked)
            {
                run.Report.Outcomes(look.Outcomes, look.Loaded.Account.State);
            }

            return !outOfTime;
        }

        var (saves, stale) = await accounts.SaveManyAsync(
            [.. looked.Select(l => new ChunkItem(l.Loaded, l.Read))],
            [.. orphans],
            async call =>
            {
                using var slot = await run.Slots.TakeAsync(cancellationToken).ConfigureAwait(false);
                await call().ConfigureAwait(false);
            },
            _options.MaxParallelism,
            cancellationToken).ConfigureAwait(false);
        await ReleaseAsync(run, stale, cancellationToken).ConfigureAwait(false);

        await Parallel.ForEachAsync(saves.Zip(looked), parallel, async (pair, _) =>
        {
            var (save, look) = (pair.First, pair.Second);
            var ids = look.Outcomes.Keys.ToList();
            if (save.Failure is { } failure)
            {
                ids.ForEach(id => run.Report.Fail(id, failure));
                return;
            }

            if (save.Status != SaveStatus.Conflict)
            {
                run.Report.Outcomes(look.Outcomes, look.Loaded.Account.State);
                return;
            }

            // Another writer (a spend, a webhook, another run) changed the account in between: again, on its own.
            await GuardAsync(run, ids, async () =>
            {
                Changed<IReadOnlyDictionary<string, ResetOutcome>> changed;
                using (await run.Slots.TakeAsync(cancellationToken).ConfigureAwait(false))
                {
                    changed = await accounts.ChangeAsync(
                        look.Loaded.Account.CustomerId,
                        (a, _) => Task.FromResult(a.ApplyDue(run.Job, ids)),
                        known: null,
                        moves: save.Moves,
                        cancellationToken: cancellationToken).ConfigureAwait(false);
                }

                run.Report.Outcomes(changed.Result, changed.Account.State);
                var kept = changed.Due ?? new Dictionary<string, DueEntry>();
                await ReleaseAsync(run, [.. look.Read.Where(e => !(kept.TryGetValue(e.SubscriptionId, out var k) && k.IsSameRow(e)))], cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }).ConfigureAwait(false);

        return !outOfTime;
    }

    /// <summary>Removes handled entries no row names any more; if that fails they are stale, and the next run drops them.</summary>
    private async Task ReleaseAsync(Run run, IReadOnlyCollection<DueEntry> stale, CancellationToken cancellationToken)
    {
        if (stale.Count == 0)
        {
            return;
        }

        try
        {
            using var slot = await run.Slots.TakeAsync(cancellationToken).ConfigureAwait(false);
            await store.RemoveDueManyAsync(stale, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The resets are committed; leftover entries are stale and the next run drops them.
            ResetLog.IndexCleanupFailed(logger, ex, run.Id, stale.Count);
        }
    }

    /// <summary>
    /// A subscription that cannot be decided on what is stored (its period ended with no renewal seen, or its payment is
    /// unconfirmed past the grace) is first brought up to date from Stripe: the reconciler only syncs what Stripe says, and
    /// what is due is then applied to the account it stored.
    /// </summary>
    private async Task<LoadedAccount> ReconcileAsync(LoadedAccount loaded, IReadOnlyCollection<string> subscriptionIds, Run run, CancellationToken cancellationToken)
    {
        var reconciled = false;
        foreach (var id in subscriptionIds)
        {
            var subscription = loaded.Account.State.Find(id)!;
            var decision = ResetPlanner.Plan(subscription, run.AsOf, run.Policy);
            if (!decision.NeedsStripe || run.Request.DryRun)
            {
                continue;
            }

            if (await reconciler.ReconcileAsync(subscription, cancellationToken).ConfigureAwait(false) is not null)
            {
                reconciled = true;
                continue;
            }

            if (decision.SkipReason == SkipReason.AwaitingRenewal)
            {
                ResetLog.RenewalMissing(logger, id, subscription.Stripe.PeriodEnd);
            }
            else
            {
                ResetLog.RenewalUnconfirmed(logger, id, subscription.Stripe.PeriodStart);
            }

            if (decision.WaitingSince is { } since)
            {
                metrics.RenewalWaiting(decision.SkipReason!, run.AsOf - since);
            }
        }

        return reconciled ? await accounts.LoadAsync(loaded.Account.CustomerId, cancellationToken).ConfigureAwait(false) : loaded;
    }
}
