using CreditFunctions.Accounts;
using CreditFunctions.Resets;
using CreditFunctions.Scheduling;
using CreditFunctions.Telemetry;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Storage;

/// <summary>
/// Loads customer accounts and saves them: the state and every record the verbs recorded, in one entity-group
/// transaction with If-Match on the copy loaded. Save derives each touched subscription's due-index entry once, from the
/// state as saved, with the one placement rule (<see cref="DuePlacement"/>), and moves it around the write
/// (<see cref="WriteAhead"/>). <c>ChangeAsync</c>
/// is load → verb → save with the retry when another writer got there first: every caller uses it.
/// </summary>
public sealed partial class AccountRepository(
    ICreditStore store, CreditMetrics metrics, IOptions<ResetOptions> options, IEventAnnouncer? announcer = null, EventPolicy? events = null,
    AccountCache? cache = null, Stripe.StripeHandOff? stripeWork = null)
{
    /// <summary>Records one save can write beside the account row.</summary>
    public const int RecordCapacity = TableLimits.MaxOperations - 1;

    /// <summary>
    /// Enough for dozens of writers on one customer at once (32 spenders and a run, say); each lost race waits a short,
    /// random, growing pause so the writers spread out instead of colliding again.
    /// </summary>
    private const int MaxAttempts = 60;

    private readonly ResetPolicy _policy = options.Value.Policy;
    private readonly EventPolicy _events = events ?? EventPolicy.Off;
    private readonly bool _stripeWork = stripeWork?.IsOn == true;

    /// <summary>The account as the store has it now (and kept in this instance's cache for the next change's first attempt).</summary>
    public async Task<LoadedAccount> LoadAsync(string customerId, CancellationToken cancellationToken = default)
    {
        var stored = await store.GetAccountAsync(customerId, cancellationToken).ConfigureAwait(false);
        if (stored is not null)
        {
            cache?.Put(stored);
        }

        return new LoadedAccount(new CustomerAccount(customerId, stored?.State, _policy, RecordCapacity, _events, _stripeWork), stored);
    }

    /// <summary>The account as this instance last saw it, when it kept it; else read.</summary>
    private async Task<LoadedAccount> LoadForChangeAsync(string customerId, CancellationToken cancellationToken) =>
        cache?.Get(customerId) is { } kept
            ? new LoadedAccount(new CustomerAccount(customerId, kept.State, _policy, RecordCapacity, _events, _stripeWork), kept) { FromCache = true }
            : await LoadAsync(customerId, cancellationToken).ConfigureAwait(false);

    /// <summary>What one unit of work puts down ahead of its writes (index entries, the events' announcement).</summary>
    public WriteAhead Ahead(string customerId) => new(store, customerId, announcer, stripeWork);

    /// <summary>Load → <paramref name="verb"/> → save, again from a fresh load whenever another writer changed the account first.</summary>
    /// <param name="saveIf">Whether to save what the verb did (a refusal that must write nothing answers false); saves always when null.</param>
    /// <param name="fresh">Read the account from the store even when this instance keeps a copy: for an answer that must
    /// be current whether or not it writes (a read of the credits).</param>
    public Task<Changed<T>> ChangeAsync<T>(
        string customerId, Func<CustomerAccount, T> verb, Func<T, bool>? saveIf = null, bool fresh = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(verb);
        return ChangeAsync(customerId, (account, _) => Task.FromResult(verb(account)), saveIf, known: null, fresh: fresh, cancellationToken: cancellationToken);
    }

    /// <summary>As the other overload, for a verb that reads what it needs beside the account (a purchase record, Stripe's lines) on every attempt.</summary>
    /// <param name="known">The account as the caller just loaded it, unchanged, used for the first attempt instead of loading again.</param>
    public async Task<Changed<T>> ChangeAsync<T>(
        string customerId,
        Func<CustomerAccount, CancellationToken, Task<T>> verb,
        Func<T, bool>? saveIf = null,
        LoadedAccount? known = null,
        WriteAhead? moves = null,
        bool fresh = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(verb);
        moves ??= Ahead(customerId);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            // The first attempt may write against this instance's copy: one round trip when nobody else wrote since.
            var loaded = attempt == 1 && known is not null ? known
                : attempt == 1 && !fresh ? await LoadForChangeAsync(customerId, cancellationToken).ConfigureAwait(false)
                : await LoadAsync(customerId, cancellationToken).ConfigureAwait(false);
            var result = await verb(loaded.Account, cancellationToken).ConfigureAwait(false);
            if (saveIf?.Invoke(result) == false)
            {
                if (loaded.FromCache)
                {
                    continue; // A refusal or nothing to do, judged on a copy that may be old: judged again on a read.
                }

                await moves.AbandonAsync(cancellationToken).ConfigureAwait(false);
                return new Changed<T>(result, loaded.Account, SaveStatus.NotSaved, loaded.Stored?.Due);
            }

            Saved saved;
            try
            {
                saved = await SaveAsync(loaded, moves, cancellationToken).ConfigureAwait(false);
            }
            catch (AccountTooLargeException) when (loaded.FromCache)
            {
                // Too large judged on a copy that may be old (another instance may have closed holds or spent grants
                // since): judged again on a read, like a refusal.
                cache?.Forget(customerId);
                continue;
            }

            if (saved.Status == SaveStatus.Conflict || (loaded.FromCache && saved.Status == SaveStatus.Unchanged))
            {
                // Another writer got there first, or the copy said nothing was to be done: again, on a read.
                if (!loaded.FromCache)
                {
                    await BackOffAsync(attempt, cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            return new Changed<T>(result, loaded.Account, saved.Status, saved.Due, saved.Taken);
        }

        throw new AccountContentionException(customerId, MaxAttempts);
    }

    /// <summary>Where each subscription's entry belongs once <paramref name="loaded"/> is saved: the stored entries, with the touched ones placed by the rule.</summary>
    public Dictionary<string, DueEntry> DueAfter(LoadedAccount loaded)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        var account = loaded.Account;
        var due = new Dictionary<string, DueEntry>(loaded.Stored?.Due ?? new Dictionary<string, DueEntry>(), StringComparer.Ordinal);
        var now = account.Changes.AsOf;
        foreach (var id in account.Changes.Subscriptions)
        {
            if (now is not { } asOf || DuePlacement.Of(account.State.Find(id), asOf, _policy) is not { } at)
            {
                due.Remove(id);
            }
            else if (!due.TryGetValue(id, out var entry) || entry.DueAt != at)
            {
                due[id] = new DueEntry(id, account.CustomerId, at);
            }
        }

        // The account's own entry (keyed by the customer id): what of the account itself is next due (DuePlacement.OfAccount).
        // An entry still ahead that comes no later than needed stays where it is, even when nothing is pending any more:
        // a hold made and captured within minutes then costs no index write, and the visit it leaves finds nothing and
        // ends it. Only an entry that has come due, or one that would come too late, is moved or removed.
        var customerId = account.CustomerId;
        var next = account.Exists && now is { } when ? DuePlacement.OfAccount(account.State, when, _events) : null;
        var kept = due.TryGetValue(customerId, out var own) && now is { } asNow && own.DueAt > asNow && (next is null || next >= own.DueAt);
        if (!account.Exists || (next is null && !kept))
        {
            due.Remove(customerId);
        }
        else if (next is { } at && !kept && (own is null || own.DueAt != at))
        {
            due[customerId] = new DueEntry(customerId, customerId, at);
        }

        return due;
    }

    internal async Task<Saved> SaveAsync(LoadedAccount loaded, WriteAhead moves, CancellationToken cancellationToken)
    {
        var due = DueAfter(loaded);
        if (!NeedsWrite(loaded, due))
        {
            await moves.AbandonAsync(cancellationToken).ConfigureAwait(false);
            return new Saved(SaveStatus.Unchanged, loaded.Stored?.Due);
        }

        // Before the write: a crash right after it still leaves each subscription's next look scheduled, and its events
        // delivered.
        due = await moves.PlaceAsync(due, cancellationToken).ConfigureAwait(false);
        await moves.AnnounceAsync(loaded.Account.Changes.Events.Count > 0, loaded.Account.Changes.StripeWork, cancellationToken).ConfigureAwait(false);
        var outcome = await WriteAsync(loaded, due, cancellationToken).ConfigureAwait(false);
        if (outcome.Status == SaveStatus.Written)
        {
            await moves.AfterWriteAsync(cancellationToken).ConfigureAwait(false);
            await moves.CommitAsync(due, loaded.Stored?.Due, cancellationToken).ConfigureAwait(false);
        }
        else if (outcome.Status == SaveStatus.AlreadyRecorded)
        {
            await moves.AbandonAsync(cancellationToken).ConfigureAwait(false);
        }

        return outcome;
    }

    /// <summary>Whether a save has anything to write: a change of the account, or an index entry that moves.</summary>
    internal static bool NeedsWrite(LoadedAccount loaded, IReadOnlyDictionary<string, DueEntry> due)
    {
        var stored = loaded.Stored?.Due ?? new Dictionary<string, DueEntry>();
        var moved = due.Count != stored.Count || due.Any(d => !stored.TryGetValue(d.Key, out var s) || s.DueAt != d.Value.DueAt);
        return loaded.Account.IsChanged || (moved && loaded.Account.Exists);
    }

    /// <summary>The conditional write itself, with entries already in place.</summary>
    internal async Task<Saved> WriteAsync(LoadedAccount loaded, IReadOnlyDictionary<string, DueEntry> due, CancellationToken cancellationToken)
    {
        var (account, stored) = (loaded.Account, loaded.Stored);
        var write = new AccountWrite(account.State, account.Changes, (stored?.Version ?? 0) + 1, stored?.ConcurrencyToken, due);
        var outcome = await store.TryWriteAccountAsync(write, cancellationToken).ConfigureAwait(false);
        switch (outcome.Result)
        {
            case AccountWriteResult.Applied:
                Measure(account.Changes);
                MeasureTopUp(stored?.State.TopUps, account.State.TopUps);
                if (outcome.ConcurrencyToken is { } token)
                {
                    cache?.Put(new StoredAccount(account.State, write.Version, token, due));
                }

                return new Saved(SaveStatus.Written, due);
            case AccountWriteResult.Conflict:
            case AccountWriteResult.ResetRecorded:
                cache?.Forget(account.CustomerId);
                // Another writer changed the account first (a reset record without its account change cannot be).
                return new Saved(SaveStatus.Conflict, null);
            default:
                return new Saved(SaveStatus.AlreadyRecorded, null, new RecordTaken(outcome.Result, outcome.TakenKey));
        }
    }

    private void Measure(AccountChanges changes)
    {
        foreach (var reset in changes.Resets.Where(r => !r.RecordOnly))
        {
            metrics.ResetApplied(reset.Trigger);
        }

        foreach (var entry in changes.Ledger)
        {
            metrics.LedgerEntryAppended(entry.Kind, entry.Amount);
        }

        foreach (var written in changes.Events)
        {
            metrics.EventWritten(written.Type);
        }
    }

    /// <summary>A top-up this write started or found paid (whichever of the charge and <c>invoice.paid</c> came first), or the month's limit it told.</summary>
    private void MeasureTopUp(TopUpState? before, TopUpState? after)
    {
        if (after?.InFlight is { } started && started.Id != before?.InFlight?.Id && (before?.Sequence ?? 0) < after.Sequence)
        {
            metrics.TopUpStarted(started.Trigger);
        }

        if (after?.Last is { Status: TopUpStatus.Succeeded } paid && !(before?.Last is { Status: TopUpStatus.Succeeded } was && was.Id == paid.Id))
        {
            metrics.TopUpCharged();
        }

        if (after?.LimitToldFor is { } month && month != before?.LimitToldFor)
        {
            metrics.TopUpFailed(TopUpFailure.MonthlyLimit);
        }
    }

    /// <summary>Real time, not the business clock: a pause of up to 2^attempt ms (at most 100 ms), at random.</summary>
    private static Task BackOffAsync(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(Random.Shared.Next(0, Math.Min(100, 1 << Math.Min(attempt, 7)) + 1), cancellationToken);
}
