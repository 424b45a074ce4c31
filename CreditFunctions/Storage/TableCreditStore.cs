using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CreditFunctions.Accounts;
using CreditFunctions.Resets;
using CreditFunctions.Runs;
using CreditFunctions.Scheduling;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Storage;

/// <summary>
/// The credit store over Azure Table Storage. A customer's account row and all its records share the customer's
/// partition, so every change is one entity-group transaction: the account with If-Match on the copy it was computed
/// from, plus inserts of its records (a reset record keyed by (subscription, boundary), ledger entries, an idempotency
/// record, a Stripe event record). No interleaving of writers can apply a boundary, an event or a key twice.
/// </summary>
public sealed class TableCreditStore : ICreditStore
{
    /// <summary>A run record's summary JSON stays well under a string property's 64 KiB (32K UTF-16 characters).</summary>
    private const int MaxStoredListItems = 100;

    private readonly TableClient _customers;
    private readonly TableClient _directory;
    private readonly TableClient[] _due;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task> _dueCreation = new(StringComparer.Ordinal);
    private readonly TableClient _runs;
    private readonly Lock _createGate = new();
    private Task? _creation;

    public TableCreditStore(TableServiceClient service, IOptions<StorageOptions> options)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        _customers = service.GetTableClient(value.CustomersTable);
        _directory = service.GetTableClient(value.SubscriptionsTable);
        _due = [.. value.DueTables.Select(service.GetTableClient)];
        _runs = service.GetTableClient(value.RunsTable);
    }

    /// <summary>Creates the tables if missing. Called by every operation; after the first success it is a completed task.</summary>
    public Task EnsureTablesAsync(CancellationToken cancellationToken = default)
    {
        lock (_createGate)
        {
            // Shared by all callers, so it runs without any one caller's token; a failed attempt is retried next time.
            if (_creation is null || _creation.IsFaulted || _creation.IsCanceled)
            {
                _creation = CreateTablesAsync();
            }

            return _creation.WaitAsync(cancellationToken);
        }
    }

    private async Task CreateTablesAsync() =>
        await Task.WhenAll(new[] { _customers, _directory, _runs }.Select(table => table.CreateIfNotExistsAsync())).ConfigureAwait(false);

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

    public async Task<StoredAccount?> GetAccountAsync(string customerId, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var response = await _customers.GetEntityIfExistsAsync<TableEntity>(customerId, Keys.AccountRow(customerId), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? AccountRow.FromEntity(response.Value!) : null;
    }

    public async Task<AccountWriteOutcome> TryWriteAccountAsync(AccountWrite write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (write.Operations > TableLimits.MaxOperations)
        {
            throw new InvalidOperationException($"A write of {write.State.CustomerId} has {write.Operations} operations; Azure takes at most {TableLimits.MaxOperations} in one transaction.");
        }

        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var customerId = write.State.CustomerId;
        var changes = write.Changes;
        var account = AccountRow.ToEntity(write);
        var actions = new List<TableTransactionAction>(write.Operations)
        {
            // A merge of a row that always carries every column it can have (see AccountRow) is a replace on Azure; Azurite
            // updates a merged row in place, where a replace costs it time in proportion to the table.
            write.ConcurrencyToken is null
                ? new(TableTransactionActionType.Add, account)
                : new(TableTransactionActionType.UpdateMerge, account, new ETag(write.ConcurrencyToken)),
        };
        var kinds = new List<AccountWriteResult> { AccountWriteResult.Conflict };
        var keys = new Dictionary<int, string>();
        foreach (var idempotency in changes.Keys)
        {
            keys[actions.Count] = idempotency.Key;
            actions.Add(new(TableTransactionActionType.Add, IdempotencyEntity.From(customerId, idempotency)));
            kinds.Add(AccountWriteResult.IdempotencyKeyTaken);
        }

        if (changes.StripeEventId is { } eventId)
        {
            actions.Add(new(TableTransactionActionType.Add, new TableEntity(customerId, Keys.EventRow(eventId))));
            kinds.Add(AccountWriteResult.EventRecorded);
        }

        if (changes.Purchase is { } purchase)
        {
            var entity = PurchaseEntity.From(customerId, purchase);
            actions.Add(purchase.ConcurrencyToken is null
                ? new(TableTransactionActionType.Add, entity)
                : new(TableTransactionActionType.UpdateReplace, entity, new ETag(purchase.ConcurrencyToken)));
            kinds.Add(purchase.ConcurrencyToken is null ? AccountWriteResult.PurchaseRecorded : AccountWriteResult.Conflict);
        }

        foreach (var reset in changes.Resets)
        {
            actions.Add(new(TableTransactionActionType.Add, ResetRecordEntity.From(customerId, reset)));
            kinds.Add(AccountWriteResult.ResetRecorded);
        }

        foreach (var entry in changes.Ledger)
        {
            // Numbered from the account's own sequence, which the If-Match guards: a clash is a concurrent write.
            actions.Add(new(TableTransactionActionType.Add, LedgerEntity.ToTableEntity(customerId, entry)));
            kinds.Add(AccountWriteResult.Conflict);
        }

        try
        {
            var responses = await _customers.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            var etag = responses.Value[0].Headers.ETag
                ?? throw new InvalidOperationException($"The store answered the write of {customerId} without an ETag.");
            return new AccountWriteOutcome(AccountWriteResult.Applied, etag.ToString());
        }
        catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412 or 404)
        {
            // Which operation failed says why; without an index (never seen) it can only be the account row.
            return ex.FailedTransactionActionIndex is { } i && i < kinds.Count
                ? new AccountWriteOutcome(kinds[i], TakenKey: keys.GetValueOrDefault(i))
                : new AccountWriteOutcome(AccountWriteResult.Conflict);
        }
    }

    /// <summary>
    /// The applied resets of one subscription, oldest boundary first: the audit records beside the ledger. A diagnostic
    /// read for operators and tests (<c>az storage entity query</c> reads the same rows); no app path needs it.
    /// </summary>
    internal async Task<IReadOnlyList<AppliedReset>> GetResetHistoryAsync(string customerId, string subscriptionId, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var prefix = Keys.ResetRowPrefix(subscriptionId);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {customerId} and RowKey ge {prefix} and RowKey lt {Keys.After(prefix)}");
        var history = new List<AppliedReset>();
        await foreach (var entity in _customers.QueryAsync<ResetRecordEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            history.Add(entity.ToAppliedReset());
        }

        return history;
    }

    public async Task<IReadOnlyList<LedgerEntry>> GetLedgerAsync(string customerId, int limit, long? before = null, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);

        // Inverted sequence numbers: "below before" is every row key after before's.
        var prefix = Keys.LedgerPrefix(customerId);
        var from = before is { } below ? Keys.LedgerRow(customerId, below) : prefix;
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {customerId} and RowKey gt {from} and RowKey lt {Keys.After(prefix)}");
        var entries = new List<LedgerEntry>(limit);
        await foreach (var entity in _customers.QueryAsync<TableEntity>(filter, Math.Min(limit, TableLimits.PageSize), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            entries.Add(LedgerEntity.FromTableEntity(entity));
            if (entries.Count == limit)
            {
                break;
            }
        }

        return entries;
    }

    public async Task<IdempotencyRecord?> GetIdempotencyAsync(string customerId, string key, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var response = await _customers
            .GetEntityIfExistsAsync<TableEntity>(customerId, Keys.IdempotencyRow(customerId, key), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return response.HasValue ? IdempotencyEntity.ToRecord(response.Value!) : null;
    }

    public async Task<PurchaseRecord?> FindPurchaseByPaymentAsync(string customerId, string paymentIntentId, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {customerId} and RowKey ge {Keys.PurchaseRowPrefix} and RowKey lt {Keys.After(Keys.PurchaseRowPrefix)} and PaymentIntentId eq {paymentIntentId}");
        await foreach (var entity in _customers.QueryAsync<PurchaseEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            return entity.ToRecord();
        }

        return null;
    }

    public async Task<bool> HasEventAsync(string customerId, string eventId, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var response = await _customers
            .GetEntityIfExistsAsync<TableEntity>(customerId, Keys.EventRow(eventId), ["RowKey"], cancellationToken)
            .ConfigureAwait(false);
        return response.HasValue;
    }

    public async Task<string?> FindCustomerAsync(string subscriptionId, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var response = await _directory
            .GetEntityIfExistsAsync<TableEntity>(subscriptionId, Keys.DirectoryRow(subscriptionId), ["CustomerId"], cancellationToken)
            .ConfigureAwait(false);
        return response.HasValue ? response.Value!.GetString("CustomerId") : null;
    }

    public async Task RememberCustomerAsync(string subscriptionId, string customerId, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var entity = new TableEntity(subscriptionId, Keys.DirectoryRow(subscriptionId)) { ["CustomerId"] = customerId };
        await _directory.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
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

    public async Task SaveRunAsync(ResetRunSummary summary, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var stored = summary with
        {
            Skipped = [.. summary.Skipped.Take(MaxStoredListItems)],
            PlannedResets = [.. summary.PlannedResets.Take(MaxStoredListItems)],
            ListsTruncated = summary.ListsTruncated
                || summary.Skipped.Count > MaxStoredListItems
                || summary.PlannedResets.Count > MaxStoredListItems,
        };
        var entity = new RunEntity
        {
            PartitionKey = Keys.RunMonth(summary.AsOf),
            RowKey = Keys.RunRow(summary.AsOf, summary.RunId),
            RunId = summary.RunId,
            Trigger = summary.Trigger.ToString(),
            AsOf = summary.AsOf,
            DryRun = summary.DryRun,
            SubscriptionId = summary.SubscriptionId,
            CustomerId = summary.CustomerId,
            Examined = summary.Counts.Examined,
            Reset = summary.Counts.Reset,
            Skipped = summary.Counts.Skipped,
            Failed = summary.Counts.Failed,
            Remaining = summary.Remaining,
            DurationMs = (long)summary.Duration.TotalMilliseconds,
            SummaryJson = JsonSerializer.Serialize(stored, CreditJson.Options),
        };
        await _runs.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
    }
}
