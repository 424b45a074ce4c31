using System.Text.RegularExpressions;
using CreditFunctions.Accounts;
using CreditFunctions.Storage;
using Microsoft.Extensions.Logging;
using Stripe;
using Session = Stripe.Checkout.Session;

namespace CreditFunctions.Stripe;

/// <summary>
/// Credit packs bought through Stripe, and their refunds. A paid Checkout session (payment mode) or a paid invoice
/// without a subscription grants the customer a pack bucket per credit-bearing line, exactly once per purchase (keyed by
/// the invoice when there is one, else the session), whatever order and however often Stripe delivers. A refund
/// (<c>charge.refunded</c>, full or partial, cumulative) takes back that share of the purchase's credits that is still
/// unspent; what was spent already is not clawed back below zero, and the ledger entry says so.
/// </summary>
public sealed partial class StripePurchases(AccountRepository accounts, ICreditStore store, StripeApi api, TimeProvider time, ILogger<StripePurchases> logger)
{
    public async Task<WebhookOutcome> CheckoutPaidAsync(Event stripeEvent, Session session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stripeEvent);
        ArgumentNullException.ThrowIfNull(session);
        if (session.Mode != "payment")
        {
            return Answer(stripeEvent, WebhookResult.Ignored, null, "not a payment-mode Checkout session: a subscription's own events carry it");
        }

        if (session.PaymentStatus is not ("paid" or "no_payment_required"))
        {
            return Answer(stripeEvent, WebhookResult.Ignored, null, "not paid yet: checkout.session.async_payment_succeeded grants it once it is");
        }

        var purchaseId = session.InvoiceId ?? session.Id;
        if (session.CustomerId is not { } customerId || !StripeIds.IsCustomer(customerId))
        {
            return NotGranted(stripeEvent, purchaseId, null, "the session has no customer; create Checkout sessions with customer or customer_creation=always so credits have an owner");
        }

        var credits = PackCredits.FromMetadata(session.Metadata, $"session {session.Id}", out var problem);
        if (credits is null && problem is null && api.IsConfigured)
        {
            var items = await api.ListSessionLineItemsAsync(session.Id, cancellationToken).ConfigureAwait(false);
            credits = PackCredits.FromPrices(items.Select(i => ((Price?)i.Price, (long?)i.Quantity)), out problem);
            if (credits is null && problem is null)
            {
                return Answer(stripeEvent, WebhookResult.Ignored, customerId, "no line's price carries credits metadata: not a credit purchase");
            }
        }

        if (credits is null)
        {
            return NotGranted(stripeEvent, purchaseId, customerId, problem
                ?? $"its credits are unknown: set metadata '{PackCredits.CreditsKey}' on the session, or Stripe:ApiKey so the prices' metadata can be read");
        }

