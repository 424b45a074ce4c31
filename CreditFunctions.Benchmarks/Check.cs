using Azure.Data.Tables;
using CreditFunctions.Resets;
using CreditFunctions.Runs;
using CreditFunctions.Storage;

namespace CreditFunctions.Benchmarks;

/// <summary>After each run: exactly the D due subscriptions were reset, none twice, nothing else touched.</summary>
internal static class Check
{
    public static async Task<List<string>> EngineAsync(TableClient subscriptions, DataSet data, ResetRunSummary summary)
    {
        var failures = new List<string>();
        if (summary.Counts.Reset != data.Due || summary.Counts.Failed != 0 || summary.Remaining)
        {
            failures.Add($"engine N={data.Total} D={data.Due}: summary says reset {summary.Counts.Reset}, failed {summary.Counts.Failed}, remaining {summary.Remaining}");
        }

        var records = new Dictionary<string, int>(StringComparer.Ordinal);
        var filter = TableClient.CreateQueryFilter($"RowKey ge {"reset-"} and RowKey lt {"reset."}");
        await foreach (var record in subscriptions.QueryAsync<TableEntity>(filter, select: ["SubscriptionId"]))
        {
            var id = record.GetString("SubscriptionId");
            records[id] = records.GetValueOrDefault(id) + 1;
        }

        var expected = Enumerable.Range(0, data.Due).Select(DataSet.Id).ToHashSet(StringComparer.Ordinal);
        if (records.Count != data.Due || !records.Keys.All(expected.Contains))
        {
            failures.Add($"engine N={data.Total} D={data.Due}: {records.Count} subscriptions have reset records, expected exactly the {data.Due} due");
        }

        if (records.Values.Any(count => count > 1))
        {
            failures.Add($"engine N={data.Total} D={data.Due}: {records.Values.Count(c => c > 1)} subscriptions were reset twice");
        }

        failures.AddRange(await AccountsAsync(subscriptions, data, summary.Counts.Reset, "engine"));
        return failures;
    }

    public static Task<List<string>> NaiveAsync(TableClient subscriptions, DataSet data, int reset) => AccountsAsync(subscriptions, data, reset, "baseline");

    /// <summary>Exactly the D due accounts were written, each once; no other account was touched.</summary>
    private static async Task<List<string>> AccountsAsync(TableClient subscriptions, DataSet data, int reset, string who)
    {
        var failures = new List<string>();
        var touched = new List<string>();
        var filter = TableClient.CreateQueryFilter($"RowKey ge {Keys.AccountRowPrefix} and RowKey lt {Keys.After(Keys.AccountRowPrefix)} and Version ne {1L}");
        await foreach (var row in subscriptions.QueryAsync<TableEntity>(filter))
        {
            var version = row.GetInt64("Version");
            touched.Add("sub_" + row.PartitionKey[4..]);
            if (version != 2)
            {
                failures.Add($"{who}: {row.PartitionKey} was written {version - 1} times");
            }
        }

        if (reset != data.Due || touched.Count != data.Due || !touched.All(id => string.CompareOrdinal(id, DataSet.Id(data.Due)) < 0))
        {
            failures.Add($"{who} N={data.Total} D={data.Due}: reset {reset}, touched {touched.Count}, expected exactly the {data.Due} due");
        }

        return failures;
    }
}
