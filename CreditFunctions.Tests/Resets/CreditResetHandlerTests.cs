using CreditFunctions.Subscriptions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Resets;

/// <summary>The reset engine end to end over a real Azurite.</summary>
public class CreditResetHandlerTests
{
    private static readonly DateTimeOffset Start = Utc(2025, 1, 31, 10);
    private static readonly DateTimeOffset FirstBoundary = Utc(2025, 2, 28, 10);
    private static readonly DateTimeOffset RunTime = Utc(2025, 3, 1, 2); // the 02:00 run after Feb 28 10:00

    private static CreditResetHandler Handler(ICreditStore store, TimeProvider time, ResetOptions? options = null) =>
        TestHandlers.Create(store, time, options ?? new ResetOptions());

    private static async Task<ResetRunSummary> RunAsync(ICreditStore store, TimeProvider time, ResetRequest? request = null, ResetOptions? options = null)
    {
        var result = await Handler(store, time, options).RunAsync(request ?? new ResetRequest(ResetTrigger.Timer));
        return result.Summary ?? throw new InvalidOperationException("expected a summary");
    }

    [Fact]
    public async Task RunAsync_DueYearlySubscription_ResetsBalanceRecordsAuditAndSchedulesNextBoundary()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        await store.SeedAsync(Yearly("sub_due", Start, balance: 17), FirstBoundary);

        var summary = await RunAsync(store, new FakeTimeProvider(RunTime));

