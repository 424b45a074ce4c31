using System.Collections.Concurrent;
using System.Diagnostics;
using Azure;
using Azure.Data.Tables;
using CreditFunctions.Accounts;
using CreditFunctions.Credits;
using CreditFunctions.Resets;
using CreditFunctions.Runs;
using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using CreditFunctions.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Benchmarks;

/// <summary>How much spending each spend-path scenario does.</summary>
internal sealed record SpendSizes(int Customers, int ManySpends, int HotSpenders, int HotSpendsEach, int LoneSpends)
{
    public static readonly SpendSizes Default = new(1_000, 6_000, 32, 40, 400);
    public static readonly SpendSizes Smoke = new(40, 120, 8, 5, 20);
}

/// <summary>
/// The credits API's spend path, the call a SaaS makes on every paid action, measured on the real
/// <see cref="CreditsService"/> (as the spend function calls it) against what the store itself can do:
/// <list type="bullet">
/// <item>many customers: spends spread over <see cref="SpendSizes.Customers"/> customers at the API's concurrency, against the
/// minimal pair a spend needs (read the account, then one conditional transaction of the account, a ledger row and a key
/// row) on the same customers;</item>
/// <item>lone spends: one call at a time over <see cref="LoneCustomers"/> customers, each already known to the instance
/// (steady state), with the account cache on (as the app runs) and off (as before it: a read, then the write);</item>
/// <item>one hot customer: <see cref="SpendSizes.HotSpenders"/> concurrent spenders on one account, against a plain
/// optimistic loop (read, If-Match write, retry at once on 412) and a naive read-modify-write without ETag, whose lost
/// spends are counted.</item>
/// </list>
/// After each of the engine's phases the ledger is checked: it replays to the buckets exactly, and every key was applied once.
/// </summary>
internal sealed class SpendBench(TableServiceClient seeding, TableServiceClient measured, RequestCounter requests, ResetOptions options, SpendSizes sizes)
{
    /// <summary>Concurrent API calls in the many-customers scenario: the reset handler's default parallelism.</summary>
    public const int ApiConcurrency = 32;

    private const long Grant = 1_000_000_000;
    private const int HotAmount = 5;
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Customers the lone spends go round, one call at a time.</summary>
    public const int LoneCustomers = 20;

