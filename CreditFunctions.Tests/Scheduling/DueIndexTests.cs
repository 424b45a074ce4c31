using Azure.Data.Tables;
using CreditFunctions.Subscriptions;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Scheduling;

/// <summary>The index over Azurite: entries move before a write and go after it, never taking a newer one along.</summary>
public class DueIndexTests
{
    [Fact]
    public async Task Commit_OldEntryReplacedOnItsDayByAnotherWriter_KeepsTheNewEntry()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        var old = await store.ScheduleAsync(StoreExtensions.Entry("sub_1Race", Utc(2026, 3, 31, 10)));
        var next = Utc(2026, 4, 30, 10);
        var move = new WriteAhead(store, StoreExtensions.CustomerOf("sub_1Race"));
        var placed = await move.PlaceAsync(Due(StoreExtensions.Entry("sub_1Race", next)), default);

        // Another writer moves the subscription to later the same day (the same row) before this writer commits.
        await store.ScheduleAsync(StoreExtensions.Entry("sub_1Race", old.DueAt.AddHours(2)));
        await move.CommitAsync(placed, replaced: Due(old), default);

        Assert.Equal([old.DueAt.AddHours(2), next], (await store.AllDueAsync()).Select(e => e.DueAt).Order());
    }

    [Fact]
    public async Task Commit_AfterAnAttemptThatLost_RemovesThatAttemptsEntryAndTheReplacedOne()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        var old = await store.ScheduleAsync(StoreExtensions.Entry("sub_1Retry", Utc(2026, 3, 31, 10)));
        var move = new WriteAhead(store, StoreExtensions.CustomerOf("sub_1Retry"));

        await move.PlaceAsync(Due(StoreExtensions.Entry("sub_1Retry", Utc(2026, 4, 1, 2))), default);              // attempt 1, lost to another writer
        var placed = await move.PlaceAsync(Due(StoreExtensions.Entry("sub_1Retry", Utc(2026, 4, 30, 10))), default); // attempt 2, written
        await move.CommitAsync(placed, replaced: Due(old), default);

        Assert.Equal([Utc(2026, 4, 30, 10)], (await store.AllDueAsync()).Select(e => e.DueAt));
    }

    [Fact]
    public async Task Abandon_NoWriteHappened_RemovesWhatTheMovePutDownButNotTheRowsEntry()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        var rowEntry = Utc(2026, 3, 31, 10);
        await store.SeedAsync(Yearly("sub_1Lost", Utc(2026, 1, 31, 10)), rowEntry);
        var move = new WriteAhead(store, StoreExtensions.CustomerOf("sub_1Lost"));
        await move.PlaceAsync(Due(StoreExtensions.Entry("sub_1Lost", Utc(2026, 4, 30, 10))), default);

        await move.AbandonAsync(default);

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
            Assert.True((await table.GetEntityIfExistsAsync<TableEntity>(CreditFunctions.Storage.Keys.DueDay(entry.DueAt), entry.SubscriptionId)).HasValue, $"entry {i} at {entry.DueAt:O}");
        }

        await store.RemoveDueManyAsync(all.Take(3).ToList());
        Assert.Equal(all.Skip(3).Select(e => e.DueAt).Order(), (await store.AllDueAsync()).Select(e => e.DueAt));
    }

    [Fact]
    public void Placement_ResetDueThatTheSavedStateDoesNotCarryOut_IsNow()
    {
        var now = Utc(2026, 3, 31, 12);
        var due = Yearly("sub_1Now", Utc(2026, 1, 31, 10), lastReset: Utc(2026, 2, 28, 10)); // Mar 31 10:00 is due

        Assert.Equal(now, DuePlacement.Of(due, now, new ResetPolicy()));
    }

    [Fact]
    public void Placement_ResetCarriedOutOrNothingDue_IsTheNextCheck()
    {
        var now = Utc(2026, 3, 31, 12);
        var applied = Yearly("sub_1Next", Utc(2026, 1, 31, 10), lastReset: Utc(2026, 3, 31, 10));
        var early = Yearly("sub_1Early", Utc(2026, 1, 31, 10), lastReset: Utc(2026, 2, 28, 10));

        Assert.Equal(Utc(2026, 4, 30, 10), DuePlacement.Of(applied, now, new ResetPolicy()));
        Assert.Equal(Utc(2026, 3, 31, 10), DuePlacement.Of(early, Utc(2026, 3, 31, 2), new ResetPolicy()));
    }

    [Fact]
    public void Placement_ASubscriptionThatEnded_HasNone()
    {
        Assert.Null(DuePlacement.Of(Yearly("sub_1Gone", Utc(2026, 1, 31, 10), SubscriptionStatus.Canceled), Utc(2026, 3, 1), new ResetPolicy()));
    }

    private static Dictionary<string, DueEntry> Due(DueEntry entry) => new() { [entry.SubscriptionId] = entry };
}
