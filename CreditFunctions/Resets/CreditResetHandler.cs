using System.Collections.Concurrent;
using CreditFunctions.Accounts;
using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using CreditFunctions.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Resets;

/// <summary>
/// The one reset handler behind the timer and the HTTP twin: drives a run over what the due index says is due (pages,
/// chunks, time budget, index upkeep, summary), or over one named customer or subscription. Each subscription is decided
/// once with <see cref="ResetPlanner"/>; each customer's due resets are committed by <see cref="SubscriptionResetter"/>
/// in one write of the customer's account.
/// </summary>
public sealed class CreditResetHandler(
    ICreditStore store,
    DueIndex index,
    SubscriptionResetter resetter,
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
        var run = new Run(Guid.NewGuid().ToString("N"), request, time.GetUtcNow(), time.GetTimestamp(), budget, slots, cancellationToken);
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
        var account = customerId is null ? null : await store.GetAccountAsync(customerId, cancellationToken).ConfigureAwait(false);
        if (account is null || (subscriptionId is not null && account.Find(subscriptionId) is null))
        {
            return subscriptionId is not null && account is not null ? new NamedMissing(subscriptionId, customerId) : new NamedMissing(subscriptionId ?? customerId!);
        }

        var targets = subscriptionId is null ? [.. account.Subscriptions.Select(s => s.Id)] : new[] { subscriptionId };
        var entries = targets.ToDictionary(id => id, _ => (IReadOnlyList<DueEntry>)[], StringComparer.Ordinal);
        foreach (var _ in targets)
        {
            run.Recorder.Examined();
        }

        await GuardAsync(run, targets, async () =>
        {
            var look = await LookAsync(account, entries, run, cancellationToken).ConfigureAwait(false);
            await CommitAsync(look, scope: null, handled: null, run, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return null;
    }

    /// <returns>Whether due entries were left when the time budget ran out.</returns>
    private Task<bool> DrainDueAsync(Run run, CancellationToken cancellationToken) =>
        RunChunks.DrainAsync(
            index.ReadDueAsync(run.AsOf, cancellationToken),
            entry => entry.DueAt <= run.AsOf, // Later today: tomorrow's run (or a later manual one) takes it.
            chunk => ProcessChunkAsync(chunk, run, cancellationToken));

    /// <summary>
    /// Handles up to <see cref="RunChunks.Size"/> due entries in four steps, so the index costs a couple of batch writes per
    /// chunk instead of two writes per subscription: read each customer's account once and decide its due subscriptions;
    /// write every next index entry (batched per day); commit each customer's resets in one write; drop the handled
    /// entries (batched). The order keeps crashes harmless: next entries exist before any commit, and old entries go only
    /// after theirs. Returns false if the time budget ran out.
    /// </summary>
    private async Task<bool> ProcessChunkAsync(List<DueEntry> entries, Run run, CancellationToken cancellationToken)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxParallelism, CancellationToken = cancellationToken };
        var looks = new ConcurrentBag<Look>();
        var handled = new ConcurrentBag<(IReadOnlyList<DueEntry> Entries, DateTimeOffset? Placement)>();
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

            var bySubscription = customer.GroupBy(e => e.SubscriptionId, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (IReadOnlyList<DueEntry>)[.. g], StringComparer.Ordinal);
            foreach (var examined in bySubscription)
            {
                run.Recorder.Examined();
            }

            await GuardAsync(run, bySubscription.Keys, async () =>
            {
                var account = await store.GetAccountAsync(customer.Key, cancellationToken).ConfigureAwait(false);
                var missing = bySubscription.Keys.Where(id => account?.Find(id) is null).ToList();
                foreach (var id in missing)
                {
                    Skip(run, id, SkipReason.SubscriptionMissing);
                    handled.Add((bySubscription[id], null));
                }

                if (account is not null && missing.Count < bySubscription.Count)
                {
                    var targets = bySubscription.Where(s => !missing.Contains(s.Key)).ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);
                    looks.Add(await LookAsync(account, targets, run, cancellationToken).ConfigureAwait(false));
                }
            }).ConfigureAwait(false);
        }).ConfigureAwait(false);

        var toCommit = looks.ToList();
        if (!run.Request.DryRun)
        {
            var placed = toCommit.SelectMany(l => l.Placements().Select(p => new DueEntry(p.Key, l.Account.CustomerId, p.Value))).ToList();
            try
            {
                using var slot = await run.Slots.TakeAsync(cancellationToken).ConfigureAwait(false);
                await index.PlaceManyAsync(placed, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Without their next entries these must not commit; their current entries stay for the next run.
                foreach (var look in toCommit.Where(l => l.Placements().Count > 0))
                {
                    look.Decisions.Keys.ToList().ForEach(id => Fail(run, id, ex));
                }

                toCommit.RemoveAll(l => l.Placements().Count > 0);
            }
        }

        await Parallel.ForEachAsync(toCommit, parallel, async (look, _) =>
            await GuardAsync(run, look.Decisions.Keys, async () =>
            {
                using var slot = await run.Slots.TakeAsync(cancellationToken).ConfigureAwait(false);
                await CommitAsync(look, new RunIndexScope(look.Placements(), [.. look.Entries.Values.SelectMany(e => e)]), handled, run, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false)).ConfigureAwait(false);

        if (!run.Request.DryRun)
        {
            try
            {
                using var slot = await run.Slots.TakeAsync(cancellationToken).ConfigureAwait(false);
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
    /// Decides once what to do with each due subscription of a customer. One that cannot be decided on what is stored
    /// (its period ended with no renewal seen, or its payment is unconfirmed past the grace) is first brought up to date
    /// from Stripe: the reconciler only syncs what Stripe says, and the decisions are then made on the account it stored.
    /// </summary>
    private async Task<Look> LookAsync(CustomerAccount account, IReadOnlyDictionary<string, IReadOnlyList<DueEntry>> entries, Run run, CancellationToken cancellationToken)
    {
        var job = new ResetJob(run.Id, run.Request.Trigger, run.AsOf, run.Request.DryRun, _options.Policy);
        var decisions = entries.Keys.ToDictionary(id => id, id => job.Decide(account.Find(id)!), StringComparer.Ordinal);
        var reconciled = false;
        foreach (var (id, decision) in decisions.Where(d => d.Value.NeedsStripe && !run.Request.DryRun).ToList())
        {
            var subscription = account.Find(id)!;
            if (await reconciler.ReconcileAsync(subscription, cancellationToken).ConfigureAwait(false) is not null)
            {
                reconciled = true;
            }
            else
            {
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
        }

        if (reconciled)
        {
            account = await store.GetAccountAsync(account.CustomerId, cancellationToken).ConfigureAwait(false) ?? account;
            decisions = entries.Keys.ToDictionary(id => id, id => account.Find(id) is { } s ? job.Decide(s) : new ResetDecision { SkipReason = SkipReason.SubscriptionMissing }, StringComparer.Ordinal);
        }

        return new Look(account, entries, decisions, job);
    }

    private async Task CommitAsync(
        Look look, RunIndexScope? scope, ConcurrentBag<(IReadOnlyList<DueEntry>, DateTimeOffset?)>? handled, Run run, CancellationToken cancellationToken)
    {
        var outcomes = await resetter.ResetAsync(
            look.Account.CustomerId, [.. look.Decisions.Keys], look.Job, look.Decisions, look.Account, scope, cancellationToken).ConfigureAwait(false);
        foreach (var (id, outcome) in outcomes)
        {
            Record(run, id, outcome);
            handled?.Add((look.Entries.GetValueOrDefault(id) ?? [], outcome.Placement));
        }
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

    private void Record(Run run, string subscriptionId, ResetOutcome outcome)
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
            // Without an index entry there is no stale entry to speak of: a named subscription with nothing due is not due.
            var reason = outcome.SkipReason == SkipReason.AlreadyApplied && run.Request.Names ? SkipReason.NotDue : outcome.SkipReason!;
            run.Recorder.Skipped(subscriptionId, reason);
            metrics.ResetSkipped(run.Request.Trigger, reason);
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

    /// <summary>One customer in a run: its account as read, the due entries per subscription, the decisions made once.</summary>
    private sealed record Look(
        CustomerAccount Account, IReadOnlyDictionary<string, IReadOnlyList<DueEntry>> Entries, IReadOnlyDictionary<string, ResetDecision> Decisions, ResetJob Job)
    {
        /// <summary>Where each subscription's entry goes once its decision is carried out, where that moves it.</summary>
        public Dictionary<string, DateTimeOffset> Placements() => Decisions
            .Where(d => DueIndex.Placement(d.Value, carriedOut: true, Job.AsOf) is { } at && at != Account.Find(d.Key)?.DueAt)
            .ToDictionary(d => d.Key, d => DueIndex.Placement(d.Value, carriedOut: true, Job.AsOf)!.Value, StringComparer.Ordinal);
    }

    /// <param name="Slots">The run's store slots, shared by the chunks in flight.</param>
    private sealed record Run(string Id, ResetRequest Request, DateTimeOffset AsOf, long Started, TimeSpan Budget, StoreSlots Slots, CancellationToken Cancellation)
    {
        public ResetRunRecorder Recorder { get; } = new();
    }
}
