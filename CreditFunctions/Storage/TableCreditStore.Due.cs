using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using CreditFunctions.Scheduling;

namespace CreditFunctions.Storage;

/// <summary>
/// The due-date index over Table Storage: a table per day of the month, partitioned by UTC day, a row per subscription
/// and day. Written in batches of one day (Azure's rule for a batch: one partition, at most 100 operations).
/// </summary>
public sealed partial class TableCreditStore
{
    /// <summary>The index table an entry due at <paramref name="at"/> lives in: the one of its day of the month.</summary>
    private TableClient Due(DateTimeOffset at) => _due[at.UtcDateTime.Day - 1];

    /// <summary>
    /// The index table for <paramref name="at"/>, created on its first write here (the deployment creates all 31; a local
    /// or test store gets only those it writes to). Reads take a missing one as empty.
    /// </summary>
    private async Task<TableClient> DueForWriteAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        var table = Due(at);
        var creation = _dueCreation.GetOrAdd(table.Name, _ => table.CreateIfNotExistsAsync());
        try
        {
            await creation.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (creation.IsFaulted)
        {
            _dueCreation.TryRemove(new KeyValuePair<string, Task>(table.Name, creation));
            throw;
        }

        return table;
    }

    public async IAsyncEnumerable<DueEntry> ReadDueAsync(
        DateTimeOffset asOf, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"PartitionKey le {Keys.DueDay(asOf)}");

        // Oldest first, near enough: the days after today's hold last month's leftovers, today's table comes last.
        var today = asOf.UtcDateTime.Day;
        foreach (var table in Enumerable.Range(1, 31).Select(i => _due[(today + i - 1) % 31]))
        {
            await using var pages = table.QueryAsync<DueEntity>(filter, TableLimits.PageSize, cancellationToken: cancellationToken).AsPages().GetAsyncEnumerator(cancellationToken);
            while (true)
            {
                try
                {
                    if (!await pages.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (RequestFailedException ex) when (ex.Status == 404)
                {
                    break; // Not created yet: nothing was ever due on this day of the month here.
                }

                foreach (var entity in pages.Current.Values)
                {
                    yield return new DueEntry(entity.RowKey, entity.CustomerId, entity.DueAt, entity.ETag.ToString());
                }
            }
        }
    }

    public async Task<DueEntry> ScheduleAsync(DueEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var table = await DueForWriteAsync(entry.DueAt, cancellationToken).ConfigureAwait(false);
        var response = await table.UpsertEntityAsync(DueRow(entry), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return entry with { ConcurrencyToken = response.Headers.ETag?.ToString() };
    }

    private static DueEntity DueRow(DueEntry entry) =>
        new() { PartitionKey = Keys.DueDay(entry.DueAt), RowKey = entry.SubscriptionId, DueAt = entry.DueAt, CustomerId = entry.CustomerId };

    public async Task<IReadOnlyList<DueEntry>> ScheduleManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var written = new List<DueEntry>(entries.Count);
        foreach (var batch in Batches(entries))
        {
            var actions = batch.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, DueRow(e)));
            var table = await DueForWriteAsync(batch[0].DueAt, cancellationToken).ConfigureAwait(false);
            var responses = await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            written.AddRange(batch.Select((e, i) => e with { ConcurrencyToken = responses.Value[i].Headers.ETag?.ToString() }));
        }

        return written;
    }

    public async Task RemoveDueManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var batch in Batches(entries))
        {
            if (batch.Any(e => e.ConcurrencyToken is null))
            {
                await RemoveOneByOneAsync(batch, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var actions = batch.Select(e => new TableTransactionAction(
                TableTransactionActionType.Delete, new TableEntity(Keys.DueDay(e.DueAt), e.SubscriptionId), new ETag(e.ConcurrencyToken!)));
            try
            {
                await Due(batch[0].DueAt).SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 404 or 412)
            {
                // One entry is gone or was rewritten, which fails the whole batch: remove the rest one by one.
                await RemoveOneByOneAsync(batch, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Azure's batch rules: one partition (here one UTC day), at most 100 operations, each row once.</summary>
    private static IEnumerable<DueEntry[]> Batches(IEnumerable<DueEntry> entries) =>
        entries
            .GroupBy(e => (Day: Keys.DueDay(e.DueAt), e.SubscriptionId))
            .Select(g => g.Last())
            .GroupBy(e => Keys.DueDay(e.DueAt), StringComparer.Ordinal)
            .SelectMany(day => day.Chunk(TableLimits.MaxOperations));

    private async Task RemoveOneByOneAsync(IEnumerable<DueEntry> entries, CancellationToken cancellationToken)
    {
        foreach (var entry in entries)
        {
            if (entry.ConcurrencyToken is { } token && await TryDeleteAsync(entry, new ETag(token), cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            // Rewritten since (another writer put the same entry down again), or known only by its time: it goes only if the
            // row still holds that time, since a writer may have put the subscription's next entry on the same day.
            var current = await Due(entry.DueAt).GetEntityIfExistsAsync<DueEntity>(Keys.DueDay(entry.DueAt), entry.SubscriptionId, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (current.HasValue && current.Value!.DueAt == entry.DueAt)
            {
                await TryDeleteAsync(entry, current.Value.ETag, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <returns>False when the row was rewritten since <paramref name="etag"/>; true when it is gone (or was already).</returns>
    private async Task<bool> TryDeleteAsync(DueEntry entry, ETag etag, CancellationToken cancellationToken)
    {
        try
        {
            await Due(entry.DueAt).DeleteEntityAsync(Keys.DueDay(entry.DueAt), entry.SubscriptionId, etag, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return false;
        }
    }
}