        return await GrantAsync(stripeEvent, customerId, purchaseId, session.PaymentIntentId, credits.Lines, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A paid invoice without a subscription: a one-off invoice, the invoice of a payment-mode Checkout session, or an auto top-up's.</summary>
    public async Task<WebhookOutcome> InvoicePaidAsync(Event stripeEvent, Invoice invoice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stripeEvent);
        ArgumentNullException.ThrowIfNull(invoice);
        if (invoice.CustomerId is not { } customerId || !StripeIds.IsCustomer(customerId))
        {
            return NotGranted(stripeEvent, invoice.Id, null, "the invoice has no customer");
        }

        var credits = PackCredits.FromMetadata(invoice.Metadata, $"invoice {invoice.Id}", out var problem);
        if (credits is null && problem is null && api.IsConfigured)
        {
            var priced = new List<(Price?, long?)>();
            foreach (var line in invoice.Lines?.Data ?? [])
            {
                if (line.Pricing?.PriceDetails?.PriceId is { } priceId)
                {
                    priced.Add((await api.GetPriceAsync(priceId, cancellationToken).ConfigureAwait(false), line.Quantity));
                }
            }

            credits = PackCredits.FromPrices(priced, out problem);
        }

        if (credits is null && problem is null)
        {
            // Invoices without a subscription are often not credit packs at all: this is not an error.
            var detail = api.IsConfigured
                ? "no line's price carries credits metadata: not a credit purchase"
                : $"its credits, if any, are unknown: set metadata '{PackCredits.CreditsKey}' on the invoice, or Stripe:ApiKey so the prices' metadata can be read";
            UnknownInvoice(logger, stripeEvent.Id, invoice.Id, detail);
            return Answer(stripeEvent, WebhookResult.Ignored, customerId, detail);
        }

        if (credits is null)
        {
            return NotGranted(stripeEvent, invoice.Id, customerId, problem!);
        }

        string? paymentIntent = null;
        if (api.IsConfigured)
        {
            try
            {
                paymentIntent = await api.GetInvoicePaymentIntentAsync(invoice.Id, cancellationToken).ConfigureAwait(false);
            }
            catch (StripeException ex)
            {
                // The grant does not depend on it; only matching a later refund to this purchase does.
                PaymentUnknown(logger, invoice.Id, ex.Message);
            }
        }

        var topUpId = invoice.Metadata?.TryGetValue(StripeBilling.TopUpMetadataKey, out var named) == true && named.StartsWith($"tu_{customerId}_", StringComparison.Ordinal) ? named : null;
        return await GrantAsync(stripeEvent, customerId, invoice.Id, paymentIntent, credits.Lines, cancellationToken, topUpId).ConfigureAwait(false);
    }

    /// <summary>
    /// An auto top-up's invoice, paid by the charge: granted through the same path as <c>invoice.paid</c> (keyed by the
    /// invoice, so whichever of the two comes first grants it and the other finds it granted), recorded under the top-up's id.
    /// </summary>
    public Task<WebhookOutcome> TopUpPaidAsync(string topUpId, Invoice invoice, CancellationToken cancellationToken) =>
        InvoicePaidAsync(new Event { Id = topUpId, Type = "credits.top_up.charged" }, invoice, cancellationToken);

    public async Task<WebhookOutcome> ChargeRefundedAsync(Event stripeEvent, Charge charge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stripeEvent);
        ArgumentNullException.ThrowIfNull(charge);
        if (charge.CustomerId is not { } customerId || !StripeIds.IsCustomer(customerId) || charge.PaymentIntentId is not { } paymentIntent || charge.Amount <= 0)
        {
            return Answer(stripeEvent, WebhookResult.Ignored, null, "a charge without a customer or payment intent: not a credit purchase");
        }

        // Refunds add up on the charge: the share to take back follows amount_refunded, so a redelivery takes nothing.
        // The purchase is looked up inside the change, so a retry after a conflict sees a grant that landed meanwhile.
        var now = time.GetUtcNow();
        var found = false;
        var kept = false;
        var changed = await accounts.ChangeAsync(customerId, async (account, ct) =>
        {
            var purchase = await store.FindPurchaseByPaymentAsync(customerId, paymentIntent, ct).ConfigureAwait(false);
            found = purchase is not null;
            if (purchase is null)
            {
                // Stripe may tell of the refund before the purchase's grant: it is kept, and taken back at the grant.
                kept = account.KeepRefundForLater(new PendingRefund(paymentIntent, charge.Id, charge.Amount, charge.AmountRefunded, stripeEvent.Id, now), now);
                return null;
            }

            var target = (long)((Int128)purchase.Credits * Math.Min(charge.AmountRefunded, charge.Amount) / charge.Amount);
            return account.RefundPurchase(purchase, target, charge.Id, stripeEvent.Id, now);
        }, saveIf: refund => refund is not null || kept, cancellationToken: cancellationToken).ConfigureAwait(false);

        if (changed.Status == SaveStatus.AlreadyRecorded
            || (changed.Result is null && !kept && await store.HasEventAsync(customerId, stripeEvent.Id, cancellationToken).ConfigureAwait(false)))
        {
            return Answer(stripeEvent, WebhookResult.Duplicate, customerId, null);
        }

