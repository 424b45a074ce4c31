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
public sealed partial class TableCreditStore : ICreditStore
{
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

        if (changes.Events.Count > 0)
        {
            // Numbered from the account's own event sequence, which the If-Match guards.
            actions.Add(new(TableTransactionActionType.Add, OutboxEntity.From(customerId, changes.Events)));
            kinds.Add(AccountWriteResult.Conflict);
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
}
