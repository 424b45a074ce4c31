using CreditFunctions.Storage;

namespace CreditFunctions.Scheduling;

/// <summary>
/// One writer moving one subscription's index entry around a conditional write of its row. The entry for a placement
/// is put down before each attempt (so a crash after the write still leaves it scheduled); when an attempt loses to
/// another writer and the next one places elsewhere, the entries of the lost attempts are taken away once the outcome
/// is known, so retries leave nothing behind. The index holds one row per subscription and UTC day.
/// </summary>
public sealed class DueMove
{
    private readonly ICreditStore _store;
    private readonly Dictionary<DateOnly, DateTimeOffset> _placed = [];

    internal DueMove(ICreditStore store, string subscriptionId, string customerId)
    {
        _store = store;
        SubscriptionId = subscriptionId;
        CustomerId = customerId;
    }

    public string SubscriptionId { get; }

    public string CustomerId { get; }

    /// <summary>An entry the caller put down already (a run places a whole chunk's next entries in one batch).</summary>
    public void Adopt(DateTimeOffset placed) => _placed[Day(placed)] = placed;

    /// <summary>Before an attempt: puts the entry at <paramref name="placement"/> unless it is there already.</summary>
    /// <param name="rowEntry">Where the row, as read for this attempt, says its entry is.</param>
    public async Task PlaceAsync(DateTimeOffset? placement, DateTimeOffset? rowEntry, CancellationToken cancellationToken = default)
    {
        if (placement is not { } at || at == rowEntry || (_placed.TryGetValue(Day(at), out var same) && same == at))
        {
            return;
        }

        await _store.ScheduleAsync(new DueEntry(SubscriptionId, CustomerId, at), cancellationToken).ConfigureAwait(false);
        _placed[Day(at)] = at;
    }

    /// <summary>
    /// After the write that stored <paramref name="placement"/> as the row's entry, replacing a copy whose entry was
    /// <paramref name="replaced"/>: every other entry this move knows of is stale now, since this write came last.
    /// </summary>
    /// <param name="releaseReplaced">False inside a run, which removes the entries it read in one batch per chunk.</param>
    public async Task CommitAsync(DateTimeOffset? placement, DateTimeOffset? replaced, bool releaseReplaced = true, CancellationToken cancellationToken = default)
    {
        var stale = _placed.Values.ToList();
        if (releaseReplaced && replaced is { } old)
        {
            stale.Add(old);
        }

        await RemoveAsync(stale, keep: placement, cancellationToken).ConfigureAwait(false);
        _placed.Clear();
    }

    /// <summary>When no write happened: entries put down for attempts that lost go, unless the row names their day.</summary>
    public async Task AbandonAsync(DateTimeOffset? rowEntry, CancellationToken cancellationToken = default)
    {
        await RemoveAsync([.. _placed.Values], keep: rowEntry, cancellationToken).ConfigureAwait(false);
        _placed.Clear();
    }

    private async Task RemoveAsync(IEnumerable<DateTimeOffset> entries, DateTimeOffset? keep, CancellationToken cancellationToken)
    {
        foreach (var at in entries.Distinct())
        {
            if (keep is not { } kept || Day(kept) != Day(at))
            {
                // Known by its time only: the store removes it only if the row still holds that time.
                await _store.RemoveDueAsync(new DueEntry(SubscriptionId, CustomerId, at), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static DateOnly Day(DateTimeOffset instant) => DateOnly.FromDateTime(instant.UtcDateTime);
}
