using CreditFunctions.Periods;
using CreditFunctions.Resets;
using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using CreditFunctions.Subscriptions;
using Microsoft.Extensions.Logging;
using Stripe;
using Subscription = Stripe.Subscription;

namespace CreditFunctions.Stripe;

/// <summary>
/// Applies verified Stripe events: subscription events sync the stored subscription; <c>invoice.paid</c> for a
/// subscription resets the credits for the period it paid, through the shared resetter and its exactly-once key.
/// No Stripe API call happens here, so the endpoint answers fast.
/// </summary>
public sealed partial class StripeEventProcessor(
    SubscriptionSync sync,
    StripeSubscriptionMapper mapper,
    SubscriptionResetter resetter,
    DueIndex index,
    ICreditStore store,
    TimeProvider time,
    ILogger<StripeEventProcessor> logger)
{
    public static readonly IReadOnlySet<string> SubscriptionEvents = new HashSet<string>(StringComparer.Ordinal)
    {
        EventTypes.CustomerSubscriptionCreated,
        EventTypes.CustomerSubscriptionUpdated,
        EventTypes.CustomerSubscriptionDeleted,
        EventTypes.CustomerSubscriptionPaused,
        EventTypes.CustomerSubscriptionResumed,
    };

    public Task<WebhookOutcome> ProcessAsync(Event stripeEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stripeEvent);
        if (SubscriptionEvents.Contains(stripeEvent.Type))
        {
            return SyncSubscriptionAsync(stripeEvent, cancellationToken);
        }

        if (stripeEvent.Type == EventTypes.InvoicePaid)
        {
            return ApplyPaidInvoiceAsync(stripeEvent, cancellationToken);
        }

        EventIgnored(logger, stripeEvent.Id, stripeEvent.Type);
        return Task.FromResult(new WebhookOutcome(stripeEvent.Id, stripeEvent.Type, "ignored"));
    }

    private async Task<WebhookOutcome> SyncSubscriptionAsync(Event stripeEvent, CancellationToken cancellationToken)
    {
        var subscription = stripeEvent.Data?.Object as Subscription
            ?? throw new InvalidDataException($"Event {stripeEvent.Id} ({stripeEvent.Type}) does not carry a subscription.");
        var created = new DateTimeOffset(DateTime.SpecifyKind(stripeEvent.Created, DateTimeKind.Utc));
        var state = mapper.Map(subscription) with { AsOf = created };
        if (state.MonthlyAllowance is null)
        {
            ResetLog.UnknownPlan(logger, state.Id, state.PriceId);
        }

        var result = await sync.UpsertAsync(state, stripeEvent.Id, stripeEvent.Type == EventTypes.CustomerSubscriptionCreated, cancellationToken)
            .ConfigureAwait(false);
        var outcome = result.Outcome switch
        {
            SyncOutcome.Applied => "synced",
            SyncOutcome.Duplicate => "duplicate",
            _ => "stale",
        };

        // A subscription's first period gets its allowance once it is active or trialing, whichever event shows it
        // first. Checked on duplicates too, in case the first delivery died between the sync and the reset.
        if (result is { Outcome: not SyncOutcome.Stale, Stored: { LastResetBoundary: null } stored }
            && SubscriptionStatus.IsEligibleForReset(stored.Stripe.Status, allowPastDue: false))
        {
            var first = await ApplyRenewalAsync(stored, stored.Stripe.PeriodStart, stripeEvent.Id, cancellationToken).ConfigureAwait(false);
            outcome += first.Applied is not null ? "; first allowance applied" : $"; first allowance skipped ({first.SkipReason})";
        }

        SubscriptionEventApplied(logger, stripeEvent.Id, stripeEvent.Type, state.Id, outcome);
        return new WebhookOutcome(stripeEvent.Id, stripeEvent.Type, outcome, state.Id);
    }

    private async Task<WebhookOutcome> ApplyPaidInvoiceAsync(Event stripeEvent, CancellationToken cancellationToken)
    {
        var invoice = stripeEvent.Data?.Object as Invoice
            ?? throw new InvalidDataException($"Event {stripeEvent.Id} ({stripeEvent.Type}) does not carry an invoice.");
        var subscriptionId = invoice.Parent?.SubscriptionDetails?.SubscriptionId;
        var period = PaidPeriod(invoice);
        if (subscriptionId is null || period is null)
        {
            EventIgnored(logger, stripeEvent.Id, stripeEvent.Type);
            return new WebhookOutcome(stripeEvent.Id, stripeEvent.Type, "ignored", subscriptionId, "not a subscription period invoice");
        }

        var (periodStart, periodEnd) = period.Value;
        var existing = await store.GetSubscriptionAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            // Delivered before customer.subscription.created: that event grants the first period's allowance.
            UnknownSubscription(logger, stripeEvent.Id, subscriptionId);
            return new WebhookOutcome(stripeEvent.Id, stripeEvent.Type, "unknown-subscription", subscriptionId);
        }

        if (periodStart > existing.Stripe.PeriodStart)
        {
            // The renewal's customer.subscription.updated has not arrived yet: move the period forward from the invoice.
            var advanced = existing.Stripe with { PeriodStart = periodStart, PeriodEnd = periodEnd };
            var synced = await sync.UpsertAsync(advanced with { AsOf = null }, eventId: null, isCreation: false, cancellationToken).ConfigureAwait(false);
            existing = synced.Stored ?? existing;
        }

        // The copy just read or written is handed on, so the reset needs no read of its own (a stale one costs a retry).
        var renewal = await ApplyRenewalAsync(existing, periodStart, stripeEvent.Id, cancellationToken).ConfigureAwait(false);
        var outcome = renewal.Applied is not null ? "renewal reset" : $"renewal skipped ({renewal.SkipReason})";
        SubscriptionEventApplied(logger, stripeEvent.Id, stripeEvent.Type, subscriptionId, outcome);
        return new WebhookOutcome(stripeEvent.Id, stripeEvent.Type, outcome, subscriptionId);
    }

    /// <summary>The billing period an invoice paid for: the period of its (non-proration) subscription item line.</summary>
    internal static (DateTimeOffset Start, DateTimeOffset End)? PaidPeriod(Invoice invoice)
    {
        var line = invoice.Lines?.Data?.FirstOrDefault(l =>
            l.Parent?.Type == "subscription_item_details" && l.Parent.SubscriptionItemDetails?.Proration != true);
        if (line?.Period is not { } period)
        {
            return null;
        }

        return (Utc(period.Start), Utc(period.End));
    }

    private static DateTimeOffset Utc(DateTime value) =>
        CreditPeriods.ToWholeSeconds(new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc)));

    /// <summary>
    /// Resets the credits at the start of the billing period that starts at <paramref name="periodStart"/> (a paid
    /// renewal, or a new subscription's first allowance), keyed like every reset by (subscription, boundary).
    /// </summary>
    private async Task<ResetOutcome> ApplyRenewalAsync(
        Subscriptions.Subscription stored, DateTimeOffset periodStart, string eventId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var job = new ResetJob(eventId, ResetTrigger.Webhook, now, DryRun: false, s => ResetPlanner.PlanRenewal(s, periodStart, now));
        var outcome = await resetter.ApplyAsync(stored, job.Replan(stored), job, placed: null, cancellationToken).ConfigureAwait(false);
        await index.ReleaseAsync(stored.Id, stored.DueAt, outcome.Placement, cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    [LoggerMessage(2200, LogLevel.Debug, "Ignored Stripe event {EventId} of type {EventType}")]
    private static partial void EventIgnored(ILogger logger, string eventId, string eventType);

    [LoggerMessage(2201, LogLevel.Information, "Stripe event {EventId} ({EventType}) for {SubscriptionId}: {Outcome}")]
    private static partial void SubscriptionEventApplied(ILogger logger, string eventId, string eventType, string subscriptionId, string outcome);

    [LoggerMessage(2202, LogLevel.Warning, "Stripe event {EventId}: invoice paid for {SubscriptionId}, which is not stored yet; its customer.subscription.created event will grant the allowance")]
    private static partial void UnknownSubscription(ILogger logger, string eventId, string subscriptionId);
}
