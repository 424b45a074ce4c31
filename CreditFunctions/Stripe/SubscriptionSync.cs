using CreditFunctions.Accounts;
using CreditFunctions.Resets;
using CreditFunctions.Storage;
using CreditFunctions.Subscriptions;
using Microsoft.Extensions.Logging;
using Stripe;

namespace CreditFunctions.Stripe;

/// <summary>
/// Writes what Stripe says about a subscription into its customer's account: load → <see cref="CustomerAccount.SyncSubscription"/>
/// or <see cref="CustomerAccount.RecordPayment"/> → save. A redelivered event writes nothing and says so; a subscription
/// new to the app is remembered under its customer. Also the one place that reads a subscription from the Stripe API.
/// </summary>
public sealed partial class SubscriptionSync(
    AccountRepository accounts, ICreditStore store, StripeApi api, StripeSubscriptionMapper mapper, TimeProvider time, ILogger<SubscriptionSync> logger)
{
    /// <summary>Stores <paramref name="incoming"/> as Stripe's view of the subscription if it is newer than the stored one.</summary>
    /// <param name="job">Applies the reset then due in the same write; null to sync only (a run's reconciliation).</param>
    public async Task<SyncResult> SyncViewAsync(
        StripeView incoming, string? eventId, bool isCreation, ResetJob? job, bool resolveTies = false, DateTimeOffset? paidPeriodStart = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        var result = await ChangeAsync(incoming.CustomerId, eventId, (account, _) =>
        {
            var synced = account.SyncSubscription(incoming, eventId, isCreation, resolveTies, paidPeriodStart, job, time.GetUtcNow());
            if (synced.Outcome == SyncOutcome.Stale)
            {
                StaleState(logger, incoming.Id, eventId, incoming.PeriodStart, synced.Stored!.Stripe.PeriodStart);
            }

            return Task.FromResult(synced);
        }, cancellationToken).ConfigureAwait(false);
        if (result.Outcome == SyncOutcome.Created)
        {
            await store.RememberCustomerAsync(incoming.Id, incoming.CustomerId, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>
    /// Records that an invoice paid a period of the subscription, and applies what that makes due: in one unit of work,
    /// <paramref name="paidFor"/> tells the period from the subscription as stored (its plan's line), or why the invoice
    /// pays none (then nothing is written).
    /// </summary>
    public async Task<(SyncResult Result, string? Ignored)> RecordPaymentAsync(
        string customerId, string subscriptionId, Func<Subscriptions.Subscription, CancellationToken, Task<(PaidPeriod? Paid, string? Ignored)>> paidFor,
        string? eventId, ResetJob? job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paidFor);
        string? ignored = null;
        var result = await ChangeAsync(customerId, eventId, async (account, ct) =>
        {
            ignored = null;
            if (account.State.Find(subscriptionId) is not { } stored)
            {
                return new SyncResult(SyncOutcome.Unknown, null, null);
            }

            var (paid, why) = await paidFor(stored, ct).ConfigureAwait(false);
            if (paid is null)
            {
                ignored = why;
                return new SyncResult(SyncOutcome.Unknown, stored, null);
            }

            return account.RecordPayment(subscriptionId, paid, eventId, job, time.GetUtcNow());
        }, cancellationToken).ConfigureAwait(false);
        return (result, ignored);
    }

    /// <summary>
    /// A subscription as the Stripe API has it now, stamped with Stripe's own time of the answer, and mapped; null when
    /// Stripe does not know it (deleted, or a key of another account or mode), which is logged as a warning.
    /// </summary>
    public async Task<(global::Stripe.Subscription Subscription, StripeView View)?> FetchAsync(string subscriptionId, CancellationToken cancellationToken = default)
    {
        try
        {
            var (subscription, asOf) = await api.GetSubscriptionAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
            return (subscription, mapper.Map(subscription) with { AsOf = asOf });
        }
        catch (StripeException ex) when (ex.HttpStatusCode == System.Net.HttpStatusCode.NotFound)
        {
            UnknownToStripe(logger, subscriptionId, ex.Message);
            return null;
        }
    }

    /// <summary>Stores the subscription as the Stripe API has it now; null when Stripe does not know it.</summary>
    public async Task<SyncResult?> SyncFromApiAsync(string subscriptionId, DateTimeOffset? paidPeriodStart, ResetJob? job, CancellationToken cancellationToken = default) =>
        await FetchAsync(subscriptionId, cancellationToken).ConfigureAwait(false) is { } fetched
            ? await SyncViewAsync(fetched.View, eventId: null, isCreation: false, job, paidPeriodStart: paidPeriodStart, cancellationToken: cancellationToken).ConfigureAwait(false)
            : null;

    private async Task<SyncResult> ChangeAsync(string customerId, string? eventId, Func<CustomerAccount, CancellationToken, Task<SyncResult>> verb, CancellationToken cancellationToken)
    {
        var changed = await accounts.ChangeAsync(customerId, verb, saveIf: r => !r.IsRefusal, cancellationToken: cancellationToken).ConfigureAwait(false);
        var result = changed.Result;
        if (changed.Status == SaveStatus.AlreadyRecorded)
        {
            return result with { Outcome = SyncOutcome.Duplicate, Reset = null }; // The event was recorded by an earlier delivery.
        }

        if (changed.Status is SaveStatus.Unchanged or SaveStatus.NotSaved && result.Outcome is SyncOutcome.Unchanged or SyncOutcome.Stale
            && eventId is not null && result.Stored is not null && await store.HasEventAsync(customerId, eventId, cancellationToken).ConfigureAwait(false))
        {
            // Nothing to write: a redelivered event says "duplicate", whatever else it would have been.
            return result with { Outcome = SyncOutcome.Duplicate };
        }

        return result;
    }

    [LoggerMessage(2100, LogLevel.Information, "Ignored an older state of {SubscriptionId} (event {EventId}): period {IncomingPeriodStart:O} does not move past the stored {StoredPeriodStart:O} and is not newer")]
    private static partial void StaleState(ILogger logger, string subscriptionId, string? eventId, DateTimeOffset incomingPeriodStart, DateTimeOffset storedPeriodStart);

    [LoggerMessage(2205, LogLevel.Warning, "The Stripe API does not know subscription {SubscriptionId} ({Message}): check that Stripe:ApiKey belongs to the account (and mode) the webhooks come from")]
    private static partial void UnknownToStripe(ILogger logger, string subscriptionId, string message);
}