        if (!found)
        {
            if (!kept)
            {
                RefundNotKept(logger, stripeEvent.Id, charge.Id, customerId, AccountLimits.MaxPendingRefunds);
                return Answer(stripeEvent, WebhookResult.Ignored, customerId,
                    $"no credit purchase was paid with this charge's payment, and the customer already has {AccountLimits.MaxPendingRefunds} refunds waiting for theirs");
            }

            return Answer(stripeEvent, WebhookResult.RefundPending, customerId,
                $"no credit purchase was paid with this charge's payment yet: the refund is kept for {PendingRefund.KeptFor.TotalDays:0} days and taken back if that purchase is granted");
        }

        return changed.Result is { } refund
            ? Answer(stripeEvent, WebhookResult.Refunded, customerId, $"{refund.TakenBack} credits taken back, {refund.AlreadySpent} already spent")
            : Answer(stripeEvent, WebhookResult.Unchanged, customerId, "this refund's share was taken back before");
    }

    private async Task<WebhookOutcome> GrantAsync(
        Event stripeEvent, string customerId, string purchaseId, string? paymentIntent, IReadOnlyList<PackLine> lines, CancellationToken cancellationToken, string? topUpId = null)
    {
        if (!PurchaseIdPattern().IsMatch(purchaseId))
        {
            return NotGranted(stripeEvent, purchaseId, customerId, $"'{purchaseId}' is not a Stripe session or invoice id");
        }

        var purchase = new PackPurchase(purchaseId, paymentIntent, lines, topUpId);
        Changed<Outcome<PurchaseRecord>> changed;
        try
        {
            changed = await accounts.ChangeAsync(
                customerId, account => account.GrantPurchase(purchase, stripeEvent.Id, time.GetUtcNow()), saveIf: granted => granted.Refusal is null, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (AccountTooLargeException ex)
        {
            return NotGranted(stripeEvent, purchaseId, customerId, ex.Message);
        }

        if (changed.Status == SaveStatus.AlreadyRecorded)
        {
            return Answer(stripeEvent, WebhookResult.Duplicate, customerId, $"{purchaseId} was granted before");
        }

        return changed.Result.Refusal is TooManyGrants { Open: var open }
            ? NotGranted(stripeEvent, purchaseId, customerId, $"the customer holds {open} open granted buckets, the most one customer may")
            : Answer(stripeEvent, WebhookResult.Granted, customerId, $"{lines.Sum(l => l.Credits)} credits granted for {purchaseId}");
    }

    private WebhookOutcome NotGranted(Event stripeEvent, string purchaseId, string? customerId, string problem)
    {
        PurchaseNotGranted(logger, stripeEvent.Id, purchaseId, customerId, problem);
        return Answer(stripeEvent, WebhookResult.NotGranted, customerId, problem);
    }

    private static WebhookOutcome Answer(Event stripeEvent, string result, string? customerId, string? detail) =>
        new(stripeEvent.Id, stripeEvent.Type, result) { CustomerId = customerId, Detail = detail };

    [GeneratedRegex("^(cs|in)_[A-Za-z0-9_]{1,250}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex PurchaseIdPattern();

    [LoggerMessage(2600, LogLevel.Error, "Stripe event {EventId}: purchase {PurchaseId} of {CustomerId} was paid but no credits were granted: {Problem}")]
    private static partial void PurchaseNotGranted(ILogger logger, string eventId, string purchaseId, string? customerId, string problem);

    [LoggerMessage(2602, LogLevel.Warning, "The payment of invoice {InvoiceId} could not be read ({Message}); a refund of it will not find its credits")]
    private static partial void PaymentUnknown(ILogger logger, string invoiceId, string message);

    [LoggerMessage(2603, LogLevel.Warning, "Stripe event {EventId}: refund of charge {ChargeId} matches no credit purchase of {CustomerId}, and {Max} refunds wait for theirs already; it is not kept")]
    private static partial void RefundNotKept(ILogger logger, string eventId, string chargeId, string customerId, int max);

    [LoggerMessage(2601, LogLevel.Warning, "Stripe event {EventId}: invoice {InvoiceId} without a subscription was paid; {Detail}")]
    private static partial void UnknownInvoice(ILogger logger, string eventId, string invoiceId, string detail);
}
