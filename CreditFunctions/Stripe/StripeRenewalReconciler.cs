using CreditFunctions.Resets;
using Microsoft.Extensions.Logging;
using Stripe;

namespace CreditFunctions.Stripe;

/// <summary>
/// Brings a subscription up to date from the Stripe API when what is stored cannot be decided on (a renewal not seen,
/// a payment not confirmed): syncs the subscription as Stripe has it now, and whether its current period is paid (the
/// latest invoice, else the period's own paid invoice). Off without <c>Stripe:ApiKey</c>. Never resets anything itself.
/// </summary>
public sealed partial class StripeRenewalReconciler(
    StripeApi api,
    SubscriptionSync sync,
    StripeSubscriptionMapper mapper,
    ILogger<StripeRenewalReconciler> logger) : IRenewalReconciler
{
    public async Task<Subscriptions.Subscription?> ReconcileAsync(Subscriptions.Subscription stale, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stale);
        if (!api.IsConfigured)
        {
            return null;
        }

        var (fetched, asOf) = await api.GetSubscriptionAsync(stale.Id, cancellationToken).ConfigureAwait(false);
        var view = mapper.Map(fetched) with { AsOf = asOf ?? stale.Stripe.AsOf };
        var paid = PaidFor(fetched.LatestInvoice, view);
        if (paid is null && view.PeriodStart != stale.PaidPeriodStart)
        {
            await foreach (var invoice in api.ListPaidInvoicesAsync(stale.Id, cancellationToken).ConfigureAwait(false))
            {
                if (PaidFor(invoice, view) is { } found)
                {
                    paid = found;
                    break;
                }

                if (invoice.Created < view.PeriodStart.UtcDateTime.AddDays(-1))
                {
                    break; // Newest first: older invoices cannot be the current period's.
                }
            }
        }

        // Sync only: the run decides and commits what is then due.
        var result = await sync.SyncViewAsync(view, eventId: null, isCreation: false, job: null, paidPeriodStart: paid, cancellationToken: cancellationToken).ConfigureAwait(false);
        Reconciled(logger, stale.Id, view.Status, view.PeriodStart, paid is not null, result.Outcome);
        return result.Stored ?? stale;
    }

    /// <summary>The current period's start, if <paramref name="invoice"/> is paid and its plan line is for that period.</summary>
    private static DateTimeOffset? PaidFor(Invoice? invoice, Subscriptions.StripeView view) =>
        invoice is { Status: "paid" } && PaidLine.Find(invoice.Lines?.Data, view) is { } line && line.PeriodStart == view.PeriodStart
            ? line.PeriodStart
            : null;

    [LoggerMessage(2300, LogLevel.Information, "Reconciled {SubscriptionId} from the Stripe API: status {Status}, period from {PeriodStart:O}, paid {Paid}, sync {SyncOutcome}")]
    private static partial void Reconciled(ILogger logger, string subscriptionId, string status, DateTimeOffset periodStart, bool paid, SyncOutcome syncOutcome);
}
