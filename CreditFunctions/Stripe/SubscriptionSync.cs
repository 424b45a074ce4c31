using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using CreditFunctions.Subscriptions;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Stripe;

/// <summary>
/// Writes what Stripe says about a subscription into the store. Every write is computed from the copy it replaces and
/// made with If-Match on that copy; when another writer got there first, the copy is read again and the change computed
/// again. States move forward only (billing period start, then Stripe's time), an event id is recorded in the same
/// transaction so a redelivery writes nothing, a change that changes nothing writes nothing, and the due index follows.
/// </summary>
public sealed partial class SubscriptionSync(ICreditStore store, DueIndex index, TimeProvider time, ILogger<SubscriptionSync> logger)
{
    private const int MaxAttempts = 10;

    /// <summary>
    /// Stores <paramref name="incoming"/> as Stripe's view of the subscription if it is newer than the stored one.
    /// </summary>
    /// <param name="incoming">Stripe's view, stamped with when Stripe produced it (<see cref="StripeView.AsOf"/>).</param>
    /// <param name="eventId">The event carrying it, recorded for duplicate detection; null for an API read.</param>
    /// <param name="isCreation">A creation event: the first state there is, never newer than a stored one of the same instant.</param>
    /// <param name="resolveTies">
    /// Answer <see cref="SyncOutcome.Tie"/> instead of writing when a different state of the same period carries the
    /// same second as the stored one (the caller asks Stripe for the current object); otherwise the later delivery wins.
    /// </param>
    /// <param name="paidPeriodStart">A period the API says is paid, recorded with the state.</param>
    public Task<SyncResult> SyncViewAsync(
        StripeView incoming, string? eventId, bool isCreation, bool resolveTies = false, DateTimeOffset? paidPeriodStart = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        return ApplyAsync(incoming.Id, eventId, existing =>
        {
            var order = existing is null ? Order.Newer : Compare(incoming, existing.Stripe, isCreation);
            if (order == Order.Tie && resolveTies)
            {
                return (SyncOutcome.Tie, null);
            }

            if (order == Order.Older)
            {
                StaleState(logger, incoming.Id, eventId, incoming.PeriodStart, existing!.Stripe.PeriodStart);
                return (SyncOutcome.Stale, null);
            }

            var next = existing is null
                ? new Subscription { Stripe = incoming, PaidPeriodStart = paidPeriodStart, Version = 1 }
                : existing with { Stripe = incoming, PaidPeriodStart = Later(existing.PaidPeriodStart, paidPeriodStart) };

            // The same state again is written only to record a webhook's newer stamp (and its event id): an event in
            // flight from between the two stamps must not overwrite it. An API read that changes nothing writes nothing.
            var same = existing is not null && existing.Stripe with { AsOf = null } == incoming with { AsOf = null }
                && existing.PaidPeriodStart == next.PaidPeriodStart;
            return same && (eventId is null || order != Order.Newer) ? (SyncOutcome.Unchanged, null) : (SyncOutcome.Applied, next);
        }, cancellationToken);
    }

    /// <summary>
    /// Records that <paramref name="paid"/> (an invoice's line for the plan) is paid. When it is for a period past the
    /// stored one at the stored price, the line also tells that period's state, so the view moves forward with it; at
    /// another price the plan of the new period is not known yet, and its reset waits for the period's state.
    /// </summary>
    public Task<SyncResult> RecordPaymentAsync(string subscriptionId, PaidLine paid, string? eventId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paid);
        return ApplyAsync(subscriptionId, eventId, existing =>
        {
            if (existing is null)
            {
                return (SyncOutcome.Unknown, null);
            }

            var view = existing.Stripe;
            if (paid.PeriodStart < view.PeriodStart)
            {
                return (SyncOutcome.Stale, null); // A period that is history: its reset, if any, was decided then.
            }

            if (paid.PeriodStart > view.PeriodStart && paid.PriceId == view.PriceId)
            {
                view = view with { PeriodStart = paid.PeriodStart, PeriodEnd = paid.PeriodEnd };
            }

            var next = existing with { Stripe = view, PaidPeriodStart = Later(existing.PaidPeriodStart, paid.PeriodStart) };
            if (next == existing)
            {
                return (SyncOutcome.Unchanged, null);
            }

            return (SyncOutcome.Applied, next);
        }, cancellationToken);
    }

    /// <param name="change">
    /// From the stored copy (null when none), the outcome and the copy to write in its place (null to write nothing).
    /// </param>
    private async Task<SyncResult> ApplyAsync(
        string subscriptionId, string? eventId, Func<Subscription?, (SyncOutcome Outcome, Subscription? Next)> change, CancellationToken cancellationToken)
    {
        var move = index.Move(subscriptionId);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var existing = await store.GetSubscriptionAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
            var (outcome, next) = change(existing);
            if (next is null)
            {
                // Nothing to write: a redelivered event says "duplicate", whatever else it would have been.
                await move.AbandonAsync(existing?.DueAt, cancellationToken).ConfigureAwait(false);
                var duplicate = eventId is not null && existing is not null
                    && await store.HasEventAsync(subscriptionId, eventId, cancellationToken).ConfigureAwait(false);
                return new SyncResult(duplicate ? SyncOutcome.Duplicate : outcome, existing);
            }

            next = next with { Version = (existing?.Version ?? 0) + 1, ConcurrencyToken = existing?.ConcurrencyToken };
            var placement = index.PlacementFor(next, time.GetUtcNow());
            await move.PlaceAsync(placement, existing?.DueAt, cancellationToken).ConfigureAwait(false);
            var candidate = next with { DueAt = placement };

            var write = await store.TryUpsertSubscriptionAsync(candidate, eventId, cancellationToken).ConfigureAwait(false);
            switch (write.Result)
            {
                case UpsertResult.DuplicateEvent:
                    // The same event, delivered twice at once, was written by the other delivery: hand back what it stored.
                    var stored = await store.GetSubscriptionAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
                    await move.AbandonAsync(stored?.DueAt, cancellationToken).ConfigureAwait(false);
                    return new SyncResult(SyncOutcome.Duplicate, stored);
                case UpsertResult.Conflict:
                    continue;
            }

            await move.CommitAsync(placement, existing?.DueAt, cancellationToken: cancellationToken).ConfigureAwait(false);
            return new SyncResult(outcome, candidate with { ConcurrencyToken = write.ConcurrencyToken });
        }

        throw new InvalidOperationException($"Subscription {subscriptionId} kept changing during {MaxAttempts} sync attempts.");
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
    /// <summary>Written.</summary>
    Applied,

    /// <summary>What is stored already says this; nothing written.</summary>
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

/// <summary>The outcome, and the subscription as stored after it (null when it is not stored).</summary>
public sealed record SyncResult(SyncOutcome Outcome, Subscription? Stored);
