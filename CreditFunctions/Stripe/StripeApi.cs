using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Stripe;
using Subscription = Stripe.Subscription;

namespace CreditFunctions.Stripe;

/// <summary>
/// The Stripe API as the app reads it (what it writes, for top-ups and overage, is <see cref="StripeBilling"/>): off without <c>Stripe:ApiKey</c>. Every request is bounded by
/// <c>Stripe:RequestTimeout</c> and tried at most twice, so a hung API costs one subscription's failure, not a run.
/// </summary>
public sealed class StripeApi
{
    private const int MaxNetworkRetries = 1;

    private readonly StripeClient? _client;

    public StripeApi(IOptions<StripeOptions> options)
    {
        var value = options.Value;
        if (value.UsableApiKey is not { } apiKey)
        {
            return;
        }

        var http = new HttpClient { Timeout = value.RequestTimeout };
        _client = new StripeClient(new StripeClientOptions
        {
            ApiKey = apiKey,
            ApiBase = value.ApiBase?.ToString().TrimEnd('/'),
            HttpClient = new SystemNetHttpClient(http, MaxNetworkRetries, appInfo: null, enableTelemetry: false),
        });
    }

    public bool IsConfigured => _client is not null;

    /// <summary>
    /// A subscription as Stripe has it now, its latest invoice expanded, with Stripe's own time of the answer (its
    /// <c>Date</c> header).
    /// </summary>
    public async Task<(Subscription Subscription, DateTimeOffset? AsOf)> GetSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken = default)
    {
        var subscription = await new SubscriptionService(Client)
            .GetAsync(subscriptionId, new SubscriptionGetOptions { Expand = ["latest_invoice"] }, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return (subscription, AnswerTime(subscription.StripeResponse));
    }

    /// <summary>The paid invoices of a subscription, newest first, one page at a time.</summary>
    public async IAsyncEnumerable<Invoice> ListPaidInvoicesAsync(string subscriptionId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var options = new InvoiceListOptions { Subscription = subscriptionId, Status = "paid", Limit = 10 };
        await foreach (var invoice in new InvoiceService(Client).ListAutoPagingAsync(options, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return invoice;
        }
    }

    /// <summary>Every line of an invoice (a webhook's invoice carries only the first page of them).</summary>
    public async Task<IReadOnlyList<InvoiceLineItem>> ListLinesAsync(string invoiceId, CancellationToken cancellationToken = default)
    {
        var lines = new List<InvoiceLineItem>();
        var options = new InvoiceLineItemListOptions { Limit = 100 };
        await foreach (var line in new InvoiceLineItemService(Client).ListAutoPagingAsync(invoiceId, options, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            lines.Add(line);
        }

        return lines;
    }

    /// <summary>Every line item of a Checkout session, each with its price (and the price's metadata).</summary>
    public async Task<IReadOnlyList<LineItem>> ListSessionLineItemsAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        var items = new List<LineItem>();
        var options = new global::Stripe.Checkout.SessionLineItemListOptions { Limit = 100 };
        await foreach (var item in new global::Stripe.Checkout.SessionLineItemService(Client).ListAutoPagingAsync(sessionId, options, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            items.Add(item);
        }

        return items;
    }

    public Task<Price> GetPriceAsync(string priceId, CancellationToken cancellationToken = default) =>
        new PriceService(Client).GetAsync(priceId, cancellationToken: cancellationToken);

    /// <summary>The payment intent that paid an invoice (invoices carry their payments only when asked for them).</summary>
    public async Task<string?> GetInvoicePaymentIntentAsync(string invoiceId, CancellationToken cancellationToken = default)
    {
        var payments = await new InvoicePaymentService(Client)
            .ListAsync(new InvoicePaymentListOptions { Invoice = invoiceId, Status = "paid" }, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return payments.Data.Select(p => p.Payment?.PaymentIntentId).FirstOrDefault(id => id is not null);
    }

    /// <summary>One page of every subscription in the account, all statuses, in Stripe's order.</summary>
    public Task<StripeList<Subscription>> ListSubscriptionsAsync(string? startingAfter, int limit, CancellationToken cancellationToken = default) =>
        new SubscriptionService(Client).ListAsync(
            new SubscriptionListOptions { Status = "all", Limit = limit, StartingAfter = startingAfter },
            cancellationToken: cancellationToken);

    /// <summary>Stripe's time of an answer, whole seconds like its event timestamps, so the two can be ordered.</summary>
    public static DateTimeOffset? AnswerTime(StripeResponse? response) =>
        response?.Date is { } date ? Periods.CreditPeriods.ToWholeSeconds(date) : null;

    /// <summary>The client every call goes through (<see cref="StripeBilling"/> shares it).</summary>
    internal StripeClient Client => _client ?? throw new InvalidOperationException("The Stripe API is off: set Stripe:ApiKey.");
}
