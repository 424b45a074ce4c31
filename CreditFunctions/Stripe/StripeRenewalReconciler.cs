using CreditFunctions.Resets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Stripe;

namespace CreditFunctions.Stripe;

/// <summary>
/// Recovers a lost renewal webhook: reads the subscription (with its latest invoice) from the Stripe API, syncs it,
/// and reports the current period as paid when the latest invoice is paid for it. Off without <c>Stripe:ApiKey</c>.
/// </summary>
public sealed partial class StripeRenewalReconciler(
    IOptions<StripeOptions> options,
    SubscriptionSync sync,
    StripeSubscriptionMapper mapper,
    TimeProvider time,
    ILogger<StripeRenewalReconciler> logger) : IRenewalReconciler
{
    private readonly SubscriptionService? _subscriptions = CreateService(options.Value);

    public async Task<Reconciliation?> ReconcileAsync(Subscriptions.Subscription stale, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stale);
        if (_subscriptions is null)
        {
            return null;
        }

        var fetched = await _subscriptions.GetAsync(
            stale.Id,
            new SubscriptionGetOptions { Expand = ["latest_invoice"] },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        var state = mapper.Map(fetched) with { AsOf = time.GetUtcNow() };
        var result = await sync.UpsertAsync(state, eventId: null, isCreation: false, cancellationToken).ConfigureAwait(false);
        var current = result.Stored ?? stale;

        DateTimeOffset? paid = null;
        if (fetched.LatestInvoice is { Status: "paid" } invoice
            && StripeEventProcessor.PaidPeriod(invoice) is { } period
            && period.Start == current.Stripe.PeriodStart)
        {
            paid = period.Start;
        }

        Reconciled(logger, stale.Id, state.Status, state.PeriodStart, paid is not null);
        return new Reconciliation(current, paid);
    }

    private static SubscriptionService? CreateService(StripeOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            return null;
        }

        var client = new StripeClient(new StripeClientOptions
        {
            ApiKey = options.ApiKey,
            ApiBase = options.ApiBase?.ToString().TrimEnd('/'),
            HttpClient = new SystemNetHttpClient(httpClient: null, maxNetworkRetries: 2, appInfo: null, enableTelemetry: false),
        });
        return new SubscriptionService(client);
    }

    [LoggerMessage(2300, LogLevel.Information, "Reconciled {SubscriptionId} from the Stripe API: status {Status}, period from {PeriodStart:O}, paid {Paid}")]
    private static partial void Reconciled(ILogger logger, string subscriptionId, string status, DateTimeOffset periodStart, bool paid);
}