    /// <param name="engineFirst">The engine before its yardsticks in each scenario (else after): alternated between samples.</param>
    public async Task<(List<SpendRow> Rows, List<string> Failures)> RunAsync(TimeSpan rtt, bool engineFirst, bool quiet = false)
    {
        var rows = new List<SpendRow>();
        var failures = new List<string>();
        var storage = new StorageOptions { ConnectionString = "unused", TablePrefix = "S" + Guid.NewGuid().ToString("N")[..10] };
        var seedService = Service(seeding, storage);
        var engine = Service(measured, storage, cached: true);
        var uncached = Service(measured, storage, cached: false);
        var customers = Enumerable.Range(0, sizes.Customers).Select(i => $"cus_spend{i:D5}").ToList();
        // One hot customer per method, seeded alike, so each is measured and checked on an account only it changed.
        const string Hot = "cus_spendHot";
        const string HotLoop = "cus_spendHotLoop";
        const string HotNaive = "cus_spendHotNaive";
        await Parallel.ForEachAsync(customers.Concat([Hot, HotLoop, HotNaive]), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (customer, ct) =>
            await seedService.Credits.GrantAsync(customer, new GrantRequest(Grant, "seed", null, "benchmark"), ct));
        var table = measured.GetTableClient(storage.CustomersTable);

        // Lone spends, one call at a time, on customers each instance already knows: the cache on, then off (or the reverse).
        // Each engine spends on customers of its own, so neither makes the other's kept copies old.
        var lone = Enumerable.Range(0, sizes.LoneSpends).Select(i => (Customer: customers[i % LoneCustomers], Amount: 1 + (i % 7), Key: $"lone-{i}")).ToList();
        var loneOff = lone.Select(s => (Customer: customers[LoneCustomers + customers.IndexOf(s.Customer)], s.Amount, Key: "u" + s.Key)).ToList();
        foreach (var (warm, by) in customers.Take(LoneCustomers).Select(c => (c, engine)).Concat(customers.Skip(LoneCustomers).Take(LoneCustomers).Select(c => (c, uncached))))
        {
            await by.Credits.SpendAsync(warm, new SpendRequest(1, "warm-" + warm, null, null));
        }

        Func<Task<SpendRow>> loneEngine = async () => Row(rtt, "lone spends", "engine (CreditsService)", await MeasureAsync(lone, 1, async spend =>
            (await engine.Credits.SpendAsync(spend.Customer, new SpendRequest(spend.Amount, spend.Key, null, null))).Refusal is null ? 0 : throw new InvalidOperationException($"{spend.Key} was refused")));
        Func<Task<SpendRow>> loneUncached = async () => Row(rtt, "lone spends", "engine, account cache off (read + write)", await MeasureAsync(loneOff, 1, async spend =>
            (await uncached.Credits.SpendAsync(spend.Customer, new SpendRequest(spend.Amount, spend.Key, null, null))).Refusal is null ? 0 : throw new InvalidOperationException($"{spend.Key} was refused")));
        rows.AddRange(await InOrderAsync(engineFirst, loneEngine, loneUncached));
        List<(string Customer, int Amount, string Key)> loneAll = [.. lone, .. loneOff, .. customers.Take(2 * LoneCustomers).Select(c => (c, 1, "warm-" + c))];
        failures.AddRange(await CheckAsync(engine.Store, loneAll, "lone spends"));

        // Many customers: the engine and the pair on the same keys.
        var plan = Enumerable.Range(0, sizes.ManySpends).Select(i => (Customer: customers[new Random(i).Next(customers.Count)], Amount: 1 + (i % 7), Key: $"many-{i}")).ToList();
        Func<Task<SpendRow>> manyEngine = async () =>
        {
            var many = await MeasureAsync(plan, ApiConcurrency, async spend =>
                (await engine.Credits.SpendAsync(spend.Customer, new SpendRequest(spend.Amount, spend.Key, null, null))).Refusal is null ? 0 : throw new InvalidOperationException($"{spend.Key} was refused"));
            return Row(rtt, "many customers", "engine (CreditsService)", many);
        };
        Func<Task<SpendRow>> manyPair = async () => Row(rtt, "many customers", "minimal read + transaction pair",
            await MeasureAsync(plan, ApiConcurrency, spend => PairAsync(table, spend.Customer, spend.Key)));
        rows.AddRange(await InOrderAsync(engineFirst, manyEngine, manyPair));
        failures.AddRange(await RedeliverAsync(engine, plan.Where((_, i) => i % 20 == 0).ToList(), "many customers"));
        failures.AddRange(await CheckAsync(engine.Store, [.. plan, .. loneAll], "many customers"));

        // The same units of work as a hold (a little more than they cost) and a capture of what they cost: two writes.
        var held = await MeasureAsync(plan, ApiConcurrency, async spend =>
        {
            var hold = await engine.Credits.HoldAsync(spend.Customer, new HoldRequest(spend.Amount + 5, "h" + spend.Key, HoldRequest.DefaultExpiresIn, null, null));
            var holdId = hold.Value?.Hold?.HoldId ?? throw new InvalidOperationException($"{spend.Key}'s hold was refused: {hold.Refusal}");
            var capture = await engine.Credits.CaptureAsync(spend.Customer, new CaptureRequest(holdId, spend.Amount, "c" + spend.Key, null, null));
            return capture.Refusal is null ? 0 : throw new InvalidOperationException($"{spend.Key}'s capture was refused: {capture.Refusal}");
        });
        rows.Add(Row(rtt, "many customers", "engine, hold + capture", held));
        failures.AddRange(await CheckHoldsAsync(engine.Store, plan));

        // One hot customer: the engine, a plain optimistic loop, a naive read-modify-write.
        // One amount for every hot spend, so the credits a lost spend leaves behind count the lost spends exactly.
        var hot = Enumerable.Range(0, sizes.HotSpenders * sizes.HotSpendsEach).Select(i => (Customer: Hot, Amount: HotAmount, Key: $"hot-{i}")).ToList();
        var spent = hot.Sum(s => s.Amount);
        Func<Task<SpendRow>> hotEngine = async () =>
        {
            var before = await BalanceAsync(table, Hot);
            var measured = await MeasureAsync(hot, sizes.HotSpenders, async spend =>
                (await engine.Credits.SpendAsync(Hot, new SpendRequest(spend.Amount, spend.Key, null, null))).Refusal is null ? 0 : throw new InvalidOperationException($"{spend.Key} was refused"));
            var after = await BalanceAsync(table, Hot);
            if (before - after != spent)
            {
                failures.Add($"spend path, {RoundTrip.Label(rtt)}: the engine took {before - after} credits for {spent} spent");
            }

            failures.AddRange(await RedeliverAsync(engine, hot.Where((_, i) => i % 20 == 0).ToList(), "one hot customer"));
            if (await BalanceAsync(table, Hot) != after)
            {
                failures.Add($"spend path, {RoundTrip.Label(rtt)}: spends sent again changed the hot customer's balance");
            }

            return Row(rtt, "one hot customer", "engine (CreditsService)", measured, Lost(hot, before, after));
        };
        Func<Task<SpendRow>> hotLoop = async () =>
        {
            var before = await BalanceAsync(table, HotLoop);
            var optimistic = await MeasureAsync(hot, sizes.HotSpenders, spend => OptimisticSpendAsync(table, HotLoop, spend.Amount, "loop-" + spend.Key, conditional: true));
            var after = await BalanceAsync(table, HotLoop);
            if (before - after != spent)
            {
                failures.Add($"spend path, {RoundTrip.Label(rtt)}: the optimistic loop took {before - after} credits for {spent} spent");
            }

            return Row(rtt, "one hot customer", "plain optimistic loop", optimistic, Lost(hot, before, after));
        };
        Func<Task<SpendRow>> hotNaive = async () =>
        {
            var before = await BalanceAsync(table, HotNaive);
            var naive = await MeasureAsync(hot, sizes.HotSpenders, spend => OptimisticSpendAsync(table, HotNaive, spend.Amount, "naive-" + spend.Key, conditional: false));
            return Row(rtt, "one hot customer", "naive read-modify-write (no ETag)", naive, Lost(hot, before, await BalanceAsync(table, HotNaive)));
        };

        // The engine first (then the loop, then the naive one), or last.
        SpendRow[] hotRows = engineFirst
            ? [await hotEngine(), await hotLoop(), await hotNaive()]
            : [await hotLoop(), await hotNaive(), await hotEngine()];
        rows.AddRange(hotRows.OrderBy(r => r.Method.StartsWith("engine", StringComparison.Ordinal) ? 0 : r.Method.StartsWith("plain", StringComparison.Ordinal) ? 1 : 2));
        failures.AddRange(await CheckAsync(engine.Store, hot, "one hot customer"));

        foreach (var name in storage.AllTables)
        {
            await seeding.DeleteTableAsync(name);
        }
        foreach (var row in rows.Where(_ => !quiet))
        {
            Console.WriteLine("   " + row.ToConsole());
        }

        return (rows, failures);

        SpendRow Row(TimeSpan roundTrip, string scenario, string method, Measurement m, int lost = 0) =>
            new(roundTrip, scenario, method, m.Count, m.Elapsed, m.Percentile(0.50), m.Percentile(0.99), m.Requests, m.Retries, lost);
    }

