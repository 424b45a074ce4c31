using CreditFunctions.Accounts;
using CreditFunctions.Runs;
using Microsoft.Extensions.Logging;
using Stripe;

namespace CreditFunctions.Stripe;

/// <summary>
/// Brings a subscription up to date from the Stripe API when what is stored cannot be decided on (a renewal not seen,
/// a payment not confirmed): syncs the subscription as Stripe has it now, and whether its current period is paid (the
/// latest invoice, else the period's own paid invoice). Off without <c>Stripe:ApiKey</c>. Never resets anything itself.
/// </summary>
public sealed partial class StripeRenewalReconciler(StripeApi api, SubscriptionSync sync, ILogger<StripeRenewalReconciler> logger) : IRenewalReconciler
{
    public async Task<Subscriptions.Subscription?> ReconcileAsync(Subscriptions.Subscription stale, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stale);
        if (!api.IsConfigured)
        {
            return null;
        }

        if (await sync.FetchAsync(stale.Id, cancellationToken).ConfigureAwait(false) is not { } fetchedNow)
        {
            return null; // Deleted in Stripe, or a key of another account or mode: nothing to sync; the run reports it and looks again.
        }

        var (fetched, view) = fetchedNow;
        view = view with { AsOf = view.AsOf ?? stale.Stripe.AsOf };
        var paid = await PaidForAsync(fetched.LatestInvoice, view, cancellationToken).ConfigureAwait(false);
        if (paid is null && view.PeriodStart != stale.PaidPeriodStart)
        {
            await foreach (var invoice in api.ListPaidInvoicesAsync(stale.Id, cancellationToken).ConfigureAwait(false))
            {
                if (await PaidForAsync(invoice, view, cancellationToken).ConfigureAwait(false) is { } found)
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

    /// <summary>
    /// The current period's start, if <paramref name="invoice"/> is paid and pays that period: the plan's line (listed
    /// page by page when the invoice's first page does not have it), or, for a replaced item, any period line.
    /// </summary>
    private async Task<DateTimeOffset?> PaidForAsync(Invoice? invoice, Subscriptions.StripeView view, CancellationToken cancellationToken)
    {
        if (invoice is not { Status: "paid" })
        {
            return null;
        }

        IReadOnlyList<InvoiceLineItem>? lines = invoice.Lines?.Data;
        if (PaidLine.Find(lines, view) is null && invoice.Lines?.HasMore == true)
        {
            lines = await api.ListLinesAsync(invoice.Id, cancellationToken).ConfigureAwait(false);
        }

        var line = PaidLine.Find(lines, view) ?? PaidLine.AnyPeriod(lines);
        return line?.PeriodStart == view.PeriodStart ? line.PeriodStart : null;
    }

    [LoggerMessage(2300, LogLevel.Information, "Reconciled {SubscriptionId} from the Stripe API: status {Status}, period from {PeriodStart:O}, paid {Paid}, sync {SyncOutcome}")]
    private static partial void Reconciled(ILogger logger, string subscriptionId, string status, DateTimeOffset periodStart, bool paid, SyncOutcome syncOutcome);
}
