using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using CreditFunctions.Telemetry;

namespace CreditFunctions.Accounts;

/// <summary>
/// Writes changes to customer accounts: reads the account, lets the caller build the change on that copy (an
/// <see cref="AccountDraft"/>), and writes it with If-Match on the copy read; when another writer got there first, reads
/// again and builds again. The index entries of the subscriptions the change touched move with the write (put down
/// before it, the old ones taken away after it), so a crash between the two never loses a subscription's entry.
/// </summary>
public sealed class AccountWriter(
    ICreditStore store, DueIndex index, TimeProvider time, CreditMetrics metrics, Microsoft.Extensions.Options.IOptions<Resets.ResetOptions> options)
{
    private readonly Resets.ResetPolicy _policy = options.Value.Policy;

    /// <summary>
    /// Enough for dozens of writers on one customer at once (32 spenders and a run, say); each lost race waits a short,
    /// random, growing pause so the writers spread out instead of colliding again.
    /// </summary>
    private const int MaxAttempts = 60;

    /// <summary>Operations in one write: Azure's limit for an entity-group transaction.</summary>
    public const int MaxOperations = 100;

    /// <summary>
    /// Applies one change. <paramref name="build"/> gets a fresh draft of the account as read (and which attempt this is)
    /// and answers the records to write with it and what to answer; it runs again after every lost race.
    /// </summary>
    /// <param name="scope">Inside a run: the index entries it already placed, and those it read and removes itself.</param>
    /// <param name="known">The account as the caller just read it, used for the first attempt instead of reading it again.</param>
    public async Task<AccountUpdate<T>> UpdateAsync<T>(
        string customerId,
        Func<AccountDraft, int, DraftResult<T>> build,
        RunIndexScope? scope = null,
        CustomerAccount? known = null,
        CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(build);
        var moves = new Dictionary<string, DueMove>(StringComparer.Ordinal);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var read = attempt == 1 && known is not null ? known : await store.GetAccountAsync(customerId, cancellationToken).ConfigureAwait(false);
            var draft = new AccountDraft(read, customerId, time.GetUtcNow(), _policy);
            var result = build(draft, attempt);
            draft.ExpireDue(); // What the change itself ended (a canceled subscription's plan credits) goes in the same write.
            if (result.Refused is not null)
            {
                await AbandonAsync(moves, read, cancellationToken).ConfigureAwait(false);
                return new AccountUpdate<T>(result.Answer, read, Written: false);
            }

            // The index rule places each touched subscription as it will be stored.
            var next = draft.Account;
            foreach (var id in draft.Touched)
            {
                if (next.Find(id) is { } touched)
                {
                    next = next.With(touched with { DueAt = index.PlacementFor(touched, draft.Now) });
                }
            }

            var write = new AccountWrite(next with { Version = (read?.Version ?? 0) + 1, ConcurrencyToken = read?.ConcurrencyToken })
            {
                Resets = draft.Resets,
                Ledger = draft.Ledger,
                Idempotency = result.Idempotency,
                EventId = result.EventId,
                Purchase = result.Purchase,
            };
            if (result.Idempotency.Count == 0 && result.Purchase is null && draft.Resets.Count == 0 && draft.Ledger.Count == 0
                && (next.SameContent(read) || (read is null && next.Subscriptions.Count == 0 && next.Grants.Count == 0)))
            {
                // Nothing changed: nothing is written (a sync that changes nothing, a look that moves no entry).
                await AbandonAsync(moves, read, cancellationToken).ConfigureAwait(false);
                return new AccountUpdate<T>(result.Answer, read, Written: false);
            }

            foreach (var subscription in next.Subscriptions.Where(s => draft.Touched.Contains(s.Id)))
            {
                var before = read?.Find(subscription.Id)?.DueAt;
                if (!moves.TryGetValue(subscription.Id, out var move))
                {
                    move = moves[subscription.Id] = index.Move(subscription.Id, customerId);
                    if (scope?.Placed.TryGetValue(subscription.Id, out var placed) == true)
                    {
                        move.Adopt(placed);
                    }
                }

                // Before the write: a crash right after it still leaves the subscription's next look scheduled.
                await move.PlaceAsync(subscription.DueAt, before, cancellationToken).ConfigureAwait(false);
            }

            var outcome = await store.TryWriteAccountAsync(write, cancellationToken).ConfigureAwait(false);
            switch (outcome.Result)
            {
                case AccountWriteResult.Applied:
                    Measure(write);
                    var stored = write.Account with { ConcurrencyToken = outcome.ConcurrencyToken };
                    foreach (var (id, move) in moves)
                    {
                        var before = read?.Find(id)?.DueAt;
                        var releases = scope is null || before is not { } at || !scope.Handles(id, at);
                        await move.CommitAsync(stored.Find(id)?.DueAt, before, releases, cancellationToken).ConfigureAwait(false);
                    }

                    return new AccountUpdate<T>(result.Answer, stored, Written: true);
                case AccountWriteResult.Conflict:
                case AccountWriteResult.ResetRecorded:
                    // Another writer changed the account first (a reset record without its account change cannot be).
                    await BackOffAsync(attempt, cancellationToken).ConfigureAwait(false);
                    continue;
                default:
                    var refusal = result.OnRefused?.Invoke(outcome);
                    if (refusal is null)
                    {
                        continue; // Read again: the next attempt finds what got there first (an idempotency record, say).
                    }

                    var current = await store.GetAccountAsync(customerId, cancellationToken).ConfigureAwait(false);
                    await AbandonAsync(moves, current, cancellationToken).ConfigureAwait(false);
                    return new AccountUpdate<T>(refusal, current, Written: false);
            }
        }

        throw new AccountContentionException(customerId, MaxAttempts);
    }

    private void Measure(AccountWrite write)
    {
        foreach (var reset in write.Resets.Where(r => !r.RecordOnly))
        {
            metrics.ResetApplied(reset.Trigger);
        }

        foreach (var entry in write.Ledger)
        {
            metrics.LedgerEntryAppended(entry.Kind, entry.Amount);
        }
    }

    /// <summary>Real time, not the business clock: a pause of up to 2^attempt ms (at most 100 ms), at random.</summary>
    private static Task BackOffAsync(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(Random.Shared.Next(0, Math.Min(100, 1 << Math.Min(attempt, 7)) + 1), cancellationToken);

    private static async Task AbandonAsync(Dictionary<string, DueMove> moves, CustomerAccount? stored, CancellationToken cancellationToken)
    {
        foreach (var (id, move) in moves)
        {
            await move.AbandonAsync(stored?.Find(id)?.DueAt, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>What a draft's builder answers: the records to write with it, what to answer, or a refusal that writes nothing.</summary>
public sealed record DraftResult<T>(T Answer)
    where T : class
{
    public IReadOnlyList<IdempotencyRecord> Idempotency { get; init; } = [];
    public string? EventId { get; init; }
    public PurchaseRecord? Purchase { get; init; }

    /// <summary>Set to write nothing and answer <see cref="Answer"/> as is (a spend the balance does not cover, say).</summary>
    public string? Refused { get; init; }

    /// <summary>
    /// For a write refused because one of its records exists (the event, the idempotency key): the answer to give instead,
    /// or null to read again and build again (which then sees the record).
    /// </summary>
    public Func<AccountWriteOutcome, T?>? OnRefused { get; init; }
}

/// <summary>The answer of an update, the account as stored after it, and whether anything was written.</summary>
public sealed record AccountUpdate<T>(T Answer, CustomerAccount? Stored, bool Written);

/// <summary>A run's part in moving index entries: what it already placed for the chunk, and the entries it read (and removes).</summary>
public sealed record RunIndexScope(IReadOnlyDictionary<string, DateTimeOffset> Placed, IReadOnlyCollection<DueEntry> Read)
{
    public bool Handles(string subscriptionId, DateTimeOffset at) => Read.Any(e => e.SubscriptionId == subscriptionId && e.DueAt == at);
}
