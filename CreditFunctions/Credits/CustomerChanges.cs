using System.Collections.Concurrent;
using System.Text.Json;
using CreditFunctions.Accounts;
using CreditFunctions.Storage;

namespace CreditFunctions.Credits;

/// <summary>One spend or grant under its idempotency key: what it asks, and how it changes a draft of the account.</summary>
/// <param name="Apply">Changes the draft and answers, or answers a refusal and leaves the draft as it was.</param>
internal sealed record KeyedChange(string Key, string Operation, string Fingerprint, int SuccessStatus, Func<AccountDraft, CreditsAnswer<CreditsReceipt>> Apply);

/// <summary>
/// Writes the spends and grants of one customer that arrive at the same time in this instance together: while one write
/// of the customer's account is in flight, the next requests queue, and the next write carries all of them (each with
/// its ledger entry and idempotency record, in arrival order, each refused or applied on its own) in one conditional
/// transaction. A team hammering one account then costs a write per batch instead of a lost race per request; a lone
/// request is written at once. Exactly once per key still comes from the store: the idempotency record is inserted with
/// the change, and a key already there fails the write and is answered from its record.
/// </summary>
internal sealed class CustomerChanges(AccountWriter writer, ICreditStore store)
{
    /// <summary>Changes per write: each takes two of Azure's 100 operations (its ledger entry and its key), with room left for resets.</summary>
    public const int MaxPerWrite = 40;

    /// <summary>Operations a write keeps free for the account row and an expiry entry.</summary>
    private const int ReservedOperations = 4;

    private readonly ConcurrentDictionary<string, Lane> _lanes = new(StringComparer.Ordinal);

    public async Task<CreditsAnswer<CreditsReceipt>> SubmitAsync(string customerId, KeyedChange change, CancellationToken cancellationToken)
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
            catch (Exception ex) when (round.Count > 1 && !IsEveryones(ex))
            {
                // One of them does not fit the account, or the store refused the shared write: the first on its own,
                // the rest in the next round, until the one it belongs to is found.
                await WriteAsync(customerId, [round[0]], cancellationToken).ConfigureAwait(false);
                outcome = new Round([], []);
            }
            catch (AccountTooLargeException ex)
            {
                await SettleAsync(round[0], () => ReplayOrAsync(customerId, round[0].Change,
                    new(null, 409, new CreditsProblem(CreditsProblemType.TooManyGrants, "Account full", ex.Message)), cancellationToken)).ConfigureAwait(false);
                outcome = new Round([], []);
            }
            catch (Exception ex)
            {
                foreach (var pending in round)
                {
                    pending.Answer.TrySetException(ex);
                }

                outcome = new Round([], []);
            }

            foreach (var (pending, answer) in outcome.Answers)
            {
                if (answer.Status == pending.Change.SuccessStatus)
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

    /// <summary>Failures that hit every request of a write alike: the store unreachable or failing, or too many lost races.</summary>
    private static bool IsEveryones(Exception ex) =>
        ex is AccountContentionException or TimeoutException or HttpRequestException or OperationCanceledException
        || (ex is Azure.RequestFailedException failed && (failed.Status is 0 or 408 or 429 or >= 500));

    /// <summary>Answers <paramref name="pending"/> with what <paramref name="answer"/> gives (a replay needs a store read of its own), or with that read's failure, for this request alone.</summary>
    private static async Task SettleAsync(Pending pending, Func<Task<CreditsAnswer<CreditsReceipt>>> answer)
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

    /// <summary>One transaction for the changes of a round, retried by the writer when another writer got there first.</summary>
    private async Task<Round> WriteRoundAsync(string customerId, List<Pending> round, CancellationToken cancellationToken)
    {
        var update = await writer.UpdateAsync(customerId, (draft, _) =>
        {
            var answers = new List<(Pending, CreditsAnswer<CreditsReceipt>)>();
            var records = new List<IdempotencyRecord>();
            foreach (var pending in round)
            {
                if (draft.Resets.Count + draft.Ledger.Count + records.Count + 2 > AccountWriter.MaxOperations - ReservedOperations)
                {
                    break; // No room in this transaction: the next round takes it.
                }

                var change = pending.Change;
                var answer = change.Apply(draft);
                answers.Add((pending, answer));
                if (answer.Status == change.SuccessStatus)
                {
                    records.Add(new IdempotencyRecord(
                        change.Key, change.Operation, change.Fingerprint, answer.Status, JsonSerializer.Serialize(answer.Value, CreditJson.Options), draft.Now));
                }
            }

            var result = new DraftResult<Round>(new Round(answers, []))
            {
                Idempotency = records,
                OnRefused = refused => refused is { Result: AccountWriteResult.IdempotencyKeyTaken, TakenKey: { } taken }
                    ? new Round([], [.. round.Where(p => p.Change.Key == taken)])
                    : null,
            };

            // Nobody to write for (every change found no account): create nothing.
            return answers.All(a => a.Item2.Status == 404) ? result with { Refused = "no account" } : result;
        }, cancellationToken: cancellationToken).ConfigureAwait(false);

        // A key that was there already: its request is answered from its record; the others go round again.
        foreach (var pending in update.Answer.KeyTaken)
        {
            await SettleAsync(pending, () => ReplayAsync(customerId, pending.Change, cancellationToken)).ConfigureAwait(false);
        }

        return update.Answer;
    }

    /// <summary>
    /// A refused change (not enough credits, no account, too many grants) is not stored under its key, so a retry may succeed
    /// later; but if the key was used before, that first answer is the answer.
    /// </summary>
    private async Task<CreditsAnswer<CreditsReceipt>> ReplayOrAsync(string customerId, KeyedChange change, CreditsAnswer<CreditsReceipt> refusal, CancellationToken cancellationToken) =>
        await store.GetIdempotencyAsync(customerId, change.Key, cancellationToken).ConfigureAwait(false) is { } seen ? Replay(seen, change) : refusal;

    private async Task<CreditsAnswer<CreditsReceipt>> ReplayAsync(string customerId, KeyedChange change, CancellationToken cancellationToken) =>
        await store.GetIdempotencyAsync(customerId, change.Key, cancellationToken).ConfigureAwait(false) is { } seen
            ? Replay(seen, change)
            : throw new InvalidOperationException($"The idempotency key '{change.Key}' of {customerId} was taken but its record cannot be read.");

    private static CreditsAnswer<CreditsReceipt> Replay(IdempotencyRecord seen, KeyedChange change) =>
        seen.Operation == change.Operation && seen.Fingerprint == change.Fingerprint
            ? new(JsonSerializer.Deserialize<CreditsReceipt>(seen.Response, CreditJson.Options), seen.Status)
            : new(null, 409, new CreditsProblem(
                CreditsProblemType.IdempotencyKeyReused,
                "Idempotency key reused",
                $"The key '{seen.Key}' was used on {seen.CreatedAt:O} for a different {seen.Operation} request; use a new key for a new request."));

    private sealed class Lane
    {
        public List<Pending> Queue { get; } = [];
        public bool Draining { get; set; }
        public bool Closed { get; set; }
    }

    private sealed class Pending(KeyedChange change)
    {
        public KeyedChange Change { get; } = change;
        public TaskCompletionSource<CreditsAnswer<CreditsReceipt>> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>What a round's write answered each change it carried; or the changes whose key was taken (nothing written).</summary>
    private sealed record Round(IReadOnlyList<(Pending Pending, CreditsAnswer<CreditsReceipt> Answer)> Answers, IReadOnlyList<Pending> KeyTaken);
}
