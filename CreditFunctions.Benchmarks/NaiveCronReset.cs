using Azure.Data.Tables;
using CreditFunctions.Storage;

namespace CreditFunctions.Benchmarks;

/// <summary>
/// What a team writes by default (the in-process 02:00 cron this app replaces): query every active yearly
/// subscription, check per row whether a month has passed since its last reset, update the due rows one at a time.
/// </summary>
internal static class NaiveCronReset
{
    /// <returns>How many subscriptions it reset, and how many rows it had to read to find them.</returns>
    public static async Task<(int Reset, int RowsRead)> RunAsync(TableClient subscriptions, DateTimeOffset now)
    {
        var reset = 0;
        var read = 0;
        var filter = TableClient.CreateQueryFilter($"Status eq {"active"} and Interval eq {"year"}");
        await foreach (var row in subscriptions.QueryAsync<SubscriptionEntity>(filter))
        {
            read++;
            if (row.LastResetBoundary is { } last && last.AddMonths(1) <= now)
            {
                row.Balance = row.MonthlyAllowance ?? 0;
                row.LastResetBoundary = last.AddMonths(1);
                row.Version++;
                await subscriptions.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace);
                reset++;
            }
        }

        return (reset, read);
    }
}
