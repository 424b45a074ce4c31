using CreditFunctions.Accounts;
using CreditFunctions.Storage;
using CreditFunctions.Telemetry;
using Microsoft.Extensions.Logging;
using Stripe;

namespace CreditFunctions.Stripe;

/// <summary>
/// Charges one auto top-up through Stripe, resuming from wherever an earlier attempt got: with no invoice yet, checks
/// the customer's default payment method and creates the invoice (its id kept on the account); a draft gets the pack
/// line and is finalized; an open one is paid off-session; a paid one is granted through the pack path (whichever of
/// this and <c>invoice.paid</c> comes first grants it, once). Declined, needing the customer (3-D Secure), no payment
/// method, or Stripe unreachable on the last attempt: the invoice is voided (a draft deleted) so it can never be paid
/// later, and the top-up closes as failed with <c>credits.top_up_failed</c>.
/// </summary>
public sealed partial class TopUpCharge(
    AccountRepository accounts, StripeBilling billing, StripePurchases purchases, CreditMetrics metrics, TimeProvider time, ILogger<TopUpCharge> logger)
{
    /// <returns>True when the top-up is done with (paid, failed, or closed by someone else); false when Stripe could not be reached and it waits for another attempt.</returns>
    public async Task<bool> ChargeAsync(string customerId, TopUp topUp, bool lastAttempt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topUp);
        Invoice? invoice = null;
        try
        {
            var paymentMethod = await billing.DefaultPaymentMethodAsync(customerId, cancellationToken).ConfigureAwait(false);
            if (topUp.InvoiceId is null)
            {
                if (paymentMethod is null)
                {
                    return await FailAsync(customerId, topUp, null, TopUpFailure.NoPaymentMethod,
                        "The customer has no default payment method (invoice_settings.default_payment_method) to charge.", cancellationToken).ConfigureAwait(false);
                }

                invoice = await billing.CreateInvoiceAsync(customerId, topUp, cancellationToken).ConfigureAwait(false);
                var invoiced = await accounts.ChangeAsync(customerId, account => account.TopUpInvoiced(topUp.Id, invoice.Id), saveIf: changed => changed, fresh: true, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
                if (invoiced.Account.State.TopUps?.InFlight?.Id != topUp.Id)
                {
                    // Closed meanwhile (another attempt failed or granted it): the new draft has no line yet; never charge it.
                    await billing.CloseUnpaidAsync(invoice, topUp, cancellationToken).ConfigureAwait(false);
                    return true;
                }
            }
            else
            {
                invoice = await billing.GetInvoiceAsync(topUp.InvoiceId, cancellationToken).ConfigureAwait(false);
            }

            if (invoice.Status == "draft")
            {
                // The invoice leaves the customer's other pending items out: any line on it is the pack's.
                if (invoice.Lines?.Data is not { Count: > 0 })
                {
                    await billing.AddPackLineAsync(customerId, invoice.Id, topUp, cancellationToken).ConfigureAwait(false);
                }

                invoice = await billing.FinalizeAsync(invoice.Id, topUp, cancellationToken).ConfigureAwait(false);
            }

            if (invoice.Status == "open")
            {
                if (paymentMethod is null)
                {
                    return await FailAsync(customerId, topUp, invoice, TopUpFailure.NoPaymentMethod,
                        "The customer has no default payment method (invoice_settings.default_payment_method) to charge.", cancellationToken).ConfigureAwait(false);
                }

                invoice = await billing.PayAsync(invoice.Id, paymentMethod, topUp, cancellationToken).ConfigureAwait(false);
            }

            if (invoice.Status == "paid")
            {
                return await GrantAsync(customerId, topUp, invoice, cancellationToken).ConfigureAwait(false);
            }

            if (invoice.Status == "open" && !lastAttempt)
            {
                // Paid without an error but not paid yet: the payment is processing (a bank debit, a card network's delay). Not
                // voided: read (and its pay answer replayed by the idempotency key) on the next attempt; invoice.paid may come first.
                PaymentProcessing(logger, topUp.Id, customerId, invoice.Id);
                return false;
            }

            return await FailAsync(customerId, topUp, invoice, TopUpFailure.NotPaid, $"Stripe left the invoice {invoice.Status}, not paid.", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransient(ex, cancellationToken))
        {
            if (!lastAttempt)
            {
                ChargeDelayed(logger, topUp.Id, customerId, ex.Message);
                return false;
            }

            return await FailAsync(customerId, topUp, invoice, TopUpFailure.StripeUnavailable,
                $"Stripe could not be reached on any of {StripeWork.MaxAttempts} attempts: {ex.Message}", cancellationToken).ConfigureAwait(false);
        }
        catch (StripeException ex)
        {
            return await FailAsync(customerId, topUp, invoice, ReasonOf(ex), ex.StripeError?.Message ?? ex.Message, cancellationToken)
                .ConfigureAwait(false);
        }
    }

    /// <summary>Stripe could not take the call now: unreachable, timed out, 429, 5xx, or the same idempotency key still in flight (409).</summary>
    public static bool IsTransient(Exception exception, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested
        && !IsStoreFailure(exception)
        && (StoreFailure.Classify(exception, cancellationToken.IsCancellationRequested) == StoreFailureKind.Unavailable
            || exception is StripeException { HttpStatusCode: System.Net.HttpStatusCode.Conflict, StripeError.Type: "idempotency_error" } or TaskCanceledException);

    /// <summary>
    /// The app's own store failing (Table Storage, its identity, too many writers): not Stripe's, so it never counts as an
    /// attempt at Stripe; it goes to the host's retries (and the poison queue), the top-up staying in flight.
    /// </summary>
    private static bool IsStoreFailure(Exception exception) =>
        exception is Azure.RequestFailedException or AccountContentionException or Azure.Identity.AuthenticationFailedException
        || (exception is AggregateException aggregate && aggregate.InnerExceptions.Any(IsStoreFailure));

    /// <summary>What a refused payment was: a card that needs its holder (3-D Secure), a decline, no payment method, anything else.</summary>
    public static string ReasonOf(StripeException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var error = exception.StripeError;
        return error?.Code is "authentication_required" or "invoice_payment_intent_requires_action" || error?.DeclineCode == "authentication_required"
                || error?.PaymentIntent?.Status == "requires_action"
            ? TopUpFailure.RequiresAction
            : error?.Type == "card_error" ? TopUpFailure.CardDeclined
            : error?.Code is "invoice_no_payment_method_types" or "payment_method_missing" or "missing" ? TopUpFailure.NoPaymentMethod
            : TopUpFailure.InvalidRequest;
    }

    private async Task<bool> GrantAsync(string customerId, TopUp topUp, Invoice invoice, CancellationToken cancellationToken)
    {
        var outcome = await purchases.TopUpPaidAsync(topUp.Id, invoice, cancellationToken).ConfigureAwait(false);
        if (outcome.Result is WebhookResult.Granted or WebhookResult.Duplicate)
        {
            Charged(logger, topUp.Id, customerId, invoice.Id);
            return true;
        }

        // Paid but not granted (the price lost its credits metadata, or the account is full): loud, never silent.
        return await CloseAsync(customerId, topUp, TopUpFailure.InvalidRequest,
            $"Invoice {invoice.Id} was paid but no credits were granted: {outcome.Detail}. Grant them by hand (POST .../credits/grants) or refund the invoice.", cancellationToken)
            .ConfigureAwait(false);
    }

    private async Task<bool> FailAsync(string customerId, TopUp topUp, Invoice? invoice, string reason, string message, CancellationToken cancellationToken)
    {
        if (invoice is null && topUp.InvoiceId is { } unread)
        {
            // Stripe could not be reached to read it: it stays as it was (never collected with auto_advance off) until voided by hand.
            NotVoided(logger, unread, topUp.Id, message);
        }
        else if (invoice is { Status: "draft" or "open" })
        {
            try
            {
                await billing.CloseUnpaidAsync(invoice, topUp, cancellationToken).ConfigureAwait(false);
            }
            catch (StripeException ex)
            {
                NotVoided(logger, invoice.Id, topUp.Id, ex.Message);
            }
            catch (Exception ex) when (IsTransient(ex, cancellationToken))
            {
                NotVoided(logger, invoice.Id, topUp.Id, ex.Message);
            }
        }

        return await CloseAsync(customerId, topUp, reason, message, cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> CloseAsync(string customerId, TopUp topUp, string reason, string message, CancellationToken cancellationToken)
    {
        var closed = await accounts.ChangeAsync(
            customerId, account => account.TopUpFailed(topUp.Id, reason, message, time.GetUtcNow()), saveIf: failed => failed, fresh: true, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (closed.Result)
        {
            metrics.TopUpFailed(reason);
            Failed(logger, topUp.Id, customerId, reason, message);
        }

        return true;
    }

    [LoggerMessage(3110, LogLevel.Information, "Top-up {TopUpId} of {CustomerId} was paid with invoice {InvoiceId}")]
    private static partial void Charged(ILogger logger, string topUpId, string customerId, string invoiceId);

    [LoggerMessage(3111, LogLevel.Error, "Top-up {TopUpId} of {CustomerId} failed ({Reason}): {Message}. No new top-up starts until available rises to the threshold and falls below it again, or an operator retries (POST .../credits/auto-top-up/retry)")]
    private static partial void Failed(ILogger logger, string topUpId, string customerId, string reason, string message);

    [LoggerMessage(3112, LogLevel.Warning, "Top-up {TopUpId} of {CustomerId} could not reach Stripe ({Failure}); it is tried again with the same idempotency keys")]
    private static partial void ChargeDelayed(ILogger logger, string topUpId, string customerId, string failure);

    [LoggerMessage(3114, LogLevel.Warning, "Top-up {TopUpId} of {CustomerId}: invoice {InvoiceId} is still open after its payment, which Stripe is processing; it is read again later, and invoice.paid grants it if it comes first")]
    private static partial void PaymentProcessing(ILogger logger, string topUpId, string customerId, string invoiceId);

    [LoggerMessage(3113, LogLevel.Warning, "Invoice {InvoiceId} of failed top-up {TopUpId} could not be voided ({Failure}); void it in the Dashboard so it is never collected")]
    private static partial void NotVoided(ILogger logger, string invoiceId, string topUpId, string failure);
}
