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
    /// The least a reset can cost without giving up its guarantees: read the account (for its ETag and balance), then one
    /// entity-group transaction that merges it back with If-Match (as the engine does) and inserts the reset record keyed
    /// by (subscription, boundary) and the ledger entry. The records get the engine's keys, since Azurite's cost per
    /// insert depends on how many rows share a key.
    /// </summary>
    public static async Task<TimeSpan> ReadAndCommitAsync(TableClient customers, DataSet data, int parallelism)
    {
        var records = Enumerable.Range(0, data.Due)
            .Select(i => data.Subscription(i))
            .Select(s => (Reset: Keys.ResetRow(s.Id, DataSet.DueAt(s)), Ledger: Keys.LedgerRow(s.CustomerId, 1)))
            .ToArray();
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, data.Due), Options(parallelism), async (i, ct) =>
        {
            var customer = Customer(i);
            var row = (await customers.GetEntityAsync<TableEntity>(customer, Keys.AccountRow(customer), cancellationToken: ct)).Value;
            row["Version"] = (row.GetInt64("Version") ?? 0) + 1;
            await customers.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.UpdateMerge, row, row.ETag),
                    new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(customer, records[i].Reset) { ["BalanceAfter"] = (long)DataSet.Allowance }),
                    new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(customer, records[i].Ledger) { ["Amount"] = (long)DataSet.Allowance }),
                ],
                ct);
        });
        var elapsed = watch.Elapsed;

        await Parallel.ForEachAsync(Enumerable.Range(0, data.Due), Options(parallelism), async (i, ct) =>
        {
            await customers.DeleteEntityAsync(Customer(i), records[i].Reset, cancellationToken: ct);
            await customers.DeleteEntityAsync(Customer(i), records[i].Ledger, cancellationToken: ct);
        });
        return elapsed;
    }

    private static async Task<ETag[]> ReadETagsAsync(TableClient subscriptions, DataSet data, int parallelism)
    {
        var etags = new ETag[data.Due];
        await Parallel.ForEachAsync(Enumerable.Range(0, data.Due), Options(parallelism), async (i, ct) =>
        {
            etags[i] = (await subscriptions.GetEntityAsync<TableEntity>(Customer(i), Keys.AccountRow(Customer(i)), ["Version"], ct)).Value.ETag;
        });
        return etags;
    }

    private static TableEntity Balance(int i) => new(Customer(i), Keys.AccountRow(Customer(i))) { ["Touched"] = true };

    private static string Customer(int i) => "cus_" + DataSet.Id(i)[4..];

    private static ParallelOptions Options(int parallelism) => new() { MaxDegreeOfParallelism = parallelism };
}
