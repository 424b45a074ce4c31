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
public sealed class CreditResetHandler(
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
        var run = new Run(Guid.NewGuid().ToString("N"), request, time.GetUtcNow(), time.GetTimestamp(), budget, slots, _options.Policy, cancellationToken);
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
                Record(run, loaded.Account.ApplyDue(run.Job, targets), loaded.Account.State);
                return;
            }

            var changed = await accounts.ChangeAsync(
                loaded.Account.CustomerId, (a, _) => Task.FromResult(a.ApplyDue(run.Job, targets)), known: loaded, cancellationToken: cancellationToken).ConfigureAwait(false);
            Record(run, changed.Result, changed.Account.State);
        }).ConfigureAwait(false);
        return null;
    }

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

            var bySubscription = customer.GroupBy(e => e.SubscriptionId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
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
                    Skip(run, id, SkipReason.SubscriptionMissing);
                    bySubscription[id].ForEach(orphans.Add);
                }

                if (present.Count > 0)
                {
                    loaded = await ReconcileAsync(loaded, present, run, cancellationToken).ConfigureAwait(false);
                    var outcomes = loaded.Account.ApplyDue(run.Job, present);
                    looks.Add(new Look(loaded, outcomes, [.. present.SelectMany(id => bySubscription[id])]));
                }
            }).ConfigureAwait(false);
        }).ConfigureAwait(false);

        var looked = looks.ToList();
        if (run.Request.DryRun)
        {
            foreach (var look in looked)
            {
                Record(run, look.Outcomes, look.Loaded.Account.State);
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
                ids.ForEach(id => Fail(run, id, failure));
                return;
            }

            if (save.Status != SaveStatus.Conflict)
            {
                Record(run, look.Outcomes, look.Loaded.Account.State);
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

                Record(run, changed.Result, changed.Account.State);
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
    private async Task GuardAsync(Run run, IEnumerable<string> subscriptionIds, Func<Task> work)
    {
        try
        {
            await work().ConfigureAwait(false);
        }
        catch (Exception ex) when (!run.Cancellation.IsCancellationRequested)
        {
            foreach (var id in subscriptionIds)
            {
                Fail(run, id, ex);
            }
        }
    }

    private void Record(Run run, IReadOnlyDictionary<string, ResetOutcome> outcomes, AccountState state)
    {
        foreach (var (id, outcome) in outcomes)
        {
            Record(run, id, outcome, state);
        }
    }

    private void Record(Run run, string subscriptionId, ResetOutcome outcome, AccountState state)
    {
        if (outcome.Applied is { } reset)
        {
            if (reset.SkippedBoundaries.Count > 0)
            {
                ResetLog.CatchUp(logger, subscriptionId, reset.Boundary, reset.SkippedBoundaries.Count);
            }

            ResetLog.ResetApplied(logger, subscriptionId, reset.Boundary, reset.BalanceBefore, reset.BalanceAfter, reset.Trigger, reset.RunId);
            run.Recorder.Reset();
        }
        else if (outcome.Planned is { } planned)
        {
            run.Recorder.Planned(planned);
        }
        else
        {
            // Without an index entry there is no stale entry to speak of: a named subscription with nothing due is not due.
            var reason = outcome.SkipReason == SkipReason.AlreadyApplied && run.Request.Names ? SkipReason.NotDue : outcome.SkipReason!;
            if (reason == SkipReason.UnknownPlan)
            {
                ResetLog.UnknownPlan(logger, subscriptionId, state.Find(subscriptionId)?.Stripe.PriceId ?? "");
            }

            Skip(run, subscriptionId, reason);
        }
    }

    private void Skip(Run run, string subscriptionId, string reason)
    {
        run.Recorder.Skipped(subscriptionId, reason);
        metrics.ResetSkipped(run.Request.Trigger, reason);
        ResetLog.ResetSkipped(logger, subscriptionId, reason, run.Id);
    }

    private void Fail(Run run, string subscriptionId, Exception exception)
    {
        run.Recorder.Failed(subscriptionId, StoreFailure.Label(StoreFailure.Classify(exception)));
        metrics.ResetFailed(run.Request.Trigger);
        ResetLog.ResetFailed(logger, exception, subscriptionId, run.Id);
    }

    /// <summary>One customer in a chunk: its account as loaded and changed, what became of each subscription, and the entries read for it.</summary>
    private sealed record Look(LoadedAccount Loaded, IReadOnlyDictionary<string, ResetOutcome> Outcomes, IReadOnlyCollection<DueEntry> Read);

    /// <param name="Slots">The run's store slots, shared by the chunks in flight.</param>
    private sealed record Run(string Id, ResetRequest Request, DateTimeOffset AsOf, long Started, TimeSpan Budget, StoreSlots Slots, ResetPolicy Policy, CancellationToken Cancellation)
    {
        public ResetRunRecorder Recorder { get; } = new();

        /// <summary>What the run applies to each customer it loads.</summary>
        public ResetJob Job { get; } = new(Id, Request.Trigger, AsOf, Request.DryRun, Policy);
    }
}
