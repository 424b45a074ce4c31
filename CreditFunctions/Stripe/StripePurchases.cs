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
public sealed partial class StripePurchases(AccountWriter writer, ICreditStore store, StripeApi api, ILogger<StripePurchases> logger)
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

        return await GrantAsync(stripeEvent, customerId, purchaseId, session.PaymentIntentId, credits, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A paid invoice without a subscription: a one-off invoice, or the invoice of a payment-mode Checkout session.</summary>
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
        return await GrantAsync(stripeEvent, customerId, invoice.Id, paymentIntent, credits, cancellationToken).ConfigureAwait(false);
    }

    public async Task<WebhookOutcome> ChargeRefundedAsync(Event stripeEvent, Charge charge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stripeEvent);
        ArgumentNullException.ThrowIfNull(charge);
        if (charge.CustomerId is not { } customerId || !StripeIds.IsCustomer(customerId) || charge.PaymentIntentId is not { } paymentIntent || charge.Amount <= 0)
        {
            return Answer(stripeEvent, WebhookResult.Ignored, null, "a charge without a customer or payment intent: not a credit purchase");
        }

        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (await store.FindPurchaseByPaymentAsync(customerId, paymentIntent, cancellationToken).ConfigureAwait(false) is not { } purchase)
            {
                return Answer(stripeEvent, WebhookResult.Ignored, customerId, "no credit purchase was paid with this charge's payment");
            }

            // Refunds add up on the charge: the share to take back follows amount_refunded, so a redelivery takes nothing.
            var target = (long)((Int128)purchase.Credits * Math.Min(charge.AmountRefunded, charge.Amount) / charge.Amount);
            var update = await writer.UpdateAsync(customerId, (draft, _) =>
            {
                var owed = target - purchase.RefundedCredits;
                if (owed <= 0)
                {
                    return new DraftResult<WebhookOutcome>(Answer(stripeEvent, WebhookResult.Unchanged, customerId, "this refund's share was taken back before")) { Refused = "nothing owed" };
                }

                var parts = new List<LedgerPart>();
                var left = owed;
                foreach (var bucket in draft.Account.Grants.Where(g => purchase.BucketIds.Contains(g.Id) && !g.IsExpired(draft.Now)).ToList())
                {
                    var taken = Math.Min(left, bucket.Remaining);
                    if (taken == 0)
                    {
                        continue;
                    }

                    parts.Add(new LedgerPart(bucket.Id, -taken, bucket.Remaining - taken));
                    draft.SetAccount(draft.Account with { Grants = [.. draft.Account.Grants.Select(g => g.Id == bucket.Id ? g with { Remaining = g.Remaining - taken } : g)] });
                    left -= taken;
                }

                var spent = left;
                draft.Append(new LedgerEntry
                {
                    Sequence = 0, At = draft.Now, Kind = LedgerKind.Refund, Parts = parts, BalanceAfter = 0, RunId = stripeEvent.Id,
                    Reason = spent == 0
                        ? $"refund of {charge.Id}: {owed} credits taken back"
                        : $"refund of {charge.Id}: {owed - spent} credits taken back; {spent} were spent already and are not clawed back",
                });
                return new DraftResult<WebhookOutcome>(Answer(stripeEvent, WebhookResult.Refunded, customerId, $"{owed - spent} credits taken back, {spent} already spent"))
                {
                    EventId = stripeEvent.Id,
                    Purchase = purchase with { RefundedCredits = target },
                    OnRefused = refused => refused.Result switch
                    {
                        AccountWriteResult.EventRecorded => Answer(stripeEvent, WebhookResult.Duplicate, customerId, null),
                        _ => null, // The purchase record moved on (another refund event): read it again.
                    },
                };
            }, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (update.Answer.Result == WebhookResult.Unchanged && await store.HasEventAsync(customerId, stripeEvent.Id, cancellationToken).ConfigureAwait(false))
            {
                return Answer(stripeEvent, WebhookResult.Duplicate, customerId, null);
            }

            if (update.Written || update.Answer.Result != WebhookResult.Refunded)
            {
                return update.Answer;
            }
        }

        throw new InvalidOperationException($"The purchase refunded by {charge.Id} kept changing.");
    }

    private async Task<WebhookOutcome> GrantAsync(Event stripeEvent, string customerId, string purchaseId, string? paymentIntent, PackCredits credits, CancellationToken cancellationToken)
    {
        if (!PurchaseIdPattern().IsMatch(purchaseId))
        {
            return NotGranted(stripeEvent, purchaseId, customerId, $"'{purchaseId}' is not a Stripe session or invoice id");
        }

        var update = await writer.UpdateAsync(customerId, (draft, _) =>
        {
            if (draft.Account.Grants.Count + credits.Lines.Count > Credits.CreditsLimits.MaxOpenGrants)
            {
                return new DraftResult<WebhookOutcome>(NotGranted(stripeEvent, purchaseId, customerId,
                    $"the customer holds {draft.Account.Grants.Count} open granted buckets, the most one customer may")) { Refused = "too many grants" };
            }

            var buckets = credits.Lines.Select((line, n) => new GrantedBucket
            {
                Id = $"pack-{purchaseId}-{n + 1}",
                Kind = BucketKind.Pack,
                Granted = line.Credits,
                Remaining = line.Credits,
                GrantedAt = draft.Now,
                ExpiresAt = line.ExpireDays is { } days ? draft.Now.AddDays(days) : null,
                Reason = "credit pack",
                Source = purchaseId,
            }).ToList();
            draft.SetAccount(draft.Account with { Grants = [.. draft.Account.Grants, .. buckets] });
            draft.Append(new LedgerEntry
            {
                Sequence = 0, At = draft.Now, Kind = LedgerKind.Purchase, BalanceAfter = 0, RunId = stripeEvent.Id, Reason = $"bought with {purchaseId}",
                Parts = [.. buckets.Select(b => new LedgerPart(b.Id, b.Granted, b.Remaining))],
            });
            var record = new PurchaseRecord
            {
                Id = purchaseId,
                PaymentIntentId = paymentIntent,
                Credits = credits.Total,
                BucketIds = [.. buckets.Select(b => b.Id)],
                PurchasedAt = draft.Now,
                EventId = stripeEvent.Id,
            };
            return new DraftResult<WebhookOutcome>(Answer(stripeEvent, WebhookResult.Granted, customerId, $"{credits.Total} credits granted for {purchaseId}"))
            {
                EventId = stripeEvent.Id,
                Purchase = record,
                OnRefused = refused => refused.Result is AccountWriteResult.PurchaseRecorded or AccountWriteResult.EventRecorded
                    ? Answer(stripeEvent, WebhookResult.Duplicate, customerId, $"{purchaseId} was granted before")
                    : null,
            };
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return update.Answer;
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

    [LoggerMessage(2601, LogLevel.Warning, "Stripe event {EventId}: invoice {InvoiceId} without a subscription was paid; {Detail}")]
    private static partial void UnknownInvoice(ILogger logger, string eventId, string invoiceId, string detail);
}
