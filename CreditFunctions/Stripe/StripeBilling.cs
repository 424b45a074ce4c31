using CreditFunctions.Accounts;
using Stripe;
using Stripe.Billing;

namespace CreditFunctions.Stripe;

/// <summary>
/// What the app writes to Stripe: a top-up's invoice (created, given its pack line, finalized, paid with the customer's
/// default payment method, or voided) and overage meter events. Every call carries an idempotency key derived from the
/// top-up or the overage, so a retry of any step (by Stripe.net, the queue, or an operator) never charges or counts twice.
/// </summary>
public sealed class StripeBilling(StripeApi api)
{
    /// <summary>The invoice metadata key naming the top-up an invoice pays for: the pack path closes the top-up by it.</summary>
    public const string TopUpMetadataKey = "credits_top_up";

    public bool IsConfigured => api.IsConfigured;

    /// <summary>The customer's default payment method for invoices (or its default source); null when it has none.</summary>
    public async Task<string?> DefaultPaymentMethodAsync(string customerId, CancellationToken cancellationToken = default)
    {
        var customer = await new CustomerService(api.Client).GetAsync(customerId, cancellationToken: cancellationToken).ConfigureAwait(false);
        return customer.InvoiceSettings?.DefaultPaymentMethodId ?? customer.DefaultSourceId;
    }

    /// <summary>A draft invoice for the top-up alone (pending invoice items of the customer left out), charged automatically.</summary>
    public Task<Invoice> CreateInvoiceAsync(string customerId, TopUp topUp, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topUp);
        return new InvoiceService(api.Client).CreateAsync(
            new InvoiceCreateOptions
            {
                Customer = customerId,
                CollectionMethod = "charge_automatically",
                AutoAdvance = false,
                PendingInvoiceItemsBehavior = "exclude",
                Description = "Credits auto top-up",
                Metadata = new Dictionary<string, string> { [TopUpMetadataKey] = topUp.Id },
            },
            Key(topUp, "invoice"),
            cancellationToken);
    }

    public Task<Invoice> GetInvoiceAsync(string invoiceId, CancellationToken cancellationToken = default) =>
        new InvoiceService(api.Client).GetAsync(invoiceId, cancellationToken: cancellationToken);

    /// <summary>The pack line: <see cref="TopUp.Quantity"/> of its one-time price, on the top-up's invoice.</summary>
    public Task<InvoiceItem> AddPackLineAsync(string customerId, string invoiceId, TopUp topUp, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topUp);
        return new InvoiceItemService(api.Client).CreateAsync(
            new InvoiceItemCreateOptions
            {
                Customer = customerId,
                Invoice = invoiceId,
                Pricing = new InvoiceItemPricingOptions { Price = topUp.PriceId },
                Quantity = topUp.Quantity,
                Metadata = new Dictionary<string, string> { [TopUpMetadataKey] = topUp.Id },
            },
            Key(topUp, "item"),
            cancellationToken);
    }

    public Task<Invoice> FinalizeAsync(string invoiceId, TopUp topUp, CancellationToken cancellationToken = default) =>
        new InvoiceService(api.Client).FinalizeInvoiceAsync(invoiceId, new InvoiceFinalizeOptions { AutoAdvance = false }, Key(topUp, "finalize"), cancellationToken);

    /// <summary>Pays the invoice now with <paramref name="paymentMethod"/>, the customer not present (a card needing 3-D Secure fails).</summary>
    public Task<Invoice> PayAsync(string invoiceId, string paymentMethod, TopUp topUp, CancellationToken cancellationToken = default) =>
        new InvoiceService(api.Client).PayAsync(invoiceId, new InvoicePayOptions { OffSession = true, PaymentMethod = paymentMethod }, Key(topUp, "pay"), cancellationToken);

    /// <summary>A failed top-up's invoice can never be paid later (a draft is deleted, an open one voided).</summary>
    public async Task CloseUnpaidAsync(Invoice invoice, TopUp topUp, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        var service = new InvoiceService(api.Client);
        if (invoice.Status == "draft")
        {
            await service.DeleteAsync(invoice.Id, requestOptions: Key(topUp, "delete"), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else if (invoice.Status == "open")
        {
            await service.VoidInvoiceAsync(invoice.Id, requestOptions: Key(topUp, "void"), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reports overage to its meter: <c>stripe_customer_id</c> and <c>value</c> (the meter's default payload keys) at the
    /// spend's time, under the overage's identifier (Stripe drops a repeat of it) and the same idempotency key.
    /// </summary>
    public Task<MeterEvent> SendMeterEventAsync(string customerId, PendingUsage usage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(usage);
        return new MeterEventService(api.Client).CreateAsync(
            new MeterEventCreateOptions
            {
                EventName = usage.EventName,
                Identifier = usage.Identifier,
                Timestamp = usage.At.UtcDateTime,
                Payload = new Dictionary<string, string>
                {
                    ["stripe_customer_id"] = customerId,
                    ["value"] = usage.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                },
            },
            new RequestOptions { IdempotencyKey = usage.Identifier },
            cancellationToken);
    }

    /// <summary>The idempotency key of one step of a top-up: <c>{topUpId}-{step}</c>, the same on every attempt.</summary>
    public static RequestOptions Key(TopUp topUp, string step)
    {
        ArgumentNullException.ThrowIfNull(topUp);
        return new RequestOptions { IdempotencyKey = $"{topUp.Id}-{step}" };
    }
}
