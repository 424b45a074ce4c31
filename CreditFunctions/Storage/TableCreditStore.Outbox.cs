using Azure;
using Azure.Data.Tables;

namespace CreditFunctions.Storage;

/// <summary>The outbox rows of events for the SaaS, as the delivery reads, marks and removes them.</summary>
public sealed partial class TableCreditStore
{
    public async Task<IReadOnlyList<OutboxBatch>> GetOutboxAsync(string customerId, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var prefix = Keys.OutboxPrefix(customerId);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {customerId} and RowKey ge {prefix} and RowKey lt {Keys.After(prefix)}");
        var batches = new List<OutboxBatch>();
        await foreach (var entity in _customers.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            batches.Add(OutboxEntity.ToBatch(entity));
        }

        return batches;
    }

    public async Task CompleteOutboxAsync(OutboxBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        try
        {
            await _customers.DeleteEntityAsync(batch.CustomerId, batch.RowKey, new ETag(batch.ConcurrencyToken), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // Another delivery of the same events finished first (or moved its progress): what it took stays taken.
        }
    }

    public async Task<OutboxBatch?> MarkOutboxAsync(OutboxBatch batch, long deliveredThrough, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var entity = new TableEntity(batch.CustomerId, batch.RowKey) { ["DeliveredThrough"] = deliveredThrough };
        try
        {
            var response = await _customers.UpdateEntityAsync(entity, new ETag(batch.ConcurrencyToken), TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            return batch with { DeliveredThrough = deliveredThrough, ConcurrencyToken = response.Headers.ETag?.ToString() ?? batch.ConcurrencyToken };
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return null; // Another delivery moved on: the next attempt reads where it got to.
        }
    }
}
