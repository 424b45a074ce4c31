using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CreditFunctions.Accounts;
using CreditFunctions.Resets;
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
    /// <summary>Azure's page size for table queries; continuation tokens carry the rest.</summary>
    private const int PageSize = 1000;

    /// <summary>Azure rejects entity-group transactions of more than 100 operations (Azurite does not).</summary>
    private const int MaxBatchSize = 100;

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

    public async Task<CustomerAccount?> GetAccountAsync(string customerId, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var response = await _customers.GetEntityIfExistsAsync<TableEntity>(customerId, Keys.AccountRow(customerId), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? AccountRow.FromEntity(response.Value!) : null;
    }

    public async Task<AccountWriteOutcome> TryWriteAccountAsync(AccountWrite write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (write.Operations > MaxBatchSize)
        {
            throw new InvalidOperationException($"A write of {write.Account.CustomerId} has {write.Operations} operations; Azure takes at most {MaxBatchSize} in one transaction.");
        }

        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var customerId = write.Account.CustomerId;
        var account = AccountRow.ToEntity(write.Account);
        var actions = new List<TableTransactionAction>(write.Operations)
        {
            // A merge, not a replace: the row carries every column the account has (a shorter JSON field leaves its
            // extra chunks unread, see JsonColumns), and Azurite merges in place where a replace removes and re-inserts
            // the row, which costs it time in proportion to the table.
            write.Account.ConcurrencyToken is null
                ? new(TableTransactionActionType.Add, account)
                : new(TableTransactionActionType.UpdateMerge, account, account.ETag),
        };
        var kinds = new List<AccountWriteResult> { AccountWriteResult.Conflict };
        var keys = new Dictionary<int, string>();
        foreach (var idempotency in write.Idempotency)
        {
            keys[actions.Count] = idempotency.Key;
            actions.Add(new(TableTransactionActionType.Add, IdempotencyEntity.From(customerId, idempotency)));
            kinds.Add(AccountWriteResult.IdempotencyKeyTaken);
        }

        if (write.EventId is { } eventId)
        {
            actions.Add(new(TableTransactionActionType.Add, new TableEntity(customerId, Keys.EventRow(eventId))));
            kinds.Add(AccountWriteResult.EventRecorded);
        }

        if (write.Purchase is { } purchase)
        {
            var entity = PurchaseEntity.From(customerId, purchase);
            actions.Add(purchase.ConcurrencyToken is null
                ? new(TableTransactionActionType.Add, entity)
                : new(TableTransactionActionType.UpdateReplace, entity, new ETag(purchase.ConcurrencyToken)));
            kinds.Add(purchase.ConcurrencyToken is null ? AccountWriteResult.PurchaseRecorded : AccountWriteResult.Conflict);
        }

        foreach (var reset in write.Resets)
        {
            actions.Add(new(TableTransactionActionType.Add, ResetRecordEntity.From(customerId, reset)));
            kinds.Add(AccountWriteResult.ResetRecorded);
        }

        foreach (var entry in write.Ledger)
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

    public async Task<IReadOnlyList<AppliedReset>> GetResetHistoryAsync(string customerId, string subscriptionId, CancellationToken cancellationToken = default)
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
        await foreach (var entity in _customers.QueryAsync<TableEntity>(filter, Math.Min(limit, PageSize), cancellationToken: cancellationToken).ConfigureAwait(false))
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

    public async Task<PurchaseRecord?> GetPurchaseAsync(string customerId, string purchaseId, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var response = await _customers
            .GetEntityIfExistsAsync<PurchaseEntity>(customerId, Keys.PurchaseRow(purchaseId), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return response.HasValue ? response.Value!.ToRecord() : null;
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
            await using var pages = table.QueryAsync<DueEntity>(filter, PageSize, cancellationToken: cancellationToken).AsPages().GetAsyncEnumerator(cancellationToken);
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

    public async Task ScheduleAsync(DueEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var table = await DueForWriteAsync(entry.DueAt, cancellationToken).ConfigureAwait(false);
        await table.UpsertEntityAsync(DueRow(entry), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    private static DueEntity DueRow(DueEntry entry) =>
        new() { PartitionKey = Keys.DueDay(entry.DueAt), RowKey = entry.SubscriptionId, DueAt = entry.DueAt, CustomerId = entry.CustomerId };

    public async Task ScheduleManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var batch in Batches(entries))
        {
            var actions = batch.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, DueRow(e)));
            var table = await DueForWriteAsync(batch[0].DueAt, cancellationToken).ConfigureAwait(false);
            await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task RemoveDueManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var batch in Batches(entries))
        {
            var actions = batch.Select(e => new TableTransactionAction(
                TableTransactionActionType.Delete,
                new TableEntity(Keys.DueDay(e.DueAt), e.SubscriptionId),
                e.ConcurrencyToken is { } token ? new ETag(token) : ETag.All));
            try
            {
                await Due(batch[0].DueAt).SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 404 or 412)
            {
                // One entry is gone or was rewritten, which fails the whole batch: remove the rest one by one.
                foreach (var entry in batch)
                {
                    await RemoveDueAsync(entry, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Azure's batch rules: one partition (here one UTC day), at most 100 operations, each row once.</summary>
    private static IEnumerable<DueEntry[]> Batches(IEnumerable<DueEntry> entries) =>
        entries
            .GroupBy(e => (Day: Keys.DueDay(e.DueAt), e.SubscriptionId))
            .Select(g => g.Last())
            .GroupBy(e => Keys.DueDay(e.DueAt), StringComparer.Ordinal)
            .SelectMany(day => day.Chunk(MaxBatchSize));

    public async Task RemoveDueAsync(DueEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var day = Keys.DueDay(entry.DueAt);
        ETag etag;
        if (entry.ConcurrencyToken is { } token)
        {
            etag = new ETag(token);
        }
        else
        {
            // Known only by its time: it goes only if the row still holds that time, since a writer may have put the
            // subscription's new entry on the same day (the same row) in the meantime.
            var current = await Due(entry.DueAt).GetEntityIfExistsAsync<DueEntity>(day, entry.SubscriptionId, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!current.HasValue || current.Value!.DueAt != entry.DueAt)
            {
                return;
            }

            etag = current.Value.ETag;
        }

        try
        {
            await Due(entry.DueAt).DeleteEntityAsync(day, entry.SubscriptionId, etag, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // Gone already, or rescheduled within the same day since it was read: either way the index is right.
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
