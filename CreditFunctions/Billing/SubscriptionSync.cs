using CreditFunctions.Resets;
using CreditFunctions.Storage;
using CreditFunctions.Subscriptions;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Billing;

/// <summary>
/// Writes what Stripe says about a subscription into the store, forward only: an older state never replaces a newer
/// one (ordered by billing period start, then event time), every write is ETag-guarded, and an event id is recorded
/// in the same transaction so a redelivery writes nothing. Keeps the due-date index in step with each write.
/// </summary>
public sealed partial class SubscriptionSync(ICreditStore store, TimeProvider time, ILogger<SubscriptionSync> logger)
{
    private const int MaxAttempts = 10;

    /// <param name="state">Stripe's view of the subscription.</param>
    /// <param name="eventId">The event carrying it, recorded for duplicate detection; null for an API read.</param>
    /// <param name="stateTime">When Stripe produced this state (event creation); null to keep the stored ordering stamp.</param>
    /// <param name="isCreation">A creation event: the first state there is, never newer than a stored one of the same instant.</param>
    public async Task<SyncResult> UpsertAsync(
        SubscriptionState state, string? eventId, DateTimeOffset? stateTime, bool isCreation, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var existing = await store.GetSubscriptionAsync(state.Id, cancellationToken).ConfigureAwait(false);
            if (existing is not null && !IsNewer(state, stateTime, isCreation, existing))
            {
                StaleState(logger, state.Id, eventId, state.PeriodStart, existing.PeriodStart);
                return new SyncResult(SyncOutcome.Stale, existing);
            }

            var now = time.GetUtcNow();
            var merged = Merge(state, stateTime, existing);
            var newDue = DueFor(merged, now);
            var candidate = merged with { DueAt = newDue };
            if (newDue is { } due)
            {
                // Before the commit, as in the reset engine: a crash after it still leaves the subscription scheduled.
                await store.ScheduleAsync(candidate.Id, due, cancellationToken).ConfigureAwait(false);
            }

            var write = await store.TryUpsertSubscriptionAsync(candidate, eventId, cancellationToken).ConfigureAwait(false);
            switch (write.Result)
            {
                case UpsertResult.DuplicateEvent:
                    return new SyncResult(SyncOutcome.Duplicate, existing);
                case UpsertResult.Conflict:
                    continue;
            }

            if (existing?.DueAt is { } oldDue && (newDue is null || Keys.DueDay(oldDue) != Keys.DueDay(newDue.Value)))
            {
                await store.RemoveDueAsync(new DueEntry(existing.Id, oldDue), cancellationToken).ConfigureAwait(false);
            }

            return new SyncResult(SyncOutcome.Applied, candidate with { ConcurrencyToken = write.ConcurrencyToken });
        }

        throw new InvalidOperationException($"Subscription {state.Id} kept changing during {MaxAttempts} sync attempts.");
    }

    /// <summary>Where the subscription's index entry belongs now; null when it needs none (canceled, expired).</summary>
    internal static DateTimeOffset? DueFor(Subscription subscription, DateTimeOffset now)
    {
        if (SubscriptionStatus.IsTerminal(subscription.Status))
        {
            return null;
        }

        var decision = ResetPlanner.Plan(subscription, now, allowPastDue: true);
        return decision.Boundary is not null ? now : decision.NextCheck;
    }

    private static bool IsNewer(SubscriptionState state, DateTimeOffset? stateTime, bool isCreation, Subscription existing)
    {
        if (state.PeriodStart != existing.PeriodStart)
        {
            return state.PeriodStart > existing.PeriodStart;
        }

        if (stateTime is not { } incoming || existing.StripeEventCreated is not { } stored)
        {
            return true;
        }

        return incoming > stored || (incoming == stored && !isCreation);
    }

    private static Subscription Merge(SubscriptionState state, DateTimeOffset? stateTime, Subscription? existing) => new()
    {
        Id = state.Id,
        CustomerId = state.CustomerId,
        PriceId = state.PriceId,
        PriceLookupKey = state.PriceLookupKey,
        Interval = state.Interval,
        IntervalCount = state.IntervalCount,
        Status = state.Status,
        PeriodStart = state.PeriodStart,
        PeriodEnd = state.PeriodEnd,
        CancelAtPeriodEnd = state.CancelAtPeriodEnd,
        MonthlyAllowance = state.MonthlyAllowance,
        Balance = existing?.Balance ?? 0,
        LastResetBoundary = existing?.LastResetBoundary,
        Version = (existing?.Version ?? 0) + 1,
        StripeEventCreated = stateTime ?? existing?.StripeEventCreated,
        ConcurrencyToken = existing?.ConcurrencyToken,
    };

    [LoggerMessage(2100, LogLevel.Information, "Ignored an older state of {SubscriptionId} (event {EventId}): period {IncomingPeriodStart:O} does not move past the stored {StoredPeriodStart:O} and is not newer")]
    private static partial void StaleState(ILogger logger, string subscriptionId, string? eventId, DateTimeOffset incomingPeriodStart, DateTimeOffset storedPeriodStart);
}

public enum SyncOutcome
{
    Applied,
    Duplicate,
    Stale,
}

public sealed record SyncResult(SyncOutcome Outcome, Subscription? Stored);
