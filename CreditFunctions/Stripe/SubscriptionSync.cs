using CreditFunctions.Accounts;
using CreditFunctions.Resets;
using CreditFunctions.Storage;
using CreditFunctions.Subscriptions;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Stripe;

/// <summary>
/// Writes what Stripe says about a subscription into its customer's account. Every write is computed from the copy it
/// replaces and made with If-Match on that copy (<see cref="AccountWriter"/>). States move forward only (billing period
/// start, then Stripe's time); an event id is recorded in the same transaction so a redelivery writes nothing; a change
/// that changes nothing writes nothing; and given a reset job, the reset the change makes due is applied in the same write.
/// </summary>
public sealed partial class SubscriptionSync(AccountWriter writer, ICreditStore store, ILogger<SubscriptionSync> logger)
{
    /// <summary>Stores <paramref name="incoming"/> as Stripe's view of the subscription if it is newer than the stored one.</summary>
    /// <param name="incoming">Stripe's view, stamped with when Stripe produced it (<see cref="StripeView.AsOf"/>).</param>
    /// <param name="eventId">The event carrying it, recorded for duplicate detection; null for an API read.</param>
    /// <param name="isCreation">A creation event: the first state there is, never newer than a stored one of the same instant.</param>
    /// <param name="job">Applies the reset then due in the same write; null to sync only (a run's reconciliation).</param>
    /// <param name="resolveTies">
    /// Answer <see cref="SyncOutcome.Tie"/> instead of writing when a different state of the same period carries the
    /// same second as the stored one (the caller asks Stripe for the current object); otherwise the later delivery wins.
    /// </param>
    /// <param name="paidPeriodStart">A period the API says is paid, recorded with the state.</param>
    public Task<SyncResult> SyncViewAsync(
        StripeView incoming, string? eventId, bool isCreation, ResetJob? job, bool resolveTies = false, DateTimeOffset? paidPeriodStart = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        return ApplyAsync(incoming.CustomerId, incoming.Id, eventId, job, draft =>
        {
            var existing = draft.Account.Find(incoming.Id);
            var order = existing is null ? Order.Newer : Compare(incoming, existing.Stripe, isCreation);
            if (order == Order.Tie && resolveTies)
            {
                return SyncOutcome.Tie;
            }

            if (order == Order.Older)
            {
                StaleState(logger, incoming.Id, eventId, incoming.PeriodStart, existing!.Stripe.PeriodStart);
                return SyncOutcome.Stale;
            }

            var next = existing is null
                ? new Subscription { Stripe = incoming, PaidPeriodStart = paidPeriodStart }
                : existing with { Stripe = incoming, PaidPeriodStart = Later(existing.PaidPeriodStart, paidPeriodStart) };

            // The same state again is written only to record a webhook's newer stamp (and its event id): an event in
            // flight from between the two stamps must not overwrite it. An API read that changes nothing writes nothing.
            var same = existing is not null && existing.Stripe with { AsOf = null } == incoming with { AsOf = null }
                && existing.PaidPeriodStart == next.PaidPeriodStart;
            if (same && (eventId is null || order != Order.Newer))
            {
                return SyncOutcome.Unchanged;
            }

            PutWithPlanChange(draft, existing, next, eventId);
            return existing is null ? SyncOutcome.Created : SyncOutcome.Applied;
        }, cancellationToken);
    }