        var stored = await store.GetRequiredAsync("sub_due");
        Assert.Equal(1000, stored.Balance);
        Assert.Equal(FirstBoundary, stored.LastResetBoundary);
        var reset = Assert.Single(await store.GetResetHistoryAsync("sub_due"));
        Assert.Equal((FirstBoundary, 17L, 1000L, ResetTrigger.Timer, summary.RunId, RunTime), (reset.Boundary, reset.BalanceBefore, reset.BalanceAfter, reset.Trigger, reset.RunId, reset.AppliedAt));
        var next = Assert.Single(await store.AllDueAsync());
        Assert.Equal(StoreExtensions.Entry("sub_due", Utc(2025, 3, 31, 10)), next with { ConcurrencyToken = null });
        Assert.Equal((1, 1, 0, 0, false), (summary.Counts.Examined, summary.Counts.Reset, summary.Counts.Skipped, summary.Counts.Failed, summary.Remaining));
    }

    [Fact]
    public async Task RunAsync_DryRun_ListsPlannedResetsAndChangesNothing()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        await store.SeedAsync(Yearly("sub_a", Start, balance: 3), FirstBoundary);
        await store.SeedAsync(Yearly("sub_b", Start, SubscriptionStatus.Canceled), FirstBoundary);
        var before = await store.GetRequiredAsync("sub_a");
        var dueBefore = await store.AllDueAsync();

        var summary = await RunAsync(store, new FakeTimeProvider(RunTime), new ResetRequest(ResetTrigger.Manual, DryRun: true));

        Assert.True(summary.DryRun);
        Assert.Equal([new PlannedReset("sub_a", FirstBoundary, 3, 1000)], summary.PlannedResets);
        Assert.Equal([new SkippedSubscription("sub_b", "status:canceled")], summary.Skipped);
        Assert.Equal(before, await store.GetRequiredAsync("sub_a"));
        Assert.Empty(await store.GetResetHistoryAsync("sub_a"));
        Assert.Equal(dueBefore.OrderBy(d => d.SubscriptionId), (await store.AllDueAsync()).OrderBy(d => d.SubscriptionId));
    }

    [Fact]
    public async Task RunAsync_EightConcurrentRuns_ResetEachSubscriptionExactlyOnce()
    {
        var (store, options) = await AzuriteFixture.NewStoreAsync();
        var ids = Enumerable.Range(0, 60).Select(i => $"sub_race{i:D3}").ToArray();
        await store.SeedManyAsync(ids.Select(id => (Yearly(id, Start, balance: 5), FirstBoundary)));

        // Eight runs, each with its own client and store, as eight instances (or timer + manual calls) would have.
        var runs = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            var (instanceStore, _) = (new CreditFunctions.Storage.TableCreditStore(new Azure.Data.Tables.TableServiceClient(options.ConnectionString), Options.Create(options)), 0);
            var trigger = i % 2 == 0 ? ResetTrigger.Timer : ResetTrigger.Manual;
            return await RunAsync(instanceStore, new FakeTimeProvider(RunTime), new ResetRequest(trigger), new ResetOptions { MaxParallelism = 8 });
        }));

        Assert.Equal(ids.Length, runs.Sum(r => r.Counts.Reset));
        Assert.Equal(0, runs.Sum(r => r.Counts.Failed));
        foreach (var id in ids)
        {
            Assert.Single(await store.GetResetHistoryAsync(id));
            Assert.Equal(1000, (await store.GetRequiredAsync(id)).Balance);
        }
    }

    [Fact]
    public async Task RunAsync_ChunksOverlap_StoreCallsInFlightNeverExceedMaxParallelism()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        var ids = Enumerable.Range(0, 350).Select(i => $"sub_flight{i:D3}").ToArray(); // four chunks
        await store.SeedManyAsync(ids.Select(id => (Yearly(id, Start, balance: 5), FirstBoundary)));
        var counting = new InFlightStore(store);

        var summary = await RunAsync(counting, new FakeTimeProvider(RunTime), options: new ResetOptions { MaxParallelism = 6 });

        Assert.Equal(ids.Length, summary.Counts.Reset);
        Assert.InRange(counting.MostInFlight, 2, 6);
        foreach (var id in ids.Where((_, i) => i % 50 == 0))
        {
            Assert.Equal(1000, (await store.GetRequiredAsync(id)).Balance);
        }

        Assert.Equal(ids.Order(), (await store.AllDueAsync()).Select(d => d.SubscriptionId).Order());
    }

    /// <summary>Counts the account reads, commits and index writes in flight at once (index pages are read one at a time).</summary>
    private sealed class InFlightStore(ICreditStore inner) : DelegatingCreditStore(inner)
    {
        private int _inFlight;
        private int _most;

        public int MostInFlight => Volatile.Read(ref _most);

        public override Task<StoredAccount?> GetAccountAsync(string customerId, CancellationToken cancellationToken = default) =>
            CountAsync(() => Inner.GetAccountAsync(customerId, cancellationToken));

        public override Task<AccountWriteOutcome> TryWriteAccountAsync(AccountWrite write, CancellationToken cancellationToken = default) =>
            CountAsync(() => Inner.TryWriteAccountAsync(write, cancellationToken));

        public override Task<IReadOnlyList<DueEntry>> ScheduleManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
            CountAsync(() => Inner.ScheduleManyAsync(entries, cancellationToken));

        public override Task RemoveDueManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
            CountAsync(async () => { await Inner.RemoveDueManyAsync(entries, cancellationToken); return 0; });

        private async Task<T> CountAsync<T>(Func<Task<T>> call)
        {
            var now = Interlocked.Increment(ref _inFlight);
            InterlockedMax(ref _most, now);
            try
            {
                await Task.Delay(2);
                return await call();
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }
    }

    public static TheoryData<int, bool> CrashPoints()
    {
        // Three due subscriptions make one batch of next entries, three commits, one batch of removals and the run
        // record: six writes. Crash at each, with the write lost and with it landed but its answer lost.
        var data = new TheoryData<int, bool>();
        for (var write = 1; write <= 6; write++)
        {
            data.Add(write, false);
            data.Add(write, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CrashPoints))]
    public async Task RunAsync_CrashAtAnyWriteThenRerun_NoDoubleAndNoMissedReset(int crashAtWrite, bool writeLandsBeforeCrash)
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        var ids = new[] { "sub_crash1", "sub_crash2", "sub_crash3" };
        foreach (var id in ids)
        {
            await store.SeedAsync(Yearly(id, Start, balance: 1), FirstBoundary);
        }

        var crashing = new CrashingStore(store, crashAtWrite, writeLandsBeforeCrash);
        try
        {
            await RunAsync(crashing, new FakeTimeProvider(RunTime), options: new ResetOptions { MaxParallelism = 1 });
        }
        catch (SimulatedCrashException)
        {
            // The run died reading the index; what it wrote before stays, as after a real crash.
        }

        Assert.True(crashing.Crashed);

        var rerun = await RunAsync(store, new FakeTimeProvider(RunTime.AddMinutes(5)));

        Assert.Equal(0, rerun.Counts.Failed);
        foreach (var id in ids)
        {
            var reset = Assert.Single(await store.GetResetHistoryAsync(id));
            Assert.Equal(FirstBoundary, reset.Boundary);
            Assert.Equal(1000, (await store.GetRequiredAsync(id)).Balance);
        }

        // The next boundary is scheduled for every subscription, whatever the crash cut off.
        var due = await store.AllDueAsync();
        Assert.Equal(ids, due.Select(d => d.SubscriptionId).Order());
        Assert.All(due, d => Assert.Equal(Utc(2025, 3, 31, 10), d.DueAt));
    }

    [Fact]
    public async Task RunAsync_ConcurrentSpender_LosesNoUpdate()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        const long initial = 500;
        await store.SeedAsync(Yearly("sub_spend", Start, balance: initial), FirstBoundary);
        var spentBeforeReset = 0;
        var spentAfterReset = 0;
        var spenderStarted = new TaskCompletionSource();
        using var stop = new CancellationTokenSource();

        // The SaaS app spends one credit at a time with its own ETag-guarded read-modify-write.
        var spender = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var (spent, current) = await store.TryChangeAsync("sub_spend", s => s with { Balance = s.Balance - 1 });
                if (spent)
                {
                    if (current.LastResetBoundary == FirstBoundary)
                    {
                        spentAfterReset++;
                    }
                    else
                    {
                        spentBeforeReset++;
                    }

                    if (spentBeforeReset + spentAfterReset == 20)
                    {
                        spenderStarted.SetResult();
                    }
                }
            }
        });
        await spenderStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var summary = await RunAsync(store, new FakeTimeProvider(RunTime));
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (spentAfterReset < 20 && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(10);
        }

        await stop.CancelAsync();
        await spender;

        Assert.Equal(1, summary.Counts.Reset);
        var reset = Assert.Single(await store.GetResetHistoryAsync("sub_spend"));
        Assert.Equal(initial - spentBeforeReset, reset.BalanceBefore);
        Assert.Equal(1000 - spentAfterReset, (await store.GetRequiredAsync("sub_spend")).Balance);
    }

    [Fact]
    public async Task RunAsync_MoreThanOnePageOfDueSubscriptions_ResetsThemAll()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        var ids = Enumerable.Range(0, 1150).Select(i => $"sub_page{i:D5}").ToArray();
        await store.SeedManyAsync(ids.Select(id => (Yearly(id, Start, balance: 0), FirstBoundary)));

        var summary = await RunAsync(store, new FakeTimeProvider(RunTime));

        Assert.Equal((1150, 1150, 0), (summary.Counts.Examined, summary.Counts.Reset, summary.Counts.Failed));
        var due = await store.AllDueAsync();
        Assert.Equal(1150, due.Count);
        Assert.All(due, d => Assert.Equal(Utc(2025, 3, 31, 10), d.DueAt));
        Assert.Equal(1000, (await store.GetRequiredAsync(ids[^1])).Balance);
    }

    [Fact]
    public async Task RunAsync_TimeBudgetReached_ReportsRemainingAndNextRunFinishes()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        var ids = Enumerable.Range(0, 30).Select(i => $"sub_budget{i:D2}").ToArray();
        await store.SeedManyAsync(ids.Select(id => (Yearly(id, Start), FirstBoundary)));
        var time = new FakeTimeProvider(RunTime);
        var slow = new SlowStore(store, time, TimeSpan.FromMilliseconds(100)); // each read "takes" 100 ms
        var options = new ResetOptions { ManualRunBudget = TimeSpan.FromSeconds(1), MaxParallelism = 1 };

        var first = await RunAsync(slow, time, new ResetRequest(ResetTrigger.Manual), options);
        var second = await RunAsync(slow, time, new ResetRequest(ResetTrigger.Manual), options);
        var third = await RunAsync(slow, time, new ResetRequest(ResetTrigger.Manual), options);
        var fourth = await RunAsync(slow, time, new ResetRequest(ResetTrigger.Manual), options);

        Assert.True(first.Remaining);
        Assert.InRange(first.Counts.Reset, 5, 15);
        Assert.False(fourth.Remaining);
        Assert.Equal(30, first.Counts.Reset + second.Counts.Reset + third.Counts.Reset + fourth.Counts.Reset);
        foreach (var id in ids)
        {
            Assert.Single(await store.GetResetHistoryAsync(id));
        }
    }

    [Fact]
    public async Task RunAsync_IneligibleSubscriptions_AreSkippedWithReasonsAndScheduledOrDropped()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        await store.SeedAsync(Yearly("sub_canceled", Start, SubscriptionStatus.Canceled), FirstBoundary);
        await store.SeedAsync(Yearly("sub_pastdue", Start, SubscriptionStatus.PastDue, balance: 4), FirstBoundary);
        await store.SeedAsync(Yearly("sub_unknownplan", Start, allowance: null), FirstBoundary);
        await store.SeedAsync(Yearly("sub_trialing", Start, SubscriptionStatus.Trialing), FirstBoundary);

        var summary = await RunAsync(store, new FakeTimeProvider(RunTime));

        Assert.Equal(1, summary.Counts.Reset);
        Assert.Equal(
            [
                new SkippedSubscription("sub_canceled", "status:canceled"),
                new SkippedSubscription("sub_pastdue", "status:past_due"),
                new SkippedSubscription("sub_unknownplan", "unknown-plan"),
            ],
            summary.Skipped);
        Assert.Equal(1, summary.Counts.SkippedByReason["status:past_due"]);
        Assert.Equal(4, (await store.GetRequiredAsync("sub_pastdue")).Balance);
        var due = (await store.AllDueAsync()).Select(d => d.SubscriptionId).Order();
        Assert.Equal(["sub_pastdue", "sub_trialing", "sub_unknownplan"], due); // canceled leaves the index
    }

    [Fact]
    public async Task RunAsync_PastDueAllowed_ResetsPastDue()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        await store.SeedAsync(Yearly("sub_pastdue", Start, SubscriptionStatus.PastDue), FirstBoundary);

        var summary = await RunAsync(store, new FakeTimeProvider(RunTime), options: new ResetOptions { AllowPastDue = true });

        Assert.Equal(1, summary.Counts.Reset);
    }

    [Fact]
    public async Task RunAsync_AfterMonthsDown_AppliesLatestRecordsSkippedAndContinuesWithoutDrift()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        await store.SeedAsync(Yearly("sub_down", Start), FirstBoundary);
        var time = new FakeTimeProvider(Utc(2025, 6, 10, 2));

        var catchUp = await RunAsync(store, time);
        time.SetUtcNow(Utc(2025, 7, 1, 2));
        var nextMonth = await RunAsync(store, time);

        Assert.Equal(1, catchUp.Counts.Reset);
        Assert.Equal(1, nextMonth.Counts.Reset);
        var history = await store.GetResetHistoryAsync("sub_down");
        Assert.Equal([Utc(2025, 5, 31, 10), Utc(2025, 6, 30, 10)], history.Select(r => r.Boundary));
        Assert.Equal([FirstBoundary, Utc(2025, 3, 31, 10), Utc(2025, 4, 30, 10)], history[0].SkippedBoundaries);
    }

    [Fact]
    public async Task RunAsync_BoundaryLaterToday_IsLeftForTheNextRun()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        await store.SeedAsync(Yearly("sub_later", Start), FirstBoundary);

        var summary = await RunAsync(store, new FakeTimeProvider(Utc(2025, 2, 28, 2)));

        Assert.Equal(0, summary.Counts.Examined);
        Assert.Single(await store.AllDueAsync());
    }

    [Fact]
    public async Task RunAsync_StaleAndMissingEntries_AreDroppedWithoutResetting()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        await store.SeedAsync(Yearly("sub_done", Start, lastReset: FirstBoundary), FirstBoundary); // duplicate after a crash
        await store.ScheduleAsync(StoreExtensions.Entry("sub_gone", FirstBoundary));

        var summary = await RunAsync(store, new FakeTimeProvider(RunTime));

        Assert.Equal(0, summary.Counts.Reset);
        Assert.Equal(1, summary.Counts.SkippedByReason[SkipReason.AlreadyApplied]);
        Assert.Equal(1, summary.Counts.SkippedByReason[SkipReason.SubscriptionMissing]);
        Assert.Equal([StoreExtensions.Entry("sub_done", Utc(2025, 3, 31, 10))], (await store.AllDueAsync()).Select(d => d with { ConcurrencyToken = null }));
    }

    [Fact]
    public async Task RunAsync_OneSubscription_ResetsOnlyThatOne()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        await store.SeedAsync(Yearly("sub_one", Start), FirstBoundary);
        await store.SeedAsync(Yearly("sub_two", Start), FirstBoundary);

        var summary = await RunAsync(store, new FakeTimeProvider(RunTime), new ResetRequest(ResetTrigger.Manual, SubscriptionId: "sub_two"));

        Assert.Equal(("sub_two", 1, 1), (summary.SubscriptionId, summary.Counts.Examined, summary.Counts.Reset));
        Assert.Single(await store.GetResetHistoryAsync("sub_two"));
        Assert.Empty(await store.GetResetHistoryAsync("sub_one"));
    }

    [Fact]
    public async Task RunAsync_UnknownSubscription_IsNotFound()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();

        var result = await Handler(store, new FakeTimeProvider(RunTime)).RunAsync(new ResetRequest(ResetTrigger.Manual, SubscriptionId: "sub_nope"));

        Assert.Null(result.Summary);
        Assert.Equal("sub_nope", result.Missing?.Id);
    }
}
