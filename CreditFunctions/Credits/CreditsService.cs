using CreditFunctions.Accounts;
using CreditFunctions.Resets;
using CreditFunctions.Storage;

namespace CreditFunctions.Credits;

/// <summary>
/// Reads, spends and grants a customer's credits: each is load → verb → save of the customer's account, and every verb
/// applies what is due first (a boundary that has passed, a grant that has expired) with the same exactly-once records
/// the timer writes. Spends and grants are once per idempotency key; the concurrent ones of one customer share one write
/// (<see cref="CustomerChanges"/>).
/// </summary>
public sealed class CreditsService(AccountRepository accounts, ICreditStore store, TimeProvider time, Stripe.StripeHandOff? stripeWork = null)
{
    /// <summary>The customer's low threshold: its own settings, the defaults, and where its balance stands.</summary>
    public async Task<Outcome<AlertsView>> AlertsAsync(string customerId, CancellationToken cancellationToken = default)
    {
        var loaded = await accounts.LoadAsync(customerId, cancellationToken).ConfigureAwait(false);
        return loaded.Account.Exists ? Outcome.Done(AlertsView.Of(loaded.Account, time.GetUtcNow())) : Outcome.Refused<AlertsView>(new CustomerNotFound(customerId));
    }

    public async Task<Outcome<AlertsView>> SetAlertsAsync(string customerId, AlertSettings settings, CancellationToken cancellationToken = default)
    {
        var changed = await accounts.ChangeAsync(customerId, account =>
        {
            var now = time.GetUtcNow();
            var set = account.SetAlerts(settings, now);
            return set.Refusal is { } refusal ? Outcome.Refused<AlertsView>(refusal) : Outcome.Done(AlertsView.Of(account, now));
        }, saveIf: set => set.Refusal is null, cancellationToken: cancellationToken).ConfigureAwait(false);
        return changed.Result;
    }

    private readonly CustomerChanges _changes = new(accounts, store, time);

    public async Task<Outcome<CreditsView>> ReadAsync(string customerId, CancellationToken cancellationToken = default)
    {
        var changed = await accounts.ChangeAsync(customerId, account =>
        {
            var now = time.GetUtcNow();
            if (!account.Exists)
            {
                return Outcome.Refused<CreditsView>(new CustomerNotFound(customerId));
            }

            account.ApplyDue(new ResetJob($"read-{Guid.NewGuid():N}", ResetTrigger.Api, now, DryRun: false, account.Policy));
            var buckets = account.BucketsAt(now);
            return Outcome.Done<CreditsView>(new CreditsView(customerId, now, buckets.Sum(b => b.Remaining), [.. buckets.Select(BucketAnswer.From)])
            {
                Held = account.State.Held,
                Holds = [.. account.State.Holds.Select(HoldView.From)],
            });
        }, saveIf: read => read.Refusal is null, fresh: true, cancellationToken).ConfigureAwait(false); // A read is never answered from a kept copy.
        return changed.Result;
    }

    /// <param name="before">Where the page starts: below this entry's number (the answer of the page before), or the newest.</param>
    public async Task<Outcome<LedgerPage>> LedgerAsync(string customerId, int limit, long? before, CancellationToken cancellationToken = default)
    {
        var read = await ReadAsync(customerId, cancellationToken).ConfigureAwait(false);
        if (read.Refusal is { } refusal)
        {
            return Outcome.Refused<LedgerPage>(refusal);
        }

        var entries = await store.GetLedgerAsync(customerId, limit, before, cancellationToken).ConfigureAwait(false);

        // Entries are numbered 1..n without gaps: there is more below the last one unless it was number 1.
        var next = entries.Count == limit && entries[^1].Sequence > 1 ? entries[^1].Sequence : (long?)null;
        return Outcome.Done<LedgerPage>(new LedgerPage(customerId, entries, next));
    }

    public async Task<Outcome<CreditsReceipt>> SpendAsync(string customerId, SpendRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var outcome = await _changes.SubmitAsync(
            customerId, new KeyedChange(request.IdempotencyKey, SpendRequest.Operation, request.Fingerprint, (account, now) => account.Spend(request, now)), cancellationToken)
            .ConfigureAwait(false);
        if (outcome.Refusal is OverageBacklog && stripeWork is { IsOn: true })
        {
            // A refusal writes nothing, so nothing else would hand the waiting reports on (their message may have gone to the poison queue).
            await stripeWork.RetryLaterAsync(customerId, 1, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }

        return outcome;
    }

    /// <summary>Reserves credits until captured or released (or the hold expires); shares a write with the customer's concurrent calls.</summary>
    public Task<Outcome<CreditsReceipt>> HoldAsync(string customerId, HoldRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _changes.SubmitAsync(customerId, new KeyedChange(request.IdempotencyKey, HoldRequest.Operation, request.Fingerprint, (account, now) => account.PlaceHold(request, now)), cancellationToken);
    }

    public Task<Outcome<CreditsReceipt>> CaptureAsync(string customerId, CaptureRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _changes.SubmitAsync(customerId, new KeyedChange(request.IdempotencyKey, CaptureRequest.Operation, request.Fingerprint, (account, now) => account.CaptureHold(request, now)), cancellationToken);
    }

    public Task<Outcome<CreditsReceipt>> ReleaseAsync(string customerId, ReleaseRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _changes.SubmitAsync(customerId, new KeyedChange(request.IdempotencyKey, ReleaseRequest.Operation, request.Fingerprint, (account, now) => account.ReleaseHold(request, now)), cancellationToken);
    }

    public Task<Outcome<CreditsReceipt>> GrantAsync(string customerId, GrantRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _changes.SubmitAsync(customerId, new KeyedChange(request.IdempotencyKey, GrantRequest.Operation, request.Fingerprint, (account, now) => account.Grant(request, now)), cancellationToken);
    }
}
