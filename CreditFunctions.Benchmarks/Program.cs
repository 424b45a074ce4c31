using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Reflection;
using Azure;
using Azure.Data.Tables;
using CreditFunctions.Accounts;
using CreditFunctions.Benchmarks;
using CreditFunctions.Resets;
using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using CreditFunctions.Telemetry;
using CreditFunctions.Tests.Azurite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

// The daily run's benchmark: the real reset handler against a naive cron and the store's own write limit, on one
// Azurite started here on 127.0.0.1. Usage:
//   dotnet run -c Release --project CreditFunctions.Benchmarks [-- --sizes 10000:3000,300000:30000] [--smoke] [--out FILE]
var arguments = BenchmarkArguments.Parse(args);
var root = typeof(DataSet).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;
var connection = Environment.GetEnvironmentVariable("CREDITFUNCTIONS_TEST_STORAGE");
AzuriteProcess? azurite = null;
if (string.IsNullOrWhiteSpace(connection))
{
    azurite = await AzuriteProcess.StartAsync(root);
    connection = azurite.ConnectionString;
}

var requests = new RequestCounter();
var clientOptions = new TableClientOptions();
clientOptions.AddPolicy(requests, Azure.Core.HttpPipelinePosition.PerRetry);
var service = new TableServiceClient(connection, clientOptions);
var options = new ResetOptions();
var rows = new List<ResultRow>();
var failures = new List<string>();
const int SeedParallelism = 64;
try
{
    // Scenarios with the same N share one seeded table: between runs only the rows that differ are rewritten, so the
    // engine and the baseline always start from the identical data set without seeding N rows twice.
    foreach (var group in arguments.Sizes.GroupBy(s => s.Total).OrderBy(g => g.Key))
    {
        var storage = new StorageOptions { ConnectionString = connection, TablePrefix = "B" + Guid.NewGuid().ToString("N")[..10] };
        // One customer per subscription: the account rows and their records live in the customers table.
        var subscriptions = service.GetTableClient(storage.CustomersTable);
        await subscriptions.CreateIfNotExistsAsync();
        var seed = Stopwatch.StartNew();
        await new DataSet(group.Key, 0).WriteSubscriptionsAsync(subscriptions, 0, group.Key, SeedParallelism);
        Console.WriteLine($"== N = {group.Key:N0}: seeded in {seed.Elapsed.TotalSeconds:F1} s");
        var previousDue = 0;
        foreach (var (total, due) in group.OrderBy(s => s.Due))
        {
            var data = new DataSet(total, due);
            Console.WriteLine($"== N = {total:N0}, D = {due:N0}");

            // 1. The data set: rows that were due before or are due now, as defined now; a fresh index.
            seed.Restart();
            await data.WriteSubscriptionsAsync(subscriptions, 0, Math.Max(previousDue, due), SeedParallelism);
            await data.WriteIndexAsync(service, storage.DueTable, SeedParallelism);
            previousDue = due;
            Progress("prepared", seed.Elapsed);

            // 2. The engine: the real handler, as the timer calls it.
            var store = new TimedStore(new TableCreditStore(service, Options.Create(storage)));
            var clock = new FixedClock(DataSet.RunAt);
            var index = new DueIndex(store, Options.Create(options));
            var metrics = new CreditMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());
            var resetter = new SubscriptionResetter(new AccountWriter(store, index, clock, metrics, Options.Create(options)), store, NullLogger<SubscriptionResetter>.Instance);
            var handler = new CreditResetHandler(store, index, resetter, new NoReconciliation(), clock, metrics, Options.Create(options), NullLogger<CreditResetHandler>.Instance);
            ResetRunSummary summary;
            long engineRequests;
            var sampler = await MemorySampler.StartAsync();
            var cpu = new CpuMeter(azurite);
            var watch = Stopwatch.StartNew();
            try
            {
                (var result, engineRequests) = await requests.MeasureAsync(() => handler.RunAsync(new ResetRequest(ResetTrigger.Timer)));
                watch.Stop();
                summary = result.Summary!;
            }
            finally
            {
                await sampler.DisposeAsync();
            }

            var engineTime = watch.Elapsed;
            var memory = new EngineMemory(sampler.PeakBytes, sampler.PeakLiveBytes, sampler.BaselineBytes);
            var profile = new EngineProfile(store.ReadingIndex, store.WritingNextEntries, store.RemovingHandledEntries, cpu.StoreShare(engineTime), cpu.ClientShare(engineTime));
            Progress(string.Create(CultureInfo.InvariantCulture,
                $"engine ({summary.Counts.Reset:N0} reset, {engineRequests:N0} requests, {memory.ToConsole()}, {sampler.FullCollections} full GCs; {profile.ToConsole()})"),
                engineTime);

            failures.AddRange(await Check.EngineAsync(subscriptions, data, summary));

            // 3. The naive cron over the identical data set: the engine's writes undone first.
            seed.Restart();
            await data.WriteSubscriptionsAsync(subscriptions, 0, due, SeedParallelism);
            await DataSet.DeleteRecordsAsync(subscriptions, SeedParallelism);
            Progress("restored", seed.Elapsed);
            watch.Restart();
            var ((naiveReset, naiveRowsRead), naiveRequests) = await requests.MeasureAsync(() => NaiveCronReset.RunAsync(subscriptions, DataSet.RunAt));
            var naiveTime = watch.Elapsed;
            Progress("naive", naiveTime);
            failures.AddRange(await Check.NaiveAsync(subscriptions, data, naiveReset));

            // 4. The store's limit: D conditional single-entity writes at the engine's concurrency, no logic; and the
            //    same for the least work a reset needs (read, then one conditional two-row transaction).
            var limitTime = await StoreLimit.ConditionalWritesAsync(subscriptions, data, options.MaxParallelism);
            Progress("store limit", limitTime);
            var protocolTime = await StoreLimit.ReadAndCommitAsync(subscriptions, data, options.MaxParallelism);
            Progress("read+commit", protocolTime);

            rows.Add(new ResultRow(total, due, engineTime, naiveTime, limitTime, protocolTime, memory, profile, engineRequests, naiveRequests, naiveRowsRead));
            Console.WriteLine("   " + rows[^1].ToConsole());
        }

        await service.DeleteTableAsync(storage.CustomersTable);
        await service.DeleteTableAsync(storage.SubscriptionsTable);
        await service.DeleteTableAsync(storage.DueTable);
        await service.DeleteTableAsync(storage.RunsTable);
    }
}
finally
{
    if (azurite is not null)
    {
        await azurite.DisposeAsync();
    }
}

