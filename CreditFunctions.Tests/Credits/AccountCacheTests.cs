using System.Collections.Concurrent;
using CreditFunctions.Credits;
using static CreditFunctions.Tests.Credits.CreditsClient;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Credits;

/// <summary>
/// Each instance keeps the accounts it last read or wrote and writes against that copy first. With two instances (two
/// containers) on one Azurite: nothing another instance wrote is overwritten, no key applies twice, a refusal or a read is
/// never answered from an old copy, and a lone spend on a kept account costs one request.
/// </summary>
public class AccountCacheTests
{
    private static readonly DateTimeOffset Start = Utc(2026, 1, 31, 10);
    private static readonly DateTimeOffset Now = Utc(2026, 2, 3, 12);
    private const string Customer = "cus_1Kept";

    /// <summary>Two instances on the same tables; the customer (yearly plan, 1,000 a month) made through the first.</summary>
    private static async Task<(AppHost A, AppHost B)> TwoInstancesAsync()
    {
        var settings = new Dictionary<string, string?> { ["CreditStorage:TablePrefix"] = AzuriteFixture.NewTablePrefix() };
        var a = await AppHost.StartAsync(Now, settings);
        var b = await AppHost.StartAsync(Now, settings);
        await WebhookClient.DeliverOkAsync(a, Stripe.Deliveries.SubscriptionEvent("evt_1KeptC", "customer.subscription.created", Start, "sub_1Kept", "active", Stripe.StripeFixtures.YearlyPro, Start));
        return (a, b);
    }

    private static string Json(CreditsReceipt? receipt) => System.Text.Json.JsonSerializer.Serialize(receipt);

    private static Task<Outcome<CreditsReceipt>> Spend(AppHost app, long amount, string key) => app.Credits.SpendAsync(Customer, new SpendRequest(amount, key, null, null));

    [Fact]
    public async Task AReadIsNeverAnsweredFromAKeptCopy_AndAWriteOnAnOldCopyIsRedoneOnTheCurrentOne()
    {
        var (a, b) = await TwoInstancesAsync();
        await using var _a = a;
        await using var _b = b;
        Assert.Null((await Spend(a, 100, "a-1")).Refusal);   // a keeps the account at 900
        Assert.Null((await Spend(b, 300, "b-1")).Refusal);   // b moves it to 600

        Assert.Equal(600, (await GetAsync(a, Customer)).Body.GetProperty("available").GetInt64());
        var spent = await Spend(a, 50, "a-2");               // a's copy was read again by the GET; and had it not been, a 412 would
        Assert.Equal(550, spent.Value!.Available);
        await AssertLedgerReplaysAsync(a.Store, Customer);
    }

    [Fact]
    public async Task ARefusalOnAnOldCopy_IsJudgedAgainOnTheCurrentAccount()
    {
        var (a, b) = await TwoInstancesAsync();
        await using var _a = a;
        await using var _b = b;
        Assert.Null((await Spend(a, 900, "a-1")).Refusal); // a keeps it at 100
        Assert.Equal(201, (await b.Credits.GrantAsync(Customer, new GrantRequest(1000, "b-grant", null, "top-up"))).Status());

        var spent = await Spend(a, 500, "a-2"); // a's copy says 100: not enough. The account says 1,100.

        Assert.Null(spent.Refusal);
        Assert.Equal(600, spent.Value!.Available);
    }

    [Fact]
    public async Task AKeyAppliedByTheOtherInstance_IsAnsweredFromItsRecord_NotAppliedAgainOnAnOldCopy()
    {
        var (a, b) = await TwoInstancesAsync();
        await using var _a = a;
        await using var _b = b;
        Assert.Null((await Spend(a, 10, "a-1")).Refusal);       // a keeps the account
        var first = await Spend(b, 200, "shared");                // the client's request lands on b
        var retry = await Spend(a, 200, "shared");                // its retry lands on a, whose copy predates it

        Assert.Equal(Json(first.Value), Json(retry.Value));
        Assert.Equal(790, (await b.Credits.ReadAsync(Customer)).Value!.Available);
        Assert.Single(await FullLedgerAsync(a.Store, Customer), e => e.IdempotencyKey == "shared");
    }

