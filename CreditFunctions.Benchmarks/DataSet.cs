using CreditFunctions.Scheduling;
using System.Globalization;
using Azure.Data.Tables;
using CreditFunctions.Accounts;
using CreditFunctions.Periods;
using CreditFunctions.Resets;
using CreditFunctions.Runs;
using CreditFunctions.Storage;
using CreditFunctions.Subscriptions;
using CreditFunctions.Tests;

namespace CreditFunctions.Benchmarks;

/// <summary>
/// N yearly subscriptions of which exactly D are due at <see cref="RunAt"/>: varied anchors (days, hours, months of
/// the year), statuses and reset history. The same deterministic set is seeded for the engine and for the baseline.
/// </summary>
internal sealed class DataSet(int total, int due)
{
    /// <summary>The run instant: 02:00 UTC, the timer's hour.</summary>
    public static readonly DateTimeOffset RunAt = new(2026, 11, 26, 2, 0, 0, TimeSpan.Zero);

    public const int Allowance = 1000;

    public int Total { get; } = total;
    public int Due { get; } = due;

    public static string Id(int i) => "sub_bench" + i.ToString("D7", CultureInfo.InvariantCulture);

    /// <summary>Subscription i; the first <see cref="Due"/> are due now, the rest are not (or may not get credits).</summary>
    public Subscription Subscription(int i)
    {
        var rng = new Random(i);
        var monthsIntoYear = rng.Next(1, 12); // in-period: boundary k = monthsIntoYear of a yearly period
        DateTimeOffset anchor;
        string status;
        if (i < Due)
        {
            // Boundary passed in the last day: between 02:00 yesterday and 02:00 today.
            var boundary = RunAt.AddMinutes(-rng.Next(1, 24 * 60));
            anchor = boundary.AddMonths(-monthsIntoYear);
            status = SubscriptionStatus.Active;
        }
        else
        {
            // Next boundary 1 to 27 days ahead (already reset this month), with a mix of statuses.
            var next = RunAt.AddDays(rng.Next(1, 28)).AddMinutes(rng.Next(0, 24 * 60));
            anchor = next.AddMonths(-monthsIntoYear);
            status = (i % 20) switch
            {
                0 => SubscriptionStatus.Canceled,
                1 => SubscriptionStatus.PastDue,
                2 => SubscriptionStatus.Trialing,
                _ => SubscriptionStatus.Active,
            };
        }

        anchor = CreditPeriods.ToWholeSeconds(anchor);
        // Reset last at the boundary before the current one: due ones are owed that boundary, the rest one still ahead.
        var lastReset = CreditPeriods.Boundary(anchor, monthsIntoYear - 1);
        return TestSubscriptions.Yearly(Id(i), anchor, status, Allowance, balance: rng.Next(0, Allowance), lastReset) with { Version = 1 };
    }

    /// <summary>Where subscription i's index entry is: its next look, as the webhook sync would have put it.</summary>
    public static DateTimeOffset DueAt(Subscription subscription) =>
        CreditPeriods.InPeriodBoundaries(subscription.Stripe.PeriodStart, subscription.Stripe.PeriodEnd).First(b => b > subscription.LastResetBoundary!.Value);

    /// <summary>Writes the accounts of subscriptions [from, to) as this data set defines them, replacing what is there.</summary>
    public async Task WriteSubscriptionsAsync(TableClient customers, int from, int to, int parallelism)
    {
        await Parallel.ForEachAsync(Enumerable.Range(from, to - from), new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (i, ct) =>
        {
            var subscription = Subscription(i);
            var due = new Dictionary<string, DueEntry> { [subscription.Id] = new(subscription.Id, subscription.CustomerId, DueAt(subscription)) };
            var account = new AccountWrite(AccountState.Empty(subscription.CustomerId).With(subscription), new AccountChanges(), 1, null, due);
            await customers.UpsertEntityAsync(AccountRow.ToEntity(account), TableUpdateMode.Replace, ct);
        });
    }

    /// <summary>Rebuilds the due-date index from scratch: one entry per subscription at its next look, batched per day.</summary>
    public async Task WriteIndexAsync(TableServiceClient service, StorageOptions storage, int parallelism)
    {
        foreach (var table in storage.DueTables)
        {
            await service.DeleteTableAsync(table);
            await service.GetTableClient(table).CreateIfNotExistsAsync();
        }

        var batches = Enumerable.Range(0, Total)
            .Select(Subscription)
            .Select(s => new DueEntity { PartitionKey = Keys.DueDay(DueAt(s)), RowKey = s.Id, DueAt = DueAt(s), CustomerId = s.CustomerId })
            .GroupBy(e => e.PartitionKey)
            .SelectMany(day => day.Chunk(100));
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (batch, ct) =>
            await service.GetTableClient(storage.DueTable(batch[0].DueAt.UtcDateTime.Day))
                .SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e)), ct));
    }

    /// <summary>Deletes every record a run writes beside the accounts (reset records, ledger entries), so the table is as seeded again.</summary>
    public static async Task DeleteRecordsAsync(TableClient customers, int parallelism)
    {
        var filter = TableClient.CreateQueryFilter($"RowKey lt {Keys.AccountRowPrefix} or RowKey ge {Keys.After(Keys.AccountRowPrefix)}");
        var records = new List<(string, string)>();
        await foreach (var record in customers.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"]))
        {
            records.Add((record.PartitionKey, record.RowKey));
        }

        await Parallel.ForEachAsync(records, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (key, ct) =>
            await customers.DeleteEntityAsync(key.Item1, key.Item2, cancellationToken: ct));
    }
}
