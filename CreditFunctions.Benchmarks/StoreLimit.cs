using System.Diagnostics;
using Azure;
using Azure.Data.Tables;
using CreditFunctions.Storage;

namespace CreditFunctions.Benchmarks;

/// <summary>What the store itself can do on this machine, at the engine's concurrency, with no logic around it.</summary>
internal static class StoreLimit
{
    /// <summary>The yardstick: D ETag-conditional single-entity writes.</summary>
    public static async Task<TimeSpan> ConditionalWritesAsync(TableClient subscriptions, DataSet data, int parallelism)
    {
        // The ETags are read first, outside the timing, so only the writes are measured.
        var etags = await ReadETagsAsync(subscriptions, data, parallelism);
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, data.Due), Options(parallelism), async (i, ct) =>
            await subscriptions.UpdateEntityAsync(Balance(i), etags[i], TableUpdateMode.Merge, ct));
        return watch.Elapsed;
    }

    /// <summary>
    /// The least a reset can cost without giving up its guarantees: read the row (for its ETag and balance), then one
    /// entity-group transaction that updates it with If-Match and inserts the record keyed by the boundary. The records
    /// get the engine's keys (one per due boundary), since Azurite's cost per insert depends on how many rows share a key.
    /// </summary>
    public static async Task<TimeSpan> ReadAndCommitAsync(TableClient subscriptions, DataSet data, int parallelism)
    {
        var recordKeys = Enumerable.Range(0, data.Due).Select(i => Keys.ResetRow(DataSet.DueAt(data.Subscription(i)))).ToArray();
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, data.Due), Options(parallelism), async (i, ct) =>
        {
            var id = DataSet.Id(i);
            var row = (await subscriptions.GetEntityAsync<SubscriptionEntity>(id, Keys.SubscriptionRow(id), cancellationToken: ct)).Value;
            await subscriptions.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.UpdateMerge, Balance(i), row.ETag),
                    new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(id, recordKeys[i]) { ["BalanceBefore"] = row.Balance }),
                ],
                ct);
        });
        var elapsed = watch.Elapsed;

        await Parallel.ForEachAsync(Enumerable.Range(0, data.Due), Options(parallelism), async (i, ct) =>
            await subscriptions.DeleteEntityAsync(DataSet.Id(i), recordKeys[i], cancellationToken: ct));
        return elapsed;
    }

    private static async Task<ETag[]> ReadETagsAsync(TableClient subscriptions, DataSet data, int parallelism)
    {
        var etags = new ETag[data.Due];
        await Parallel.ForEachAsync(Enumerable.Range(0, data.Due), Options(parallelism), async (i, ct) =>
        {
            var id = DataSet.Id(i);
            etags[i] = (await subscriptions.GetEntityAsync<TableEntity>(id, Keys.SubscriptionRow(id), ["Balance"], ct)).Value.ETag;
        });
        return etags;
    }

    private static TableEntity Balance(int i) =>
        new(DataSet.Id(i), Keys.SubscriptionRow(DataSet.Id(i))) { ["Balance"] = (long)DataSet.Allowance };

    private static ParallelOptions Options(int parallelism) => new() { MaxDegreeOfParallelism = parallelism };
}
