using CreditFunctions.Scheduling;

namespace CreditFunctions.Storage;

/// <summary>
/// What one unit of work puts down ahead of its account writes, and settles after them. Due-index entries: put down
/// before each write attempt (so a crash after the write still leaves them scheduled); after the write that lands, the
/// entries the row named before and those put down by attempts that lost go, unless the saved row names the same index
/// row (one subscription, one UTC day), each removed by its own ETag so an entry rewritten since is never taken. Events:
/// announced before the first write that records any (shown after a short delay), and again after the write that lands
/// when it landed too late for that (<see cref="IEventAnnouncer"/>). Work for Stripe (a top-up, overage reports): the same,
/// on the Stripe queue.
/// </summary>
public sealed class WriteAhead(ICreditStore store, string customerId, IEventAnnouncer? announcer = null, IEventAnnouncer? stripeWork = null)
{
    private readonly Dictionary<(string Subscription, DateOnly Day), DueEntry> _placed = [];
    private EventAnnouncement? _announced;
    private EventAnnouncement? _stripeAnnounced;

    /// <summary>Before a write that records events or Stripe work: announces each once for the unit of work (a retry reuses it).</summary>
    internal async Task AnnounceAsync(bool hasEvents, bool hasStripeWork, CancellationToken cancellationToken)
    {
        if (hasEvents && _announced is null && announcer is not null)
        {
            _announced = await announcer.AnnounceAsync(customerId, cancellationToken).ConfigureAwait(false);
        }

        if (hasStripeWork && _stripeAnnounced is null && stripeWork is not null)
        {
            _stripeAnnounced = await stripeWork.AnnounceAsync(customerId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>After the write landed: announced again when it landed too late for the announcement made before it.</summary>
    internal async Task AfterWriteAsync(CancellationToken cancellationToken)
    {
        if (_announced is { } announced && announcer is not null)
        {
            _announced = null;
            await announcer.AfterWriteAsync(announced, cancellationToken).ConfigureAwait(false);
        }

        if (_stripeAnnounced is { } stripeAnnounced && stripeWork is not null)
        {
            _stripeAnnounced = null;
            await stripeWork.AfterWriteAsync(stripeAnnounced, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Puts down the entries of <paramref name="due"/> that are new (no token yet); answers the map with every entry's token.</summary>
    internal async Task<Dictionary<string, DueEntry>> PlaceAsync(IReadOnlyDictionary<string, DueEntry> due, CancellationToken cancellationToken)
    {
        var placed = new Dictionary<string, DueEntry>(due, StringComparer.Ordinal);
        var fresh = new List<DueEntry>();
        foreach (var entry in due.Values)
        {
            if (entry.ConcurrencyToken is not null)
            {
                // Already in the index as the account names it, unless an earlier attempt of this unit of work (one that
                // lost its write, against an old copy say) put another instant down over that very row: put it back.
                if (_placed.TryGetValue(Row(entry), out var overwritten) && overwritten.DueAt != entry.DueAt)
                {
                    fresh.Add(entry with { ConcurrencyToken = null });
                }
            }
            else if (_placed.TryGetValue(Row(entry), out var earlier) && earlier.DueAt == entry.DueAt)
            {
                placed[entry.SubscriptionId] = earlier; // An earlier attempt put this very entry down.
            }
            else
            {
                fresh.Add(entry);
            }
        }

        var written = fresh.Count switch
        {
            0 => [],
            1 => [await store.ScheduleAsync(fresh[0], cancellationToken).ConfigureAwait(false)],
            _ => await store.ScheduleManyAsync(fresh, cancellationToken).ConfigureAwait(false),
        };
        Adopt(written);
        foreach (var entry in written)
        {
            placed[entry.SubscriptionId] = entry;
        }

        return placed;
    }

    /// <summary>Entries put down for this unit of work by someone else (a run places a whole chunk's in one batch).</summary>
    internal void Adopt(IEnumerable<DueEntry> entries)
    {
        foreach (var entry in entries)
        {
            _placed[Row(entry)] = entry;
        }
    }

    /// <summary>
    /// What goes after the write that stored <paramref name="saved"/> over a row that named <paramref name="replaced"/>:
    /// those and the entries of lost attempts, and <paramref name="alsoRelease"/> (a run's read entries), unless the
    /// saved row names their index row.
    /// </summary>
    internal IReadOnlyList<DueEntry> Stale(IReadOnlyDictionary<string, DueEntry> saved, IReadOnlyDictionary<string, DueEntry>? replaced, IEnumerable<DueEntry>? alsoRelease = null)
    {
        // The entries read most recently first: their tokens are the freshest.
        var stale = (alsoRelease ?? []).Concat(_placed.Values).Concat(replaced?.Values ?? [])
            .Where(e => !(saved.TryGetValue(e.SubscriptionId, out var kept) && kept.IsSameRow(e)))
            .GroupBy(Row)
            .Select(g => g.First())
            .ToList();
        _placed.Clear();
        return stale;
    }

    internal async Task CommitAsync(IReadOnlyDictionary<string, DueEntry> saved, IReadOnlyDictionary<string, DueEntry>? replaced, CancellationToken cancellationToken)
    {
        var stale = Stale(saved, replaced);
        if (stale.Count > 0)
        {
            await store.RemoveDueManyAsync(stale, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>When this unit of work wrote nothing: what it put down goes, unless the row as it is now names that index row.</summary>
    internal async Task AbandonAsync(CancellationToken cancellationToken)
    {
        // An announcement made for a write that did not land shows itself later and finds nothing new: it is left alone.
        _announced = null;
        _stripeAnnounced = null;
        if (_placed.Count == 0)
        {
            return;
        }

        var current = await store.GetAccountAsync(customerId, cancellationToken).ConfigureAwait(false);
        var named = current?.Due ?? new Dictionary<string, DueEntry>();
        // A row the account names that an attempt of this unit of work put another instant over: the account's instant
        // goes back (the row then carries a token the account does not know; a visit that finds nothing due ends it).
        var overwritten = named.Values
            .Where(e => _placed.TryGetValue(Row(e), out var mine) && mine.DueAt != e.DueAt)
            .Select(e => e with { ConcurrencyToken = null })
            .ToList();
        var stale = Stale(named, replaced: null);
        if (overwritten.Count > 0)
        {
            await store.ScheduleManyAsync(overwritten, cancellationToken).ConfigureAwait(false);
        }

        if (stale.Count > 0)
        {
            await store.RemoveDueManyAsync(stale, cancellationToken).ConfigureAwait(false);
        }
    }

    private static (string, DateOnly) Row(DueEntry entry) => (entry.SubscriptionId, DateOnly.FromDateTime(entry.DueAt.UtcDateTime));
}
