using System.Collections.Concurrent;
using CreditFunctions.Credits;
using static CreditFunctions.Tests.Credits.CreditsClient;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Credits;

/// <summary>
/// Concurrent spends and grants of one customer share a write: fewer writes than requests, each request answered on its
/// own (applied, refused, replayed), none lost or applied twice; and a lone spend costs the store two requests.
/// </summary>
public class CoalescedSpendsTests
{
    private static readonly DateTimeOffset Now = Utc(2026, 3, 2, 12);

    /// <summary>The real store, counting what the credits API asks of it.</summary>
    private sealed class CountingStore(ICreditStore inner) : DelegatingCreditStore(inner)
    {
        public int AccountReads;
        public int Writes;
        public int IdempotencyReads;

        public override Task<StoredAccount?> GetAccountAsync(string customerId, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref AccountReads);
            return base.GetAccountAsync(customerId, cancellationToken);
        }

        public override Task<AccountWriteOutcome> TryWriteAccountAsync(AccountWrite write, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Writes);
            return base.TryWriteAccountAsync(write, cancellationToken);
        }

        public override Task<IdempotencyRecord?> GetIdempotencyAsync(string customerId, string key, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref IdempotencyReads);
            return base.GetIdempotencyAsync(customerId, key, cancellationToken);
        }
    }

    [Theory]
    [InlineData(10_000, 0)] // the account this instance just wrote is kept: the write alone
    [InlineData(0, 1)]      // the cache off (or the account not kept): a read and the write
    public async Task OneSpend_CostsOneWrite_AndAReadUnlessThisInstanceKeepsTheAccount(int cacheSize, int reads)
    {
        var (app, store) = await AppHost.StartAsync(Now, inner => new CountingStore(inner), new Dictionary<string, string?> { ["CreditStorage:AccountCacheSize"] = $"{cacheSize}" });
        var credits = app.Credits;
        await using var _ = app;
        Assert.Equal(201, (await credits.GrantAsync("cus_1Lone", new GrantRequest(100, "grant-1", null, "start"))).Status());
        (store.AccountReads, store.Writes, store.IdempotencyReads) = (0, 0, 0);

        var answer = await credits.SpendAsync("cus_1Lone", new SpendRequest(30, "spend-1", null, null));

        Assert.Equal((200, 70L), (answer.Status(), answer.Value!.Available));
        Assert.Equal((reads, 1, 0), (store.AccountReads, store.Writes, store.IdempotencyReads));
    }

    [Fact]
    public async Task SixtyFourConcurrentSpends_AreWrittenTogether_EachOnceWithItsOwnAnswer()
    {
        var (app, store) = await AppHost.StartAsync(Now, inner => new CountingStore(inner));
        var credits = app.Credits;
        await using var _ = app;
        Assert.Equal(201, (await credits.GrantAsync("cus_1Team", new GrantRequest(10_000, "grant-1", null, "start"))).Status());
        store.Writes = 0;

        var answers = await Task.WhenAll(Enumerable.Range(0, 64).Select(i =>
            Task.Run(() => credits.SpendAsync("cus_1Team", new SpendRequest(10 + i, $"spend-{i}", null, null)))));

        Assert.All(answers, a => Assert.Equal(200, a.Status()));
        Assert.Equal(Enumerable.Range(0, 64).Select(i => $"spend-{i}"), answers.Select(a => a.Value!.IdempotencyKey));
        Assert.InRange(store.Writes, 2, 32); // batched: at least two writes (at most 40 spends each), far fewer than 64
        var ledger = await FullLedgerAsync(app.Services.GetRequiredService<ICreditStore>(), "cus_1Team");
        Assert.Equal(64, ledger.Count(e => e.Kind == LedgerKind.Spend));
        Assert.Equal(10_000 - Enumerable.Range(0, 64).Sum(i => 10 + i), ledger[^1].BalanceAfter);
        await AssertLedgerReplaysAsync(app.Services.GetRequiredService<ICreditStore>(), "cus_1Team");
    }

    [Fact]
    public async Task ABatchWithARefusalAReplayAndAReusedKey_AnswersEachOnItsOwn()
    {
        var (app, _) = await AppHost.StartAsync(Now, inner => new CountingStore(inner));
        var credits = app.Credits;
        await using var __ = app;
        Assert.Equal(201, (await credits.GrantAsync("cus_1Mixed", new GrantRequest(100, "grant-1", null, "start"))).Status());
        var first = await credits.SpendAsync("cus_1Mixed", new SpendRequest(20, "done-before", null, null));

        // At once: a spend that fits, one that does not, the earlier key again (same request), the same key with another
        // amount, and one key sent twice in the same batch.
        var answers = await Task.WhenAll(
            credits.SpendAsync("cus_1Mixed", new SpendRequest(30, "fits", null, null)),
            credits.SpendAsync("cus_1Mixed", new SpendRequest(500, "too-much", null, null)),
            credits.SpendAsync("cus_1Mixed", new SpendRequest(20, "done-before", null, null)),
            credits.SpendAsync("cus_1Mixed", new SpendRequest(25, "done-before", null, null)),
            credits.SpendAsync("cus_1Mixed", new SpendRequest(5, "twice", null, null)),
            credits.SpendAsync("cus_1Mixed", new SpendRequest(5, "twice", null, null)));

        Assert.Equal(200, answers[0].Status());
        Assert.Equal((409, "insufficient-credits"), (answers[1].Status(), answers[1].ProblemType()));
        Assert.Equal((200, first.Value!.LedgerSequence), (answers[2].Status(), answers[2].Value!.LedgerSequence));
        Assert.Equal((409, "idempotency-key-reused"), (answers[3].Status(), answers[3].ProblemType()));
        Assert.Equal((200, 200), (answers[4].Status(), answers[5].Status()));
        Assert.Equal(answers[4].Value!.LedgerSequence, answers[5].Value!.LedgerSequence);

        var ledger = await FullLedgerAsync(app.Services.GetRequiredService<ICreditStore>(), "cus_1Mixed");
        Assert.Equal(["done-before", "fits", "twice"], ledger.Where(e => e.Kind == LedgerKind.Spend).Select(e => e.IdempotencyKey!).Order());
        Assert.Equal(100 - 20 - 30 - 5, (await credits.ReadAsync("cus_1Mixed")).Value!.Available);
        await AssertLedgerReplaysAsync(app.Services.GetRequiredService<ICreditStore>(), "cus_1Mixed");
    }

    [Fact]
    public async Task AReplayAfterTheCreditsAreGone_StillAnswersTheFirstAnswer()
    {
        var (app, _) = await AppHost.StartAsync(Now, inner => new CountingStore(inner));
        var credits = app.Credits;
        await using var __ = app;
        Assert.Equal(201, (await credits.GrantAsync("cus_1Gone", new GrantRequest(50, "grant-1", null, "start"))).Status());
        var first = await credits.SpendAsync("cus_1Gone", new SpendRequest(50, "all-of-it", null, null));

        var again = await credits.SpendAsync("cus_1Gone", new SpendRequest(50, "all-of-it", null, null));

        Assert.Equal((200, first.Value!.LedgerSequence, 0L), (again.Status(), again.Value!.LedgerSequence, again.Value.Available));
    }

    [Fact]
    public async Task ConcurrentSpendsOfManyCustomers_DoNotWaitForEachOther()
    {
        var (app, store) = await AppHost.StartAsync(Now, inner => new CountingStore(inner));
        var credits = app.Credits;
        await using var _ = app;
        var customers = Enumerable.Range(0, 20).Select(i => $"cus_1Many{i:D2}").ToList();
        foreach (var customer in customers)
        {
            Assert.Equal(201, (await credits.GrantAsync(customer, new GrantRequest(100, "grant-1", null, "start"))).Status());
        }

        store.Writes = 0;
        var answers = new ConcurrentBag<int>();
        await Task.WhenAll(customers.Select(c => Task.Run(async () => answers.Add((await credits.SpendAsync(c, new SpendRequest(7, "spend-1", null, null))).Status()))));

        Assert.All(answers, status => Assert.Equal(200, status));
        Assert.Equal(20, store.Writes); // one write per customer: nothing to share, nothing queued behind another customer
    }

    /// <summary>The real store, with a hold on the first account read or write and a failure for writes that carry a chosen key.</summary>
    private sealed class HookedStore(ICreditStore inner) : DelegatingCreditStore(inner)
    {
        private readonly TaskCompletionSource _readHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _releaseRead = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _reads;
        private int _writes;

        public bool HoldFirstRead { get; set; }

        /// <summary>Holds the first account write (as <see cref="HoldFirstRead"/> the first read): a change on an account
        /// this instance keeps makes no read.</summary>
        public bool HoldFirstWrite { get; set; }

        /// <summary>Writes carrying this key fail as the store fails them; null: none.</summary>
        public Func<AccountWrite, Exception?> FailWrite { get; set; } = _ => null;

        public Task Held => _readHeld.Task;

        public void Release() => _releaseRead.TrySetResult();

        public override async Task<StoredAccount?> GetAccountAsync(string customerId, CancellationToken cancellationToken = default)
        {
            if (HoldFirstRead && Interlocked.Increment(ref _reads) == 1)
            {
                _readHeld.TrySetResult();
                await _releaseRead.Task;
            }

            return await base.GetAccountAsync(customerId, cancellationToken);
        }

        public override async Task<AccountWriteOutcome> TryWriteAccountAsync(AccountWrite write, CancellationToken cancellationToken = default)
        {
            if (HoldFirstWrite && Interlocked.Increment(ref _writes) == 1)
            {
                _readHeld.TrySetResult();
                await _releaseRead.Task;
            }

            return FailWrite(write) is { } failure ? throw failure : await base.TryWriteAccountAsync(write, cancellationToken);
        }
    }

    [Fact]
    public async Task ARequestTheStoreRefusesInAShareWrite_FailsAloneAndTheOthersAreApplied()
    {
        var (app, store) = await AppHost.StartAsync(Now, inner => new HookedStore(inner));
        var credits = app.Credits;
        await using var _ = app;
        Assert.Equal(201, (await credits.GrantAsync("cus_1Bad", new GrantRequest(100, "grant-1", null, "start"))).Status());
        store.FailWrite = write => write.Changes.Keys.Any(r => r.Key == "bad")
            ? new Azure.RequestFailedException(400, "The property value exceeds the maximum allowed size (64KB).", "PropertyValueTooLarge", null)
            : null;
        store.HoldFirstWrite = true;

        // The first spend holds the customer's lane (its write waits); the next three queue and share the next write.
        var lead = credits.SpendAsync("cus_1Bad", new SpendRequest(1, "lead", null, null));
        await store.Held;
        List<Task<Outcome<CreditsReceipt>>> queued =
        [
            credits.SpendAsync("cus_1Bad", new SpendRequest(10, "ok-1", null, null)),
            credits.SpendAsync("cus_1Bad", new SpendRequest(10, "bad", null, null)),
            credits.SpendAsync("cus_1Bad", new SpendRequest(10, "ok-2", null, null)),
        ];
        store.Release();

        Assert.Equal(200, (await lead).Status());
        Assert.Equal(200, (await queued[0]).Status());
        var failure = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => queued[1]);
        Assert.Equal("PropertyValueTooLarge", failure.ErrorCode);
        Assert.Equal(200, (await queued[2]).Status());
        var ledger = await FullLedgerAsync(app.Services.GetRequiredService<ICreditStore>(), "cus_1Bad");
        Assert.Equal(["lead", "ok-1", "ok-2"], ledger.Where(e => e.Kind == LedgerKind.Spend).Select(e => e.IdempotencyKey!).Order());
        Assert.Equal(100 - 1 - 10 - 10, (await credits.ReadAsync("cus_1Bad")).Value!.Available);
    }

    [Fact]
    public async Task AHoldThatWouldOverfillTheAccountRow_Is409AccountFull_AndHoldsNothing()
    {
        var (app, store) = await AppHost.StartAsync(Now, inner => new HookedStore(inner));
        await using var _ = app;
        Assert.Equal(201, (await GrantAsync(app, "cus_1Full", 100, "grant-1")).Status);

        // Every granted bucket and open hold share the account row's 1 MiB: this write would pass it.
        store.FailWrite = write => new AccountTooLargeException("cus_1Full", "granted buckets and open holds together");
        var hold = await HoldAsync(app, "cus_1Full", 10, "hold-1");
        store.FailWrite = _ => null;

        Assert.Equal((409, "account-full"), (hold.Status, hold.ProblemType()));
        Assert.Contains("capture or release open holds", hold.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal((100L, 0L), ((await GetAsync(app, "cus_1Full")).Body.GetProperty("available").GetInt64(), (await GetAsync(app, "cus_1Full")).Body.GetProperty("held").GetInt64()));
    }

    [Fact]
    public async Task ARetriedGrantThatNoLongerFits_AnswersItsFirstAnswerNotAccountFull()
    {
        var (app, store) = await AppHost.StartAsync(Now, inner => new HookedStore(inner));
        var credits = app.Credits;
        await using var _ = app;
        var first = await credits.GrantAsync("cus_1Full", new GrantRequest(100, "grant-1", null, "start"));
        Assert.Equal(201, first.Status());

        // The account has filled up since: the retry's draft (the grant again) no longer fits the row.
        store.FailWrite = write => new AccountTooLargeException("cus_1Full", "Grants");
        var again = await credits.GrantAsync("cus_1Full", new GrantRequest(100, "grant-1", null, "start"));
        var other = await credits.GrantAsync("cus_1Full", new GrantRequest(100, "grant-2", null, "start"));

        Assert.Equal((201, first.Value!.LedgerSequence), (again.Status(), again.Value!.LedgerSequence));
        Assert.Equal((409, "account-full"), (other.Status(), other.ProblemType()));
    }

    [Fact]
    public async Task ASpendQueuedBehindTheGrantThatCreatesTheCustomer_IsApplied()
    {
        var (app, store) = await AppHost.StartAsync(Now, inner => new HookedStore(inner));
        var credits = app.Credits;
        await using var _ = app;
        store.HoldFirstRead = true;

        // A spend for a customer nobody has granted anything yet leads (404); a grant and a spend queue behind it and
        // share the next write, the grant first.
        var early = credits.SpendAsync("cus_1New", new SpendRequest(5, "early", null, null));
        await store.Held;
        var grant = credits.GrantAsync("cus_1New", new GrantRequest(100, "grant-1", null, "welcome"));
        var spend = credits.SpendAsync("cus_1New", new SpendRequest(30, "after-grant", null, null));
        store.Release();

        Assert.Equal(404, (await early).Status());
        Assert.Equal(201, (await grant).Status());
        var spent = await spend;
        Assert.Equal((200, 70L), (spent.Status(), spent.Value!.Available));
        Assert.Equal(70, (await credits.ReadAsync("cus_1New")).Value!.Available);
    }
}
