using CreditFunctions.Scheduling;

namespace CreditFunctions.Storage;

public sealed partial class AccountRepository
{
    /// <summary>
    /// Saves the accounts of a run's chunk the way a run needs for speed: every new due entry put down in one batch per
    /// day before any write, each account written on its own; it answers the entries that are stale after the writes (those
    /// the accounts replaced, those the run read that no row names any more, and <paramref name="alsoRelease"/>) for the run
    /// to remove in one batch per day. A crash between any two of these steps loses no entry. An account another writer changed in between is answered <see cref="SaveStatus.Conflict"/>, with
    /// what was placed for it, for the caller's retry through <c>ChangeAsync</c>.
    /// </summary>
    /// <param name="call">Runs one store request (a run holds a store slot for each).</param>
    /// <param name="parallelism">Account writes in flight at once.</param>
    public async Task<(IReadOnlyList<ChunkSave> Saves, IReadOnlyList<DueEntry> Stale)> SaveManyAsync(
        IReadOnlyList<ChunkItem> items, IReadOnlyCollection<DueEntry> alsoRelease, Func<Func<Task>, Task> call, int parallelism, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(call);
        var plans = items.Select(item => (Item: item, Due: DueAfter(item.Loaded), Moves: Ahead(item.Loaded.Account.CustomerId))).ToList();
        var fresh = plans.Where(p => NeedsWrite(p.Item.Loaded, p.Due)).SelectMany(p => p.Due.Values.Where(e => e.ConcurrencyToken is null)).ToList();
        var results = new ChunkSave[plans.Count];
        Exception? placing = null;
        if (fresh.Count > 0)
        {
            try
            {
                IReadOnlyList<DueEntry> placed = [];
                await call(async () => placed = await store.ScheduleManyAsync(fresh, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                var byRow = placed.ToDictionary(e => (e.SubscriptionId, e.DueAt));
                foreach (var plan in plans)
                {
                    foreach (var entry in plan.Due.Values.Where(e => e.ConcurrencyToken is null).ToList())
                    {
                        plan.Due[entry.SubscriptionId] = byRow[(entry.SubscriptionId, entry.DueAt)];
                    }

                    plan.Moves.Adopt(plan.Due.Values.Where(e => byRow.ContainsKey((e.SubscriptionId, e.DueAt))));
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                placing = ex;
            }
        }

        var stale = new System.Collections.Concurrent.ConcurrentBag<DueEntry>(alsoRelease);
        await Parallel.ForEachAsync(Enumerable.Range(0, plans.Count), new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (i, _) =>
        {
            var (item, due, moves) = plans[i];
            if (placing is not null && NeedsWrite(item.Loaded, due))
            {
                // Without its next entries it must not be written; its current entries stay for the next run.
                results[i] = new ChunkSave(item, SaveStatus.Conflict, null, placing);
                return;
            }

            if (!NeedsWrite(item.Loaded, due))
            {
                var kept = item.Loaded.Stored?.Due ?? new Dictionary<string, DueEntry>();
                moves.Stale(kept, replaced: null, item.Read).ToList().ForEach(stale.Add);
                results[i] = new ChunkSave(item, SaveStatus.Unchanged, kept);
                return;
            }

            try
            {
                Saved saved = null!;
                await call(async () =>
                {
                    await moves.AnnounceAsync(item.Loaded.Account.Changes.Events.Count > 0, item.Loaded.Account.Changes.StripeWork, cancellationToken).ConfigureAwait(false);
                    saved = await WriteAsync(item.Loaded, due, cancellationToken).ConfigureAwait(false);
                }).ConfigureAwait(false);
                if (saved.Status == SaveStatus.Written)
                {
                    await moves.AfterWriteAsync(cancellationToken).ConfigureAwait(false);
                    moves.Stale(due, item.Loaded.Stored?.Due, item.Read).ToList().ForEach(stale.Add);
                }

                results[i] = new ChunkSave(item, saved.Status, saved.Due) { Moves = moves };
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                results[i] = new ChunkSave(item, SaveStatus.Conflict, null, ex);
            }
        }).ConfigureAwait(false);

        return (results, [.. stale]);
    }
}

/// <summary>One account of a run's chunk: as loaded and changed, and the index entries the run read for it.</summary>
public sealed record ChunkItem(LoadedAccount Loaded, IReadOnlyCollection<DueEntry> Read);

/// <summary>
/// What became of one account of a chunk: its status and where its entries are now; for <see cref="SaveStatus.Conflict"/>
/// with <see cref="Failure"/> set, the write (or its entries' placement) failed with it, and nothing of it was written.
/// </summary>
public sealed record ChunkSave(ChunkItem Item, SaveStatus Status, IReadOnlyDictionary<string, DueEntry>? Due, Exception? Failure = null)
{
    /// <summary>For a conflict: the entries put down for it, which the retry takes over (and removes if it places elsewhere).</summary>
    public WriteAhead? Moves { get; init; }
}
