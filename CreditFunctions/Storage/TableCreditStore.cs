using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CreditFunctions.Resets;
using CreditFunctions.Scheduling;
using CreditFunctions.Subscriptions;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Storage;

/// <summary>
/// The credit store over Azure Table Storage. Every write that matters is conditional: balances carry the row's
/// ETag, and a reset is one entity-group transaction (balance update with If-Match + insert of the reset record
/// keyed by the boundary) in the subscription's partition, so no interleaving of runs can apply a boundary twice.
/// </summary>
public sealed class TableCreditStore : ICreditStore
{
    /// <summary>Azure's page size for table queries; continuation tokens carry the rest.</summary>
    private const int PageSize = 1000;

    /// <summary>Azure rejects entity-group transactions of more than 100 operations (Azurite does not).</summary>
    private const int MaxBatchSize = 100;

    /// <summary>A run record's summary JSON stays well under a string property's 64 KiB (32K UTF-16 characters).</summary>
    private const int MaxStoredListItems = 100;

    private readonly TableClient _subscriptions;
    private readonly TableClient _due;
    private readonly TableClient _runs;
    private readonly Lock _createGate = new();
    private Task? _creation;

    public TableCreditStore(TableServiceClient service, IOptions<StorageOptions> options)
    {
        var value = options.Value;
        _subscriptions = service.GetTableClient(value.SubscriptionsTable);
        _due = service.GetTableClient(value.DueTable);
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

    private async Task CreateTablesAsync()
    {
        await _subscriptions.CreateIfNotExistsAsync().ConfigureAwait(false);
        await _due.CreateIfNotExistsAsync().ConfigureAwait(false);
        await _runs.CreateIfNotExistsAsync().ConfigureAwait(false);
    }

    public async Task<Subscription?> GetSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var response = await _subscriptions
            .GetEntityIfExistsAsync<SubscriptionEntity>(subscriptionId, Keys.SubscriptionRow(subscriptionId), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return response.HasValue ? response.Value!.ToSubscription() : null;
    }

    public async Task<UpsertOutcome> TryUpsertSubscriptionAsync(
        Subscription subscription, string? eventId, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var entity = SubscriptionEntity.From(subscription);
        var actions = new List<TableTransactionAction>(2)
        {
            subscription.ConcurrencyToken is null
                ? new(TableTransactionActionType.Add, entity)
                : new(TableTransactionActionType.UpdateReplace, entity, entity.ETag),
        };
        if (eventId is not null)
        {
            actions.Add(new(TableTransactionActionType.Add, new TableEntity(subscription.Id, Keys.EventRow(eventId))));
        }

        try
        {
            var responses = await _subscriptions.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            var etag = responses.Value[0].Headers.ETag
                ?? throw new InvalidOperationException($"The store answered the write of {subscription.Id} without an ETag.");
            return new UpsertOutcome(UpsertResult.Applied, etag.ToString());
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 409 && ex.FailedTransactionActionIndex == 1)
        {
            return new UpsertOutcome(UpsertResult.DuplicateEvent);
        }
        catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412 or 404 && ex.FailedTransactionActionIndex is 0 or null)
        {
            return new UpsertOutcome(UpsertResult.Conflict);
        }
    }

    public async IAsyncEnumerable<DueEntry> ReadDueAsync(
        DateTimeOffset asOf, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"PartitionKey le {Keys.DueDay(asOf)}");
        var pages = _due.QueryAsync<DueEntity>(filter, PageSize, cancellationToken: cancellationToken).AsPages();
        await foreach (var page in pages.ConfigureAwait(false))
        {
            foreach (var entity in page.Values)
            {
                yield return new DueEntry(entity.RowKey, entity.DueAt, entity.ETag.ToString());
            }
        }
    }

    public async Task ScheduleAsync(string subscriptionId, DateTimeOffset dueAt, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var entity = new DueEntity { PartitionKey = Keys.DueDay(dueAt), RowKey = subscriptionId, DueAt = dueAt };
        await _due.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    public async Task ScheduleManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var batch in Batches(entries))
        {
            var actions = batch.Select(e => new TableTransactionAction(
                TableTransactionActionType.UpsertReplace,
                new DueEntity { PartitionKey = Keys.DueDay(e.DueAt), RowKey = e.SubscriptionId, DueAt = e.DueAt }));
            await _due.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
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
                await _due.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
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
            var current = await _due.GetEntityIfExistsAsync<DueEntity>(day, entry.SubscriptionId, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!current.HasValue || current.Value!.DueAt != entry.DueAt)
            {
                return;
            }

            etag = current.Value.ETag;
        }

        try
        {
            await _due.DeleteEntityAsync(day, entry.SubscriptionId, etag, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // Gone already, or rescheduled within the same day since it was read: either way the index is right.
        }
    }

    public async Task<CommitResult> TryCommitAsync(
        Subscription current, AppliedReset? reset, DateTimeOffset? dueAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(current.ConcurrencyToken, nameof(current));
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);

        var update = new TableEntity(current.Id, Keys.SubscriptionRow(current.Id))
        {
            [nameof(SubscriptionEntity.Version)] = current.Version + 1,
            [nameof(SubscriptionEntity.DueAt)] = dueAt,
        };
        var actions = new List<TableTransactionAction>(2) { new(TableTransactionActionType.UpdateMerge, update, new ETag(current.ConcurrencyToken)) };
        if (reset is not null)
        {
            update[nameof(SubscriptionEntity.Balance)] = reset.BalanceAfter;
            update[nameof(SubscriptionEntity.LastResetBoundary)] = reset.Boundary;
            actions.Add(new(TableTransactionActionType.Add, ResetRecordEntity.From(reset)));
        }

        try
        {
            await _subscriptions.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            return CommitResult.Applied;
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 409 && ex.FailedTransactionActionIndex == 1)
        {
            return CommitResult.AlreadyApplied;
        }
        catch (TableTransactionFailedException ex) when (ex.Status is 412 or 404 && ex.FailedTransactionActionIndex is 0 or null)
        {
            return CommitResult.Conflict;
        }
    }

    public async Task<bool> HasEventAsync(string subscriptionId, string eventId, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var response = await _subscriptions
            .GetEntityIfExistsAsync<TableEntity>(subscriptionId, Keys.EventRow(eventId), ["RowKey"], cancellationToken)
            .ConfigureAwait(false);
        return response.HasValue;
    }

    public async Task<IReadOnlyList<AppliedReset>> GetResetHistoryAsync(
        string subscriptionId, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {subscriptionId} and RowKey ge {Keys.ResetRowPrefix} and RowKey lt {"reset."}");
        var history = new List<AppliedReset>();
        await foreach (var entity in _subscriptions.QueryAsync<ResetRecordEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            history.Add(entity.ToAppliedReset());
        }

        return history;
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
