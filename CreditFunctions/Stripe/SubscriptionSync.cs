using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using CreditFunctions.Subscriptions;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Stripe;

/// <summary>
/// Writes what Stripe says about a subscription into the store, forward only: an older state never replaces a newer
/// one (ordered by billing period start, then event time), every write is ETag-guarded, and an event id is recorded
/// in the same transaction so a redelivery writes nothing. The due index follows each write.
/// </summary>
public sealed partial class SubscriptionSync(ICreditStore store, DueIndex index, TimeProvider time, ILogger<SubscriptionSync> logger)
{
    private const int MaxAttempts = 10;

    /// <param name="incoming">Stripe's view of the subscription, stamped with when Stripe produced it (<see cref="StripeView.AsOf"/>, null to keep the stored stamp).</param>
    /// <param name="eventId">The event carrying it, recorded for duplicate detection; null for an API read.</param>
    /// <param name="isCreation">A creation event: the first state there is, never newer than a stored one of the same instant.</param>
    public async Task<SyncResult> UpsertAsync(StripeView incoming, string? eventId, bool isCreation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var existing = await store.GetSubscriptionAsync(incoming.Id, cancellationToken).ConfigureAwait(false);
            if (existing is not null && !IsNewer(incoming, isCreation, existing.Stripe))
            {
                StaleState(logger, incoming.Id, eventId, incoming.PeriodStart, existing.Stripe.PeriodStart);
                return new SyncResult(SyncOutcome.Stale, existing);
            }

            var synced = existing is null
                ? new Subscription { Stripe = incoming, Version = 1 }
                : existing with { Stripe = incoming with { AsOf = incoming.AsOf ?? existing.Stripe.AsOf }, Version = existing.Version + 1 };
            var placement = index.PlacementFor(synced, time.GetUtcNow());
            await index.PlaceAsync(synced.Id, placement, existing?.DueAt, cancellationToken).ConfigureAwait(false);
            var candidate = synced with { DueAt = placement };

            var write = await store.TryUpsertSubscriptionAsync(candidate, eventId, cancellationToken).ConfigureAwait(false);
            switch (write.Result)
            {
                case UpsertResult.DuplicateEvent:
                    return new SyncResult(SyncOutcome.Duplicate, existing);
                case UpsertResult.Conflict:
                    continue;
            }

            await index.ReleaseAsync(synced.Id, existing?.DueAt, placement, cancellationToken).ConfigureAwait(false);
            return new SyncResult(SyncOutcome.Applied, candidate with { ConcurrencyToken = write.ConcurrencyToken });
        }

        throw new InvalidOperationException($"Subscription {incoming.Id} kept changing during {MaxAttempts} sync attempts.");
    }

    private static bool IsNewer(StripeView incoming, bool isCreation, StripeView stored)
    {
        if (incoming.PeriodStart != stored.PeriodStart)
        {
            return incoming.PeriodStart > stored.PeriodStart;
        }

        if (incoming.AsOf is not { } incomingAt || stored.AsOf is not { } storedAt)
        {
            return true;
        }

        return incomingAt > storedAt || (incomingAt == storedAt && !isCreation);
    }

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
