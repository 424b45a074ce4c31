using System.Collections.Concurrent;
using CreditFunctions.Accounts;
using CreditFunctions.Storage;

namespace CreditFunctions.Credits;

/// <summary>One spend or grant under its idempotency key: what it asks, and the verb that carries it out on the account.</summary>
/// <param name="Apply">The verb: changes the account and answers, or answers a refusal and leaves it as it was.</param>
internal sealed record KeyedChange(string Key, string Operation, string Fingerprint, Func<CustomerAccount, DateTimeOffset, Outcome<CreditsReceipt>> Apply);

/// <summary>
/// Writes the spends and grants of one customer that arrive at the same time in this instance together: while one write
/// of the customer's account is in flight, the next requests queue, and the next write carries all of them (each with
/// its ledger entry and idempotency record, in arrival order, each refused or applied on its own) in one conditional
/// transaction. A team hammering one account then costs a write per batch instead of a lost race per request; a lone
/// request is written at once. Exactly once per key still comes from the store: the idempotency record is inserted with
/// the change, and a key already there fails the write and is answered from its record.
/// </summary>
internal sealed class CustomerChanges(AccountRepository accounts, ICreditStore store, TimeProvider time)
{
    /// <summary>Changes per write: each adds two records (its ledger entry and its key), and a write keeps room for resets.</summary>
    public const int MaxPerWrite = 40;

    private readonly ConcurrentDictionary<string, Lane> _lanes = new(StringComparer.Ordinal);