    /// <param name="cached">Whether the instance keeps the accounts it last read or wrote, as the app does by default.</param>
    private (CreditsService Credits, ICreditStore Store) Service(TableServiceClient client, StorageOptions storage, bool cached = false)
    {
        var store = new TableCreditStore(client, Options.Create(storage));
        var metrics = new CreditMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var cache = cached ? new AccountCache(Options.Create(new StorageOptions())) : null;
        return (new CreditsService(new AccountRepository(store, metrics, Options.Create(options), cache: cache), store, new FixedClock(Now)), store);
    }

    /// <summary>The engine's measurement and its yardstick's, run in the order given; answered engine first.</summary>
    private static async Task<SpendRow[]> InOrderAsync(bool engineFirst, Func<Task<SpendRow>> engine, Func<Task<SpendRow>> yardstick)
    {
        if (engineFirst)
        {
            var first = await engine();
            return [first, await yardstick()];
        }

        var other = await yardstick();
        return [await engine(), other];
    }

    /// <summary>Runs every spend at the given concurrency, timing each; the work answers how many times it retried.</summary>
    private async Task<Measurement> MeasureAsync(
        List<(string Customer, int Amount, string Key)> spends, int concurrency, Func<(string Customer, int Amount, string Key), Task<int>> spend)
    {
        var latencies = new ConcurrentBag<double>();
        var retries = 0;
        var next = -1;
        var before = requests.Count;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < spends.Count)
            {
                var started = Stopwatch.GetTimestamp();
                Interlocked.Add(ref retries, await spend(spends[i]));
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })));
        return new Measurement(spends.Count, watch.Elapsed, [.. latencies.Order()], requests.Count - before, retries);
    }

    /// <summary>The least a spend costs with its guarantees: read the account, write it back with If-Match with a ledger row and a key row.</summary>
    private static async Task<int> PairAsync(TableClient table, string customer, string key)
    {
        for (var attempt = 0; ; attempt++)
        {
            var account = (await table.GetEntityAsync<TableEntity>(customer, Keys.AccountRow(customer))).Value;
            account["Version"] = (account.GetInt64("Version") ?? 0) + 1;
            try
            {
                await table.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.UpdateMerge, account, account.ETag),
                    new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(customer, "pair-ledger-" + key) { ["Amount"] = -1L }),
                    new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(customer, "pair-key-" + key) { ["Status"] = 200 }),
                ]);
                return attempt;
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 412)
            {
                // Another pair on the same customer got there first: read again.
            }
        }
    }

    /// <summary>
    /// A spend as a team writes it without this app: read the account, take the credits, write it back with a ledger row
    /// and a key row; with If-Match and an immediate retry on 412 (<paramref name="conditional"/>), or blindly.
    /// </summary>
    private static async Task<int> OptimisticSpendAsync(TableClient table, string customer, int amount, string key, bool conditional)
    {
        for (var attempt = 0; ; attempt++)
        {
            var row = (await table.GetEntityAsync<TableEntity>(customer, Keys.AccountRow(customer))).Value;
            var account = AccountRow.FromEntity(row);
            var taken = Buckets.Take(account.State, amount, Now, ResetPolicy.DefaultRenewalGrace)
                ?? throw new InvalidOperationException($"{customer} ran out of credits");
            var written = AccountRow.ToEntity(new AccountWrite(taken.Account, new AccountChanges(), account.Version + 1, account.ConcurrencyToken, account.Due));
            try
            {
                await table.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.UpdateMerge, written, conditional ? row.ETag : ETag.All),
                    new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(customer, "loop-ledger-" + key) { ["Amount"] = (long)-amount }),
                    new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(customer, "loop-key-" + key) { ["Status"] = 200 }),
                ]);
                return attempt;
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 412 && conditional)
            {
                // Another spender wrote first: read again and take again.
            }
        }
    }

    private static async Task<long> BalanceAsync(TableClient table, string customer) =>
        Buckets.Available(AccountRow.FromEntity((await table.GetEntityAsync<TableEntity>(customer, Keys.AccountRow(customer))).Value).State, Now, ResetPolicy.DefaultRenewalGrace);

    /// <summary>Spends whose credits were not taken although each was written: the balance fell by less than they spent.</summary>
    private static int Lost(IReadOnlyList<(string Customer, int Amount, string Key)> spends, long before, long after) =>
        (int)((spends.Sum(s => s.Amount) - (before - after)) / HotAmount);

    /// <summary>
    /// Sends some spends again with their keys, all at once (a client retrying after a lost answer): each must be answered
    /// 200 with its first receipt; <see cref="CheckAsync"/> then proves none was applied twice. Not timed.
    /// </summary>
    private static async Task<List<string>> RedeliverAsync(
        (CreditsService Credits, ICreditStore Store) engine, IReadOnlyList<(string Customer, int Amount, string Key)> spends, string scenario)
    {
        var answers = await Task.WhenAll(spends.Select(spend => engine.Credits.SpendAsync(spend.Customer, new SpendRequest(spend.Amount, spend.Key, null, null))));
        return [.. answers.Zip(spends).Where(a => a.First.Refusal is not null || a.First.Value?.IdempotencyKey != a.Second.Key)
            .Select(a => $"{scenario}: key {a.Second.Key} sent again was answered {a.First.Refusal?.ToString() ?? "with another receipt"}")];
    }

    /// <summary>The ledger replays to the buckets exactly, and every key was applied once, by one spend of its amount.</summary>
    internal static async Task<List<string>> CheckAsync(ICreditStore store, IReadOnlyList<(string Customer, int Amount, string Key)> spends, string scenario)
    {
        var failures = new List<string>();
        foreach (var customer in spends.GroupBy(s => s.Customer))
        {
            var account = (await store.GetAccountAsync(customer.Key))?.State;
            var ledger = await LedgerAsync(store, customer.Key);

            var sequences = ledger.Select(e => e.Sequence).Order().ToList();
            if (account is null || !sequences.SequenceEqual(Enumerable.Range(1, ledger.Count).Select(i => (long)i)) || account.LedgerSequence != ledger.Count)
            {
                failures.Add($"{scenario}: the ledger of {customer.Key} is not numbered 1..n ({ledger.Count} entries, account at {account?.LedgerSequence})");
                continue;
            }

            var replayed = ledger.SelectMany(e => e.Parts).GroupBy(p => p.BucketId).ToDictionary(g => g.Key, g => g.Sum(p => p.Amount));
            foreach (var grant in account.Grants)
            {
                if (replayed.GetValueOrDefault(grant.Id) != grant.Remaining)
                {
                    failures.Add($"{scenario}: the ledger of {customer.Key} replays {grant.Id} to {replayed.GetValueOrDefault(grant.Id)}, the account holds {grant.Remaining}");
                }
            }

            var applied = ledger.Where(e => e.Kind == LedgerKind.Spend).ToLookup(e => e.IdempotencyKey!);
            foreach (var spend in customer)
            {
                var entries = applied[spend.Key].ToList();
                if (entries.Count != 1 || entries[0].Amount != -spend.Amount)
                {
                    failures.Add($"{scenario}: key {spend.Key} of {customer.Key} was applied {entries.Count} times ({string.Join(", ", entries.Select(e => e.Amount))})");
                }
            }

            if (applied.Sum(g => g.Count()) != customer.Count())
            {
                failures.Add($"{scenario}: {customer.Key} has {applied.Sum(g => g.Count())} spends in its ledger for {customer.Count()} made");
            }
        }

        return failures;
    }

    /// <summary>After the hold + capture phase: no hold left open, one capture per unit of work of its amount, the ledger replays.</summary>
    private static async Task<List<string>> CheckHoldsAsync(ICreditStore store, IReadOnlyList<(string Customer, int Amount, string Key)> units)
    {
        var failures = new List<string>();
        foreach (var customer in units.GroupBy(u => u.Customer))
        {
            var account = (await store.GetAccountAsync(customer.Key))!.State;
            var ledger = await LedgerAsync(store, customer.Key);

            var replayed = ledger.SelectMany(e => e.Parts).GroupBy(p => p.BucketId).ToDictionary(g => g.Key, g => g.Sum(p => p.Amount));
            var captures = ledger.Where(e => e.Kind == LedgerKind.Capture).ToDictionary(e => e.IdempotencyKey!, StringComparer.Ordinal);
            if (account.Holds.Count > 0 || account.Grants.Any(g => replayed.GetValueOrDefault(g.Id) != g.Remaining)
                || customer.Any(u => !captures.ContainsKey("c" + u.Key)) || captures.Count != customer.Count())
            {
                failures.Add($"hold + capture: {customer.Key} has {account.Holds.Count} open holds and {captures.Count} captures for {customer.Count()} units, or a ledger that does not replay");
            }
        }

        return failures;
    }

    /// <summary>Every ledger entry of the customer, newest first, page by page.</summary>
    private static async Task<List<LedgerEntry>> LedgerAsync(ICreditStore store, string customerId)
    {
        var ledger = new List<LedgerEntry>();
        long? below = null;
        while (true)
        {
            var page = await store.GetLedgerAsync(customerId, 100, below);
            ledger.AddRange(page);
            if (page.Count < 100)
            {
                return ledger;
            }

            below = page[^1].Sequence;
        }
    }

    /// <summary>The <paramref name="p"/> quantile of sorted values (nearest rank); 0 for none.</summary>
    internal static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private sealed record Measurement(int Count, TimeSpan Elapsed, double[] LatenciesMs, long Requests, int Retries)
    {
        public double Percentile(double p) => SpendBench.Percentile(LatenciesMs, p);
    }
}