var table = ResultRow.Markdown(rows, arguments.Smoke);
Console.WriteLine();
Console.WriteLine(table);
if (arguments.Out is { } outPath)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
    await File.WriteAllTextAsync(outPath, table);
    Console.WriteLine($"written to {outPath}");
}

foreach (var failure in failures)
{
    Console.Error.WriteLine("CORRECTNESS FAILURE: " + failure);
}

return failures.Count == 0 ? 0 : 1;

static void Progress(string phase, TimeSpan elapsed) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {phase}: {elapsed.TotalSeconds:F1} s (at {DateTimeOffset.UtcNow:HH:mm:ss} UTC)"));

internal sealed record BenchmarkArguments(IReadOnlyList<(int Total, int Due)> Sizes, bool Smoke, string? Out)
{
    public static BenchmarkArguments Parse(string[] args)
    {
        IReadOnlyList<(int, int)> sizes = [(10_000, 3_000), (100_000, 3_000), (300_000, 3_000), (300_000, 30_000)];
        var smoke = false;
        string? output = Path.Combine("BenchmarkResults", "latest.md");
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--smoke":
                    smoke = true;
                    sizes = [(400, 120)];
                    output = null;
                    break;
                case "--sizes" when i + 1 < args.Length:
                    sizes = [.. args[++i].Split(',').Select(pair => pair.Split(':')).Select(p => (Parse(p[0]), Parse(p[1])))];
                    break;
                case "--out" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'. Use --sizes N:D[,N:D...], --smoke, --out FILE.");
            }
        }

        if (sizes.Any(s => s.Item2 > s.Item1 || s.Item2 < 1))
        {
            throw new ArgumentException("Each size needs 1 <= D <= N.");
        }

        return new BenchmarkArguments(sizes, smoke, output);
    }

    private static int Parse(string value) => int.Parse(value.Replace("_", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
}

/// <summary>Business time fixed at the run instant; durations (timestamps) stay real.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

internal sealed class NoReconciliation : IRenewalReconciler
{
    public Task<CreditFunctions.Subscriptions.Subscription?> ReconcileAsync(CreditFunctions.Subscriptions.Subscription stale, CancellationToken cancellationToken = default) =>
        Task.FromResult<CreditFunctions.Subscriptions.Subscription?>(null);
}