    public async Task<Outcome<CreditsReceipt>> SubmitAsync(string customerId, KeyedChange change, CancellationToken cancellationToken)
    {
        var pending = new Pending(change);
        while (true)
        {
            var lane = _lanes.GetOrAdd(customerId, _ => new Lane());
            bool lead;
            lock (lane)
            {
                if (lane.Closed)
                {
                    continue; // Its drain just ended: the next lane takes it.
                }

                lane.Queue.Add(pending);
                lead = !lane.Draining;
                lane.Draining = true;
            }

            if (lead)
            {
                _ = DrainAsync(customerId, lane);
            }

            break;
        }

        // A caller that gives up stops waiting; its change may still be written, which its key makes safe to retry.
        return await pending.Answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task DrainAsync(string customerId, Lane lane)
    {
        while (true)
        {
            List<Pending> batch;
            lock (lane)
            {
                if (lane.Queue.Count == 0)
                {
                    lane.Draining = false;
                    lane.Closed = true;
                    _lanes.TryRemove(new KeyValuePair<string, Lane>(customerId, lane));
                    return;
                }

                batch = lane.Queue.GetRange(0, Math.Min(MaxPerWrite, lane.Queue.Count));
                lane.Queue.RemoveRange(0, batch.Count);
            }

            try
            {
                // Not the first caller's token: the batch is everyone's, and each store call is bounded by the SDK.
                await WriteAsync(customerId, batch, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                foreach (var pending in batch)
                {
                    pending.Answer.TrySetException(ex);
                }
            }
        }
    }

    /// <summary>
    /// Writes a batch: in rounds, since a key used twice in it, or a change that finds no room, waits for the next round.
    /// A failure stays with the requests it belongs to: a store that is down or a write that lost to other writers too
    /// often fails the round it hit (nothing of it was written, or all of it, as for a lone request), and any other failure
    /// of a shared write is tried again one request at a time, so one bad request does not fail the others.
    /// </summary>
    private async Task WriteAsync(string customerId, List<Pending> batch, CancellationToken cancellationToken)
    {
        var left = batch;
        while (left.Count > 0)
        {
            var round = left.GroupBy(p => p.Change.Key, StringComparer.Ordinal).Select(g => g.First()).ToList();
            Round outcome;
            try
            {
                outcome = await WriteRoundAsync(customerId, round, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (round.Count > 1 && StoreFailure.Classify(ex) is StoreFailureKind.None or StoreFailureKind.Denied)
            {
                // One of them does not fit the account, or the store refused the shared write: the first on its own,
                // the rest in the next round, until the one it belongs to is found.
                await WriteAsync(customerId, [round[0]], cancellationToken).ConfigureAwait(false);
                outcome = new Round([]);
            }
            catch (AccountTooLargeException ex)
            {
                await SettleAsync(round[0], () => ReplayOrAsync(customerId, round[0].Change,
                    Outcome.Refused<CreditsReceipt>(new AccountFull(customerId, ex.Message)), cancellationToken)).ConfigureAwait(false);
                outcome = new Round([]);
            }
            catch (Exception ex)
            {
                foreach (var pending in round)
                {
                    pending.Answer.TrySetException(ex);
                }

                outcome = new Round([]);
            }

            foreach (var (pending, answer) in outcome.Answers)
            {
                if (answer.Refusal is null)
                {
                    pending.Answer.TrySetResult(answer);
                }
                else
                {
                    await SettleAsync(pending, () => ReplayOrAsync(customerId, pending.Change, answer, cancellationToken)).ConfigureAwait(false);
                }
            }

            left = [.. left.Where(p => !p.Answer.Task.IsCompleted)];
        }
    }

    /// <summary>Answers <paramref name="pending"/> with what <paramref name="answer"/> gives (a replay needs a store read of its own), or with that read's failure, for this request alone.</summary>
    private static async Task SettleAsync(Pending pending, Func<Task<Outcome<CreditsReceipt>>> answer)
    {
        try
        {
            pending.Answer.TrySetResult(await answer().ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            pending.Answer.TrySetException(ex);
        }
    }

    /// <summary>One save for the changes of a round (load → each change's verb → save), again when another writer got there first.</summary>
    private async Task<Round> WriteRoundAsync(string customerId, List<Pending> round, CancellationToken cancellationToken)
    {
        var changed = await accounts.ChangeAsync(customerId, account =>
        {
            var now = time.GetUtcNow();
            var answers = new List<(Pending, Outcome<CreditsReceipt>)>();
            foreach (var pending in round)
            {
                if (!account.HasRoomForAnotherChange)
                {
                    break; // No room in this save: the next round takes it.
                }

                answers.Add((pending, pending.Change.Apply(account, now)));
            }

            return answers;
        },
        saveIf: answers => !answers.All(a => a.Item2.Refusal is CustomerNotFound), // Nobody to write for: create nothing.
        cancellationToken: cancellationToken).ConfigureAwait(false);

        if (changed is { Status: SaveStatus.AlreadyRecorded, Taken: { Kind: AccountWriteResult.IdempotencyKeyTaken, Key: { } taken } })
        {
            // A key that was there already: its request is answered from its record; the others go round again.
            foreach (var pending in round.Where(p => p.Change.Key == taken))
            {
                await SettleAsync(pending, () => ReplayAsync(customerId, pending.Change, cancellationToken)).ConfigureAwait(false);
            }

            return new Round([]);
        }

        return new Round(changed.Result);
    }

    /// <summary>
    /// A refused change (not enough credits, no account, too many grants) is not stored under its key, so a retry may succeed
    /// later; but if the key was used before, that first answer is the answer.
    /// </summary>
    private async Task<Outcome<CreditsReceipt>> ReplayOrAsync(string customerId, KeyedChange change, Outcome<CreditsReceipt> refusal, CancellationToken cancellationToken) =>
        await store.GetIdempotencyAsync(customerId, change.Key, cancellationToken).ConfigureAwait(false) is { } seen ? Replay(seen, change) : refusal;

    private async Task<Outcome<CreditsReceipt>> ReplayAsync(string customerId, KeyedChange change, CancellationToken cancellationToken) =>
        await store.GetIdempotencyAsync(customerId, change.Key, cancellationToken).ConfigureAwait(false) is { } seen
            ? Replay(seen, change)
            : throw new InvalidOperationException($"The idempotency key '{change.Key}' of {customerId} was taken but its record cannot be read.");

    private static Outcome<CreditsReceipt> Replay(IdempotencyRecord seen, KeyedChange change) =>
        seen.Operation == change.Operation && seen.Fingerprint == change.Fingerprint
            ? Outcome.Done<CreditsReceipt>(seen.AnswerAs<CreditsReceipt>(CreditJson.Options))
            : Outcome.Refused<CreditsReceipt>(new IdempotencyKeyReused(seen.Key, seen.Operation, seen.CreatedAt));

    private sealed class Lane
    {
        public List<Pending> Queue { get; } = [];
        public bool Draining { get; set; }
        public bool Closed { get; set; }
    }

    private sealed class Pending(KeyedChange change)
    {
        public KeyedChange Change { get; } = change;
        public TaskCompletionSource<Outcome<CreditsReceipt>> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>What a round's save answered each change it carried (none when a key was taken: nothing was written).</summary>
    private sealed record Round(IReadOnlyList<(Pending Pending, Outcome<CreditsReceipt> Answer)> Answers);
}
