using CreditFunctions.Accounts;
using CreditFunctions.Resets;
using CreditFunctions.Subscriptions;
using CreditFunctions.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Stripe;
using Subscription = Stripe.Subscription;

namespace CreditFunctions.Stripe;

/// <summary>
/// Applies verified Stripe events. Subscription events store Stripe's state of the subscription; <c>invoice.paid</c>
/// stores that the period of the plan's line is paid. After either, the subscription is decided once with the same
/// rule the timer uses and reset if a reset is due, so a period is reset as soon as its state and its payment are both
/// known, in whichever order they came. The Stripe API (when a key is set) is asked only where the event is not enough.
/// </summary>
public sealed partial class StripeEventProcessor(
    SubscriptionSync sync,
    StripeSubscriptionMapper mapper,
    StripeApi api,
    StripePurchases purchases,
    ICreditStore store,
    TimeProvider time,
    IOptions<ResetOptions> options,
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

    /// <summary>Every event type this endpoint acts on: enable these on the webhook endpoint.</summary>
    public static readonly IReadOnlySet<string> HandledEvents = new HashSet<string>(SubscriptionEvents, StringComparer.Ordinal)
    {
        EventTypes.InvoicePaid,
        EventTypes.CheckoutSessionCompleted,
        EventTypes.CheckoutSessionAsyncPaymentSucceeded,
        EventTypes.ChargeRefunded,
    };

    private readonly ResetPolicy _policy = options.Value.Policy;

    public async Task<WebhookOutcome> ProcessAsync(Event stripeEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stripeEvent);
        try
        {
            return stripeEvent.Data?.Object switch
            {
                Subscription subscription when SubscriptionEvents.Contains(stripeEvent.Type) =>
                    await SubscriptionEventAsync(stripeEvent, subscription, cancellationToken).ConfigureAwait(false),
                Invoice invoice when stripeEvent.Type == EventTypes.InvoicePaid && invoice.Parent?.SubscriptionDetails?.SubscriptionId is null =>
                    await purchases.InvoicePaidAsync(stripeEvent, invoice, cancellationToken).ConfigureAwait(false),
                Invoice invoice when stripeEvent.Type == EventTypes.InvoicePaid =>
                    await InvoicePaidAsync(stripeEvent, invoice, cancellationToken).ConfigureAwait(false),
                global::Stripe.Checkout.Session session when stripeEvent.Type is EventTypes.CheckoutSessionCompleted or EventTypes.CheckoutSessionAsyncPaymentSucceeded =>
                    await purchases.CheckoutPaidAsync(stripeEvent, session, cancellationToken).ConfigureAwait(false),
                Charge charge when stripeEvent.Type == EventTypes.ChargeRefunded =>
                    await purchases.ChargeRefundedAsync(stripeEvent, charge, cancellationToken).ConfigureAwait(false),
                _ => Ignored(stripeEvent, HandledEvents.Contains(stripeEvent.Type)
                    ? "the event does not carry the object its type promises"
                    : "not an event type this endpoint acts on"),
            };
        }
        catch (InvalidDataException ex)
        {
            // Signed by Stripe but not a shape credits can come from (a subscription without items, say): answered, so
            // Stripe does not retry what would fail the same way, and logged so it can be looked into.
            UnexpectedShape(logger, stripeEvent.Id, stripeEvent.Type, ex.Message);
            return Ignored(stripeEvent, ex.Message);
        }
    }

    private async Task<WebhookOutcome> SubscriptionEventAsync(Event stripeEvent, Subscription subscription, CancellationToken cancellationToken)
    {
        var created = new DateTimeOffset(DateTime.SpecifyKind(stripeEvent.Created, DateTimeKind.Utc));
        var view = mapper.Map(subscription) with { AsOf = created };
        if (view.MonthlyAllowance is null)
        {
            UnknownPlan(logger, view.Id, view.PriceId);
        }

        var job = Job(stripeEvent);
        var isCreation = stripeEvent.Type == EventTypes.CustomerSubscriptionCreated;
        var result = await sync.SyncViewAsync(view, stripeEvent.Id, isCreation, job, resolveTies: api.IsConfigured, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.Outcome == SyncOutcome.Tie)
        {
            // Two different states of the same period in the same second: only Stripe knows which is current.
            result = await sync.SyncFromApiAsync(view.Id, paidPeriodStart: null, job, cancellationToken).ConfigureAwait(false) ?? result;
        }

        return Answer(stripeEvent, result, payment: false);
    }

    private async Task<WebhookOutcome> InvoicePaidAsync(Event stripeEvent, Invoice invoice, CancellationToken cancellationToken)
    {
        if (invoice.Parent?.SubscriptionDetails?.SubscriptionId is not { } subscriptionId)
        {
            return Ignored(stripeEvent, "not a subscription invoice");
        }

        var job = Job(stripeEvent);
        var customerId = invoice.CustomerId ?? await store.FindCustomerAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
        if (!StripeIds.IsSubscription(subscriptionId) || (customerId is not null && !StripeIds.IsCustomer(customerId)))
        {
            throw new InvalidDataException($"The invoice's subscription '{subscriptionId}' or customer '{customerId}' is not a Stripe id.");
        }

        const string Cut = "the plan's line is not on the first page of the invoice's lines; set Stripe:ApiKey to list them. The period stays unconfirmed (reported by runs) until its payment is seen";
        IReadOnlyList<InvoiceLineItem>? listed = null;
        async Task<(PaidPeriod?, string?)> PaidForAsync(Subscriptions.Subscription stored, CancellationToken ct)
        {
            IReadOnlyList<InvoiceLineItem>? lines = invoice.Lines?.Data;
            var paid = PaidLine.Find(lines, stored.Stripe);
            if (paid is null && invoice.Lines?.HasMore == true && api.IsConfigured)
            {
                // The event carries the first page of lines only; the plan's line is further down.
                lines = listed ??= await api.ListLinesAsync(invoice.Id, ct).ConfigureAwait(false);
                paid = PaidLine.Find(lines, stored.Stripe);
            }

            // No line is the plan's when its item was replaced at the renewal: the period is paid all the same, with a plan
            // that the period's state (customer.subscription.updated, or the API) tells.
            paid ??= invoice.Lines?.HasMore == true && !api.IsConfigured ? null : PaidLine.AnyPeriod(lines);
            if (paid is null)
            {
                return (null, invoice.Lines?.HasMore == true ? Cut : "the invoice pays no billing period (prorations or one-off items only)");
            }

            // Prebilled: the period has not started. Its renewal is confirmed when it starts (by the API, or reported).
            return paid.PeriodStart > time.GetUtcNow().AddDays(1) ? (null, $"the invoice pays a period that has not started ({paid.PeriodStart:O})") : (paid, null);
        }

        var (result, ignored) = customerId is null
            ? (new SyncResult(SyncOutcome.Unknown, null, null), null)
            : await sync.RecordPaymentAsync(customerId, subscriptionId, PaidForAsync, stripeEvent.Id, job, cancellationToken).ConfigureAwait(false);
        ResetOutcome? fetchReset = null;
        if (result.Outcome == SyncOutcome.Unknown && result.Stored is null && api.IsConfigured
            && await sync.SyncFromApiAsync(subscriptionId, null, job, cancellationToken).ConfigureAwait(false) is { Stored: { } fetched } synced)
        {
            // Not stored yet: fetched, stored, and given what is due (its first period is active, so paid); then its payment.
            fetchReset = synced.Reset;
            (result, ignored) = await sync.RecordPaymentAsync(fetched.CustomerId, subscriptionId, PaidForAsync, stripeEvent.Id, job, cancellationToken).ConfigureAwait(false);
        }

        if (ignored is not null)
        {
            if (ignored == Cut)
            {
                UnmatchedInvoice(logger, stripeEvent.Id, invoice.Id, subscriptionId, ignored);
            }

            return Ignored(stripeEvent, ignored) with { SubscriptionId = subscriptionId };
        }

        if (result.Outcome == SyncOutcome.Unknown)
        {
            // Before customer.subscription.created: that event grants the first period's allowance when it comes.
            UnknownSubscription(logger, stripeEvent.Id, subscriptionId);
            return new WebhookOutcome(stripeEvent.Id, stripeEvent.Type, WebhookResult.UnknownSubscription) { SubscriptionId = subscriptionId };
        }

        if (result.Stored is { } recorded && recorded.PaidPeriodStart > recorded.Stripe.PeriodStart && api.IsConfigured
            && await sync.SyncFromApiAsync(subscriptionId, recorded.PaidPeriodStart, job, cancellationToken).ConfigureAwait(false) is { } current)
        {
            // Paid ahead of the period's state, at another price: the API tells the new period's plan now.
            result = result with { Stored = current.Stored ?? recorded, Reset = current.Reset ?? result.Reset };
        }

        return Answer(stripeEvent, result with { Reset = result.Reset?.Applied is not null ? result.Reset : fetchReset ?? result.Reset }, payment: true);
    }

    private ResetJob Job(Event stripeEvent) => new(stripeEvent.Id, ResetTrigger.Webhook, time.GetUtcNow(), DryRun: false, _policy);

    private WebhookOutcome Answer(Event stripeEvent, SyncResult result, bool payment)
    {
        var reset = result.Reset is { } outcome && result.Outcome is not SyncOutcome.Stale ? WebhookReset.From(outcome) : null;
        var label = result.Outcome switch
        {
            SyncOutcome.Applied when payment && result.Stored is { } s && s.PaidPeriodStart > s.Stripe.PeriodStart => WebhookResult.PaidRecorded,
            SyncOutcome.Applied or SyncOutcome.Created => WebhookResult.Synced,
            SyncOutcome.Duplicate => WebhookResult.Duplicate,
            SyncOutcome.Stale => WebhookResult.Stale,
            SyncOutcome.Unknown => WebhookResult.UnknownSubscription,
            _ => WebhookResult.Unchanged,
        };
        var subscriptionId = result.Stored?.Id;
        EventApplied(logger, stripeEvent.Id, stripeEvent.Type, subscriptionId, label, reset?.Applied == true);
        return new WebhookOutcome(stripeEvent.Id, stripeEvent.Type, label) { SubscriptionId = subscriptionId, Reset = reset };
    }

    private WebhookOutcome Ignored(Event stripeEvent, string detail)
    {
        EventIgnored(logger, stripeEvent.Id, stripeEvent.Type, detail);
        return new WebhookOutcome(stripeEvent.Id, stripeEvent.Type, WebhookResult.Ignored) { Detail = detail };
    }

    [LoggerMessage(2200, LogLevel.Debug, "Ignored Stripe event {EventId} of type {EventType}: {Detail}")]
    private static partial void EventIgnored(ILogger logger, string eventId, string eventType, string detail);

    [LoggerMessage(2201, LogLevel.Information, "Stripe event {EventId} ({EventType}) for {SubscriptionId}: {Outcome}, reset applied {ResetApplied}")]
    private static partial void EventApplied(ILogger logger, string eventId, string eventType, string? subscriptionId, string outcome, bool resetApplied);

    [LoggerMessage(2202, LogLevel.Warning, "Stripe event {EventId}: invoice paid for {SubscriptionId}, which is not stored yet and no Stripe:ApiKey is set to fetch it; its customer.subscription.created event will grant the allowance")]
    private static partial void UnknownSubscription(ILogger logger, string eventId, string subscriptionId);

    [LoggerMessage(2203, LogLevel.Warning, "Stripe event {EventId}: invoice {InvoiceId} of {SubscriptionId} was paid but {Detail}")]
    private static partial void UnmatchedInvoice(ILogger logger, string eventId, string invoiceId, string subscriptionId, string detail);

    [LoggerMessage(1008, LogLevel.Error, "Subscription {SubscriptionId} has an unknown plan (price {PriceId}): it gets no credits until its price has credits_per_month metadata or a configured allowance")]
    private static partial void UnknownPlan(ILogger logger, string subscriptionId, string priceId);

    [LoggerMessage(2204, LogLevel.Warning, "Stripe event {EventId} ({EventType}) is signed but has an unexpected shape, answered as ignored: {Detail}")]
    private static partial void UnexpectedShape(ILogger logger, string eventId, string eventType, string detail);
}
