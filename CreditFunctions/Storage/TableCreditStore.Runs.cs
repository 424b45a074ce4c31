using System.Text.Json;
using CreditFunctions.Runs;

namespace CreditFunctions.Storage;

/// <summary>The run records over Table Storage: a partition per UTC month, newest first.</summary>
public sealed partial class TableCreditStore
{
    /// <summary>A run record's summary JSON stays well under a string property's 64 KiB (32K UTF-16 characters).</summary>
    private const int MaxStoredListItems = 100;

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

    public async Task<IReadOnlyList<ResetRunSummary>> GetRecentRunsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var runs = new List<ResetRunSummary>(limit);
        foreach (var month in new[] { now, now.AddMonths(-1) })
        {
            // One partition at a time, in key order (newest first): never a cross-partition scan.
            var partition = Keys.RunMonth(month);
            await foreach (var entity in _runs.QueryAsync<RunEntity>(r => r.PartitionKey == partition, maxPerPage: limit, select: [nameof(RunEntity.SummaryJson)], cancellationToken: cancellationToken)
                .ConfigureAwait(false))
            {
                if (JsonSerializer.Deserialize<ResetRunSummary>(entity.SummaryJson, CreditJson.Options) is { } summary)
                {
                    runs.Add(summary);
                }

                if (runs.Count == limit)
                {
                    return runs;
                }
            }
        }

        return runs;
    }
}