    [Fact]
    public async Task TwoInstancesRacingOnTheSameCustomers_OverwriteNothing_AndApplyEachKeyOnce()
    {
        var (a, b) = await TwoInstancesAsync();
        await using var _a = a;
        await using var _b = b;
        Assert.Equal(201, (await a.Credits.GrantAsync(Customer, new GrantRequest(100_000, "seed", null, "capital"))).Status());
        var taken = new ConcurrentBag<long>();

        await Task.WhenAll(Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            for (var i = 0; i < 12; i++)
            {
                var amount = random.Next(1, 50);
                var key = $"w{w}-{i}";
                var app = random.Next(2) == 0 ? a : b;
                var spent = await Spend(app, amount, key);
                var again = await Spend(app == a ? b : a, amount, key); // the same request again, on the other instance
                Assert.Equal(Json(spent.Value), Json(again.Value));
                taken.Add(amount);
            }
        })));

        Assert.Equal(101_000 - taken.Sum(), (await GetAsync(b, Customer)).Body.GetProperty("available").GetInt64());
        Assert.Equal(16 * 12, (await FullLedgerAsync(a.Store, Customer)).Count(e => e.Kind == LedgerKind.Spend));
        await AssertLedgerReplaysAsync(a.Store, Customer);
    }

    [Fact]
    public void TheCache_KeepsNoMoreAccountsThanItsSize_LeastRecentlyUsedOut()
    {
        var cache = new AccountCache(Microsoft.Extensions.Options.Options.Create(new StorageOptions { AccountCacheSize = 2 }));
        StoredAccount Account(string id, long version) => new(AccountState.Empty(id), version, $"etag-{version}", new Dictionary<string, DueEntry>());

        cache.Put(Account("cus_1A", 1));
        cache.Put(Account("cus_1B", 1));
        _ = cache.Get("cus_1A");
        cache.Put(Account("cus_1C", 1)); // B was used least recently
        cache.Put(Account("cus_1A", 0)); // an older copy does not replace a newer one

        Assert.Equal((2, (StoredAccount?)null, 1L), (cache.Count, cache.Get("cus_1B"), cache.Get("cus_1A")!.Version));
        var off = new AccountCache(Microsoft.Extensions.Options.Options.Create(new StorageOptions { AccountCacheSize = 0 }));
        off.Put(Account("cus_1A", 1));
        Assert.Null(off.Get("cus_1A"));
    }

    /// <summary>Every index entry of the customer's own (keyed by the customer id), up to a day ahead.</summary>
    private static async Task<List<DueEntry>> OwnEntriesAsync(AppHost app, DateTimeOffset asOf)
    {
        var entries = new List<DueEntry>();
        await foreach (var entry in app.Store.ReadDueAsync(asOf.AddDays(1)))
        {
            if (entry.SubscriptionId == Customer)
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    [Fact]
    public async Task AWriteOnAnOldCopy_LeavesTheOtherInstancesIndexEntryAsTheAccountNamesIt_SoTheRunReleasesAnExpiredHold()
    {
        var (a, b) = await TwoInstancesAsync();
        await using var _a = a;
        await using var _b = b;
        var night = Utc(2026, 2, 4, 1, 30);
        a.Time.SetUtcNow(night);
        b.Time.SetUtcNow(night);
        Assert.Null((await Spend(a, 1, "a-1")).Refusal); // a keeps the account
        Assert.Null((await b.Credits.HoldAsync(Customer, new HoldRequest(100, "b-hold", TimeSpan.FromMinutes(15), null, null))).Refusal); // 01:45
        // a's old copy has no hold: its first attempt puts 03:00 down over the same index row (customer, day), then loses
        // its write; the retry on a read must put back what the account names.
        Assert.Null((await a.Credits.HoldAsync(Customer, new HoldRequest(100, "a-hold", TimeSpan.FromMinutes(90), null, null))).Refusal); // 03:00

        var named = (await a.Store.GetAccountAsync(Customer))!.Due[Customer];
        Assert.Equal(Utc(2026, 2, 4, 1, 45), named.DueAt);
        Assert.Equal([Utc(2026, 2, 4, 1, 45)], (await OwnEntriesAsync(a, night)).Select(e => e.DueAt));

        a.Time.SetUtcNow(Utc(2026, 2, 4, 2));
        b.Time.SetUtcNow(Utc(2026, 2, 4, 2));
        await b.Services.GetRequiredService<CreditResetHandler>().RunAsync(new ResetRequest(ResetTrigger.Timer));

        var holds = (await a.Store.GetAccountAsync(Customer))!.State.Holds;
        Assert.Equal([Utc(2026, 2, 4, 3)], holds.Select(h => h.ExpiresAt)); // the 01:45 hold released by the 02:00 run
    }

    /// <summary>A store that refuses, as too large to store, a write made from a copy older than the stored account.</summary>
    private sealed class TooLargeWhenOld(ICreditStore inner) : DelegatingCreditStore(inner)
    {
        public int Refused;

        public override async Task<AccountWriteOutcome> TryWriteAccountAsync(AccountWrite write, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(write);
            var stored = await base.GetAccountAsync(write.State.CustomerId, cancellationToken);
            if (stored is not null && write.Version <= stored.Version)
            {
                Interlocked.Increment(ref Refused);
                throw new AccountTooLargeException(write.State.CustomerId, "granted buckets and open holds together");
            }

            return await base.TryWriteAccountAsync(write, cancellationToken);
        }
    }

    [Fact]
    public async Task AnAccountTooLargeOnAnOldCopy_IsJudgedAgainOnARead_NotRefused()
    {
        var settings = new Dictionary<string, string?> { ["CreditStorage:TablePrefix"] = AzuriteFixture.NewTablePrefix() };
        var (a, store) = await AppHost.StartAsync(Now, inner => new TooLargeWhenOld(inner), settings);
        var b = await AppHost.StartAsync(Now, settings);
        await using var _a = a;
        await using var _b = b;
        await WebhookClient.DeliverOkAsync(a, Stripe.Deliveries.SubscriptionEvent("evt_1KeptC", "customer.subscription.created", Start, "sub_1Kept", "active", Stripe.StripeFixtures.YearlyPro, Start));
        Assert.Null((await Spend(a, 1, "a-1")).Refusal); // a keeps the account
        Assert.Null((await Spend(b, 1, "b-1")).Refusal); // b moves it on (closing holds, spending grants: room again)

        var hold = await a.Credits.HoldAsync(Customer, new HoldRequest(10, "a-hold", TimeSpan.FromMinutes(15), null, null));
        var spent = await Spend(a, 1, "a-2");

        Assert.Null(hold.Refusal);
        Assert.Null(spent.Refusal);
        Assert.Equal(1, store.Refused); // only the first attempt, on the old copy
        Assert.Equal(1000 - 1 - 1 - 10 - 1, spent.Value!.Available);
    }
}