    /// <summary>
    /// Records that <paramref name="paid"/> (an invoice's line for the plan) is paid. When it is for a period past the
    /// stored one at the stored price, the line also tells that period's state, so the view moves forward with it; at
    /// another price the plan of the new period is not known yet, and its reset waits for the period's state.
    /// </summary>
    public Task<SyncResult> RecordPaymentAsync(
        string customerId, string subscriptionId, PaidLine paid, string? eventId, ResetJob? job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paid);
        return ApplyAsync(customerId, subscriptionId, eventId, job, draft =>
        {
            if (draft.Account.Find(subscriptionId) is not { } existing)
            {
                return SyncOutcome.Unknown;
            }

            var view = existing.Stripe;
            if (paid.PeriodStart < view.PeriodStart)
            {
                return SyncOutcome.Stale; // A period that is history: its reset, if any, was decided then.
            }

            if (paid.PeriodStart > view.PeriodStart && paid.PriceId == view.PriceId)
            {
                view = view with { PeriodStart = paid.PeriodStart, PeriodEnd = paid.PeriodEnd };
            }

            var next = existing with { Stripe = view, PaidPeriodStart = Later(existing.PaidPeriodStart, paid.PeriodStart) };
            if (next == existing)
            {
                return SyncOutcome.Unchanged;
            }

            PutWithPlanChange(draft, existing, next, eventId);
            return SyncOutcome.Applied;
        }, cancellationToken);
    }

    /// <summary>
    /// Stores <paramref name="next"/> with the allowance its current month is granted with. A new period starts with its
    /// own plan. Within a period an upgrade raises the plan bucket at once by the difference (once per change, with a
    /// ledger entry naming the event), and a downgrade waits for the next boundary: what was paid for is kept until then.
    /// </summary>
    private static void PutWithPlanChange(AccountDraft draft, Subscription? existing, Subscription next, string? eventId)
    {
        var incoming = next.Stripe.MonthlyAllowance;
        if (existing is null || existing.Stripe.PeriodStart != next.Stripe.PeriodStart)
        {
            draft.Put(next with { AllowanceInEffect = incoming });
            return;
        }

        var inEffect = existing.AllowanceInEffect ?? existing.Stripe.MonthlyAllowance;
        if (incoming is not { } raised || inEffect is not { } current || raised <= current)
        {
            draft.Put(next with { AllowanceInEffect = inEffect });
            return;
        }

        var granted = existing.LastResetBoundary is { } last && last >= existing.Stripe.PeriodStart;
        if (!granted)
        {
            // The month is not granted yet (its payment is awaited): it will be granted with the larger plan.
            draft.Put(next with { AllowanceInEffect = raised });
            return;
        }

        var balance = next.Balance + (raised - current);
        draft.Put(next with { AllowanceInEffect = raised, Balance = balance });
        draft.Append(new LedgerEntry
        {
            Sequence = 0, At = draft.Now, Kind = LedgerKind.Upgrade, BalanceAfter = 0, SubscriptionId = next.Id, RunId = eventId,
            Parts = [new LedgerPart(next.PlanBucketId, raised - current, balance)],
            Reason = $"plan upgraded from {current} to {raised} credits a month",
        });
    }

    /// <param name="change">Changes the draft (or not) and says what it did; stale and tied changes write nothing.</param>
    private async Task<SyncResult> ApplyAsync(
        string customerId, string subscriptionId, string? eventId, ResetJob? job, Func<AccountDraft, SyncOutcome> change, CancellationToken cancellationToken)
    {
        var update = await writer.UpdateAsync(customerId, (draft, _) =>
        {
            var outcome = change(draft);
            if (outcome is SyncOutcome.Stale or SyncOutcome.Tie or SyncOutcome.Unknown)
            {
                return new DraftResult<SyncResult>(new SyncResult(outcome, null, null)) { Refused = outcome.ToString() };
            }

            // Decided on the state as it will be stored, so a period whose state and payment are now both known is reset.
            var reset = job?.DryRun == false ? draft.ApplyDue(job, [subscriptionId]).GetValueOrDefault(subscriptionId) : null;
            return new DraftResult<SyncResult>(new SyncResult(outcome, null, reset))
            {
                EventId = eventId,
                OnRefused = refused => refused.Result == AccountWriteResult.EventRecorded ? new SyncResult(SyncOutcome.Duplicate, null, null) : null,
            };
        }, cancellationToken: cancellationToken).ConfigureAwait(false);

        var result = update.Answer with { Stored = update.Stored?.Find(subscriptionId) };
        if (!update.Written && result.Outcome is SyncOutcome.Unchanged or SyncOutcome.Stale && eventId is not null && result.Stored is not null
            && await store.HasEventAsync(customerId, eventId, cancellationToken).ConfigureAwait(false))
        {
            // Nothing to write: a redelivered event says "duplicate", whatever else it would have been.
            result = result with { Outcome = SyncOutcome.Duplicate };
        }

        if (result.Outcome == SyncOutcome.Created)
        {
            await store.RememberCustomerAsync(subscriptionId, customerId, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    private static Order Compare(StripeView incoming, StripeView stored, bool isCreation)
    {
        if (incoming.PeriodStart != stored.PeriodStart)
        {
            return incoming.PeriodStart > stored.PeriodStart ? Order.Newer : Order.Older;
        }

        if (incoming.AsOf is not { } incomingAt || stored.AsOf is not { } storedAt)
        {
            return stored.AsOf is null ? Order.Newer : Order.Older;
        }

        if (incomingAt != storedAt)
        {
            return incomingAt > storedAt ? Order.Newer : Order.Older;
        }

        // The same second: a creation is the first state there is; the same state again is nothing new; two different
        // states cannot be ordered by their stamps.
        return isCreation ? Order.Older
            : incoming with { AsOf = null } == stored with { AsOf = null } ? Order.Same
            : Order.Tie;
    }

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    [LoggerMessage(2100, LogLevel.Information, "Ignored an older state of {SubscriptionId} (event {EventId}): period {IncomingPeriodStart:O} does not move past the stored {StoredPeriodStart:O} and is not newer")]
    private static partial void StaleState(ILogger logger, string subscriptionId, string? eventId, DateTimeOffset incomingPeriodStart, DateTimeOffset storedPeriodStart);

    private enum Order
    {
        Older,
        Same,
        Tie,
        Newer,
    }
}

/// <summary>What a sync did.</summary>
public enum SyncOutcome
{
    /// <summary>Written, and the subscription is new to the app.</summary>
    Created,

    /// <summary>Written.</summary>
    Applied,

    /// <summary>What is stored already says this; nothing written (but a reset that was due may have been).</summary>
    Unchanged,

    /// <summary>This event was applied before; nothing written.</summary>
    Duplicate,

    /// <summary>Older than what is stored; nothing written.</summary>
    Stale,

    /// <summary>A different state stamped with the same second as the stored one; nothing written (see <c>resolveTies</c>).</summary>
    Tie,

    /// <summary>The subscription is not stored; nothing written.</summary>
    Unknown,
}

/// <summary>The outcome, the subscription as stored after it (null when it is not stored), and the reset the write applied or skipped.</summary>
public sealed record SyncResult(SyncOutcome Outcome, Subscription? Stored, ResetOutcome? Reset);
