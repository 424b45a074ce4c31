using Azure.Data.Tables;
using CreditFunctions.Resets;
using CreditFunctions.Scheduling;
using CreditFunctions.Tests.Azurite;
using CreditFunctions.Tests.Resets;
using Microsoft.Extensions.Options;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Scheduling;

/// <summary>The index owner over Azurite: entries move before a write and go after it, never taking a newer one along.</summary>
public class DueIndexTests
{
    [Fact]
    public async Task Commit_OldEntryReplacedOnItsDayByAnotherWriter_KeepsTheNewEntry()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        var index = new DueIndex(store, Options.Create(new ResetOptions()));
        var old = Utc(2026, 3, 31, 10);
        await store.ScheduleAsync(StoreExtensions.Entry("sub_1Race", old));
        var next = Utc(2026, 4, 30, 10);
        var move = index.Move("sub_1Race", StoreExtensions.CustomerOf("sub_1Race"));
        await move.PlaceAsync(next, rowEntry: old);

        // Another writer moves the subscription to later the same day (the same row) before this writer commits.
        await store.ScheduleAsync(StoreExtensions.Entry("sub_1Race", old.AddHours(2)));
        await move.CommitAsync(next, replaced: old);

        Assert.Equal([old.AddHours(2), next], (await store.AllDueAsync()).Select(e => e.DueAt).Order());
    }

    [Fact]
    public async Task Commit_AfterAnAttemptThatLost_RemovesThatAttemptsEntryAndTheReplacedOne()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        var index = new DueIndex(store, Options.Create(new ResetOptions()));
        var old = Utc(2026, 3, 31, 10);
        await store.ScheduleAsync(StoreExtensions.Entry("sub_1Retry", old));
        var move = index.Move("sub_1Retry", StoreExtensions.CustomerOf("sub_1Retry"));

        await move.PlaceAsync(Utc(2026, 4, 1, 2), rowEntry: old);   // attempt 1, lost to another writer
        await move.PlaceAsync(Utc(2026, 4, 30, 10), rowEntry: old); // attempt 2, written
        await move.CommitAsync(Utc(2026, 4, 30, 10), replaced: old);

        Assert.Equal([Utc(2026, 4, 30, 10)], (await store.AllDueAsync()).Select(e => e.DueAt));
    }

    [Fact]
    public async Task Abandon_NoWriteHappened_RemovesWhatTheMovePutDownButNotTheRowsEntry()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        var index = new DueIndex(store, Options.Create(new ResetOptions()));
        var rowEntry = Utc(2026, 3, 31, 10);
        await store.ScheduleAsync(StoreExtensions.Entry("sub_1Lost", rowEntry));
        var move = index.Move("sub_1Lost", StoreExtensions.CustomerOf("sub_1Lost"));
        await move.PlaceAsync(Utc(2026, 4, 30, 10), rowEntry);

        await move.AbandonAsync(rowEntry);

        Assert.Equal([rowEntry], (await store.AllDueAsync()).Select(e => e.DueAt));
    }

    [Fact]
    public async Task ReadDue_EntriesOnEveryDayOfTheMonth_AreAllReadOnceTheyAreDueAndNotBefore()
    {
        var (store, options) = await AzuriteFixture.NewStoreAsync();

        // One table per day of the month: a month-end entry, last month's leftovers, today's and the future's.
        var due = new[] { Utc(2026, 1, 31, 10), Utc(2026, 2, 1, 0), Utc(2026, 2, 28, 23), Utc(2026, 3, 1, 1), Utc(2026, 3, 2, 1, 59) };
        var later = new[] { Utc(2026, 3, 2, 2, 1), Utc(2026, 3, 3), Utc(2026, 3, 31, 10), Utc(2026, 4, 2, 1) };
        var all = due.Concat(later).Select((at, i) => StoreExtensions.Entry($"sub_day{i}", at)).ToList();
        await store.ScheduleManyAsync(all);

        var read = new List<DueEntry>();
        await foreach (var entry in store.ReadDueAsync(Utc(2026, 3, 2, 2)))
        {
            read.Add(entry);
        }

        // Everything due on the run's UTC day or before, from every table; the index reads whole days, the run filters
        // the rest of today.
        Assert.Equal(due.Append(Utc(2026, 3, 2, 2, 1)).Order(), read.Select(e => e.DueAt).Order());
        Assert.Equal(read.Count, read.Select(e => e.SubscriptionId).Distinct().Count());

        // Each entry sits in the table of its day of the month, as the deployment names them.
        var service = new TableServiceClient(options.ConnectionString);
        foreach (var (entry, i) in all.Select((e, i) => (e, i)))
        {
            var table = service.GetTableClient(options.DueTable(entry.DueAt.UtcDateTime.Day));
            Assert.True((await table.GetEntityIfExistsAsync<TableEntity>(Storage.Keys.DueDay(entry.DueAt), entry.SubscriptionId)).HasValue, $"entry {i} at {entry.DueAt:O}");
        }

        await store.RemoveDueManyAsync(all.Take(3).ToList());
        Assert.Equal(all.Skip(3).Select(e => e.DueAt).Order(), (await store.AllDueAsync()).Select(e => e.DueAt));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Placement_ResetCarriedOutOrNothingDue_IsTheNextCheck(bool resetDue)
    {
        var next = Utc(2026, 4, 30, 10);
        var decision = new ResetDecision { Boundary = resetDue ? Utc(2026, 3, 31, 10) : null, NextCheck = next };

        Assert.Equal(next, DueIndex.Placement(decision, carriedOut: resetDue, Utc(2026, 3, 31, 12)));
    }

    [Fact]
    public void Placement_ResetDueButNotCarriedOut_IsNow()
    {
        var now = Utc(2026, 3, 31, 12);
        var decision = new ResetDecision { Boundary = Utc(2026, 3, 31, 10), NextCheck = Utc(2026, 4, 30, 10) };

        Assert.Equal(now, DueIndex.Placement(decision, carriedOut: false, now));
    }
}
