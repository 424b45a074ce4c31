using CreditFunctions.Resets;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Accounts;

public sealed partial class CustomerAccount
{
    /// <summary>
    /// Stores Stripe's view of a subscription if it is newer than the stored one: states move forward only (billing
    /// period start, then Stripe's time), a state that changes nothing writes nothing, and a plan change within a period
    /// is an upgrade (at once, by the difference) or a downgrade (at the next boundary). Given a job, the reset the new
    /// state makes due is applied with it, so a period whose state and payment are both known is reset.
    /// </summary>
    /// <param name="incoming">Stripe's view, stamped with when Stripe produced it (<see cref="StripeView.AsOf"/>).</param>
    /// <param name="eventId">The event carrying it, recorded with the change so a redelivery writes nothing; null for an API read.</param>
    /// <param name="isCreation">A creation event: the first state there is, never newer than a stored one of the same instant.</param>
    /// <param name="resolveTies">
    /// Answer <see cref="SyncOutcome.Tie"/> instead of storing when a different state of the same period carries the same
    /// second as the stored one (the caller asks Stripe for the current object); otherwise the later delivery wins.
    /// </param>
    /// <param name="paidPeriodStart">A period the API says is paid, recorded with the state.</param>
    /// <param name="job">Applies the reset then due; null to sync only (a run's reconciliation).</param>
    public SyncResult SyncSubscription(
        StripeView incoming, string? eventId, bool isCreation, bool resolveTies, DateTimeOffset? paidPeriodStart, ResetJob? job, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        return Settled(now, () => SyncSubscriptionNow(incoming, eventId, isCreation, resolveTies, paidPeriodStart, job, now));
    }

    private SyncResult SyncSubscriptionNow(
        StripeView incoming, string? eventId, bool isCreation, bool resolveTies, DateTimeOffset? paidPeriodStart, ResetJob? job, DateTimeOffset now)
    {
        ExpireDue(now);
        var existing = State.Find(incoming.Id);
        var order = existing is null ? StateOrder.Newer : StateOrders.Compare(incoming, existing.Stripe, isCreation);
        if (order == StateOrder.Tie && resolveTies)
        {
            return new SyncResult(SyncOutcome.Tie, existing, null);
        }

        if (order == StateOrder.Older)
        {
            return new SyncResult(SyncOutcome.Stale, existing, null);
        }

        var next = existing is null
            ? new Subscription { Stripe = incoming, PaidPeriodStart = paidPeriodStart }
            : existing with { Stripe = incoming, PaidPeriodStart = Later(existing.PaidPeriodStart, paidPeriodStart) };

        // The same state again is stored only to record a webhook's newer stamp (and its event id): an event in flight
        // from between the two stamps must not overwrite it. An API read that changes nothing stores nothing.
        var same = existing is not null && existing.Stripe with { AsOf = null } == incoming with { AsOf = null }
            && existing.PaidPeriodStart == next.PaidPeriodStart;
        if (same && (eventId is null || order != StateOrder.Newer))
        {
            return Synced(SyncOutcome.Unchanged, incoming.Id, eventId, job, now);
        }

        PutWithPlanChange(existing, next, eventId, now);
        return Synced(existing is null ? SyncOutcome.Created : SyncOutcome.Applied, incoming.Id, eventId, job, now);
    }

    /// <summary>
    /// Records that <paramref name="paid"/> (an invoice's line for the plan) is paid. When it is for a period past the
    /// stored one at the stored price, the line also tells that period's state, so the view moves forward with it; at
    /// another price the plan of the new period is not known yet, and its reset waits for the period's state.
    /// </summary>
    public SyncResult RecordPayment(string subscriptionId, PaidPeriod paid, string? eventId, ResetJob? job, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(paid);
        return Settled(now, () => RecordPaymentNow(subscriptionId, paid, eventId, job, now));
    }

    private SyncResult RecordPaymentNow(string subscriptionId, PaidPeriod paid, string? eventId, ResetJob? job, DateTimeOffset now)
    {
        ExpireDue(now);
        if (State.Find(subscriptionId) is not { } existing)
        {
            return new SyncResult(SyncOutcome.Unknown, null, null);
        }

        var view = existing.Stripe;
        if (paid.PeriodStart < view.PeriodStart)
        {
            return new SyncResult(SyncOutcome.Stale, existing, null); // A period that is history: its reset, if any, was decided then.
        }

        if (paid.PeriodStart > view.PeriodStart && paid.PriceId == view.PriceId)
        {
            view = view with { PeriodStart = paid.PeriodStart, PeriodEnd = paid.PeriodEnd };
        }

        var next = existing with { Stripe = view, PaidPeriodStart = Later(existing.PaidPeriodStart, paid.PeriodStart) };
        if (next == existing)
        {
            return Synced(SyncOutcome.Unchanged, subscriptionId, eventId, job, now);
        }

        PutWithPlanChange(existing, next, eventId, now);
        return Synced(SyncOutcome.Applied, subscriptionId, eventId, job, now);
    }

    /// <summary>Records the event with the change, applies the reset then due, and ends what the change ended (a cancellation's plan credits).</summary>
    private SyncResult Synced(SyncOutcome outcome, string subscriptionId, string? eventId, ResetJob? job, DateTimeOffset now)
    {
        Changes.StripeEventId = eventId;
        var reset = job is { DryRun: false } ? ApplyDue(job, [subscriptionId]).GetValueOrDefault(subscriptionId) : null;
        ExpireDue(now);
        return new SyncResult(outcome, State.Find(subscriptionId), reset);
    }

    /// <summary>
    /// Stores <paramref name="next"/> with the allowance its current month is granted with. A new period starts with its
    /// own plan. Within a period an upgrade raises the plan bucket at once by the difference (once per change, with a
    /// ledger entry naming the event), and a downgrade waits for the next boundary: what was paid for is kept until then.
    /// </summary>
    private void PutWithPlanChange(Subscription? existing, Subscription next, string? eventId, DateTimeOffset now)
    {
        var incoming = next.Stripe.MonthlyAllowance;
        if (existing is null || existing.Stripe.PeriodStart != next.Stripe.PeriodStart)
        {
            Put(next with { AllowanceInEffect = incoming });
            return;
        }

        var inEffect = existing.AllowanceInEffect ?? existing.Stripe.MonthlyAllowance;
        if (incoming is not { } raised || inEffect is not { } current || raised <= current)
        {
            Put(next with { AllowanceInEffect = inEffect });
            return;
        }

        if (!existing.IsPeriodGranted)
        {
            // The month is not granted yet (its payment is awaited): it will be granted with the larger plan.
            Put(next with { AllowanceInEffect = raised });
            return;
        }

        var balance = next.Balance + (raised - current);
        Put(next with { AllowanceInEffect = raised, Balance = balance });
        Append(new LedgerEntry
        {
            Sequence = 0, At = now, Kind = LedgerKind.Upgrade, BalanceAfter = 0, SubscriptionId = next.Id, RunId = eventId,
            Parts = [new LedgerPart(next.PlanBucketId, raised - current, balance)],
            Reason = $"plan upgraded from {current} to {raised} credits a month",
        }, now);
    }

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
