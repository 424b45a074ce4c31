using static CreditFunctions.Tests.Stripe.Deliveries;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Storage;

/// <summary>
/// What each path costs the store, counted in requests (never timed): a timer reset is one load, the index entry put
/// down before the write, the write, and the old entry taken away after it; a change to an account this instance keeps
/// (it last read or wrote it) needs no load.
/// </summary>
public class StoreCostTests
{
    private static readonly DateTimeOffset P1 = Utc(2026, 1, 15, 9, 30);

    /// <summary>The real store, counting each request by what it is.</summary>
    private sealed class CountingStore(ICreditStore inner) : DelegatingCreditStore(inner)
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _calls = new();

        public IReadOnlyList<string> Calls => [.. _calls];

        public void Clear() => _calls.Clear();

        public override Task<StoredAccount?> GetAccountAsync(string customerId, CancellationToken cancellationToken = default) =>
            Count("read", () => base.GetAccountAsync(customerId, cancellationToken));

        public override Task<AccountWriteOutcome> TryWriteAccountAsync(AccountWrite write, CancellationToken cancellationToken = default) =>
            Count("write", () => base.TryWriteAccountAsync(write, cancellationToken));

        public override Task<DueEntry> ScheduleAsync(DueEntry entry, CancellationToken cancellationToken = default) =>
            Count("place", () => base.ScheduleAsync(entry, cancellationToken));

        public override Task<IReadOnlyList<DueEntry>> ScheduleManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
            Count("place", () => base.ScheduleManyAsync(entries, cancellationToken));

        public override Task RemoveDueManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
            Count("remove", async () => { await base.RemoveDueManyAsync(entries, cancellationToken); return 0; });

        public override Task<bool> HasEventAsync(string customerId, string eventId, CancellationToken cancellationToken = default) =>
            Count("event-read", () => base.HasEventAsync(customerId, eventId, cancellationToken));

        public override Task<string?> FindCustomerAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
            Count("directory-read", () => base.FindCustomerAsync(subscriptionId, cancellationToken));

        public override Task SaveRunAsync(ResetRunSummary summary, CancellationToken cancellationToken = default) =>
            Count("run-record", async () => { await base.SaveRunAsync(summary, cancellationToken); return 0; });

        private Task<T> Count<T>(string what, Func<Task<T>> call)
        {
            _calls.Enqueue(what);
            return call();
        }
    }

    [Fact]
    public async Task InvoicePaidRenewingAMonthlyPlan_CostsAPlacement_TheWrite_AndARemoval_OnAnAccountThisInstanceKeeps()
    {
        var (app, store) = await AppHost.StartAsync(P1.AddMinutes(1), inner => new CountingStore(inner));
        await using var _ = app;
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1CostC", "customer.subscription.created", P1, "sub_1Cost", "active", MonthlyPro, P1));
        var renewal = P1.AddMonths(1);
        app.Time.SetUtcNow(renewal.AddMinutes(1));
        store.Clear();

        Assert.Equal("synced; reset", await WebhookClient.DeliverOkAsync(app, InvoicePaid("evt_1CostI", renewal, "sub_1Cost", MonthlyPro, renewal)));

        Assert.Equal(["place", "write", "remove"], store.Calls);
        Assert.Equal([renewal.AddMonths(1)], (await app.Store.AllDueAsync()).Select(e => e.DueAt));
    }

    [Fact]
    public async Task ATimerResetOfOneYearlySubscription_CostsTheIndexRead_ARead_APlacement_TheWrite_ARemoval_AndTheRunRecord()
    {
        var (app, store) = await AppHost.StartAsync(P1.AddMinutes(1), inner => new CountingStore(inner));
        await using var _ = app;
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1CostY", "customer.subscription.created", P1, "sub_1CostY", "active", YearlyPro, P1));
        app.Time.SetUtcNow(Utc(2026, 2, 16, 2));
        store.Clear();

        var summary = await app.RunAsync();

        Assert.Equal(1, summary.Counts.Reset);
        Assert.Equal(["read", "place", "write", "remove", "run-record"], store.Calls);
        Assert.Equal([Utc(2026, 3, 15, 9, 30)], (await app.Store.AllDueAsync()).Select(e => e.DueAt));
    }

    [Fact]
    public async Task ASpend_CostsTheWriteAlone_OnAnAccountThisInstanceKeeps_AndARead_OnAnotherInstance()
    {
        var (app, store) = await AppHost.StartAsync(P1.AddMinutes(1), inner => new CountingStore(inner));
        await using var _ = app;
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1CostS", "customer.subscription.created", P1, "sub_1CostS", "active", YearlyPro, P1));
        store.Clear();

        Assert.Null((await app.Credits.SpendAsync("cus_1CostS", new SpendRequest(10, "k", null, null))).Refusal);
        var kept = store.Calls;

        // The same account on another instance (the same tables), which has not seen it: a read first.
        var (other, otherStore) = await AppHost.StartAsync(P1.AddMinutes(1), inner => new CountingStore(inner),
            new Dictionary<string, string?> { ["CreditStorage:TablePrefix"] = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value.TablePrefix });
        await using var __ = other;
        Assert.Null((await other.Credits.SpendAsync("cus_1CostS", new SpendRequest(10, "k2", null, null))).Refusal);

        Assert.Equal(["write"], kept);
        Assert.Equal(["read", "write"], otherStore.Calls);
    }

    [Fact]
    public async Task HoldsThenCaptures_CostAWriteEach_PlusOneIndexEntryForTheFirstHoldsExpiry()
    {
        var (app, store) = await AppHost.StartAsync(P1.AddMinutes(1), inner => new CountingStore(inner));
        await using var _ = app;
        await WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1CostH", "customer.subscription.created", P1, "sub_1CostH", "active", YearlyPro, P1));
        var calls = new List<IReadOnlyList<string>>();
        for (var i = 0; i < 3; i++)
        {
            store.Clear();
            var hold = (await app.Credits.HoldAsync("cus_1CostH", new HoldRequest(10, $"h{i}", HoldRequest.DefaultExpiresIn, null, null))).Value!.Hold!;
            calls.Add(store.Calls);
            store.Clear();
            Assert.Null((await app.Credits.CaptureAsync("cus_1CostH", new CaptureRequest(hold.HoldId, 5, $"c{i}", null, null))).Refusal);
            calls.Add(store.Calls);
        }

        // The first hold puts down the account's entry at its expiry; later holds expire after it, so it stays.
        Assert.Equal([["place", "write"], ["write"], ["write"], ["write"], ["write"], ["write"]], calls);

        // The entry left behind comes due, finds nothing open, and goes.
        app.Time.SetUtcNow(P1.AddMinutes(20));
        await app.RunAsync();
        Assert.DoesNotContain(await app.Store.AllDueAsync(), e => e.SubscriptionId == "cus_1CostH");
    }
}
