using CreditFunctions.Accounts;
using Azure.Data.Tables;
using CreditFunctions.Storage;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Benchmarks;

/// <summary>
/// What a team writes by default (the in-process 02:00 cron this app replaces): read every customer's subscriptions,
/// check per subscription whether a month has passed since its last reset, and update the due ones one at a time.
/// </summary>
internal static class NaiveCronReset
{
    /// <returns>How many subscriptions it reset, and how many rows it had to read to find them.</returns>
    public static async Task<(int Reset, int RowsRead)> RunAsync(TableClient customers, DateTimeOffset now)
    {
        var reset = 0;
        var read = 0;
        var filter = TableClient.CreateQueryFilter($"RowKey ge {Keys.AccountRowPrefix} and RowKey lt {Keys.After(Keys.AccountRowPrefix)}");
        await foreach (var row in customers.QueryAsync<TableEntity>(filter))
        {
            read++;
            var stored = AccountRow.FromEntity(row);
            var account = stored.State;
            var due = account.Subscriptions
                .Where(s => s.Stripe is { Status: SubscriptionStatus.Active, Interval: BillingInterval.Year }
                    && s.LastResetBoundary is { } last && last.AddMonths(1) <= now)
                .ToList();
            if (due.Count == 0)
            {
                continue;
            }

            foreach (var subscription in due)
            {
                account = account.With(subscription with
                {
                    Balance = subscription.Stripe.MonthlyAllowance ?? 0,
                    LastResetBoundary = subscription.LastResetBoundary!.Value.AddMonths(1),
                });
            }

            // A merge like the engine's: on Azurite a replace removes and re-inserts the row, which costs time in
            // proportion to the table and would make the cron look slower than it is in Azure.
            var write = new AccountWrite(account, new AccountChanges(), stored.Version + 1, stored.ConcurrencyToken, stored.Due);
            await customers.UpdateEntityAsync(AccountRow.ToEntity(write), row.ETag, TableUpdateMode.Merge);
            reset += due.Count;
        }

        return (reset, read);
    }
}
