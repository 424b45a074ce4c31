using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Reflection;
using Azure;
using Azure.Data.Tables;
using CreditFunctions.Accounts;
using CreditFunctions.Benchmarks;
using CreditFunctions.Resets;
using CreditFunctions.Runs;
using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using CreditFunctions.Telemetry;
using CreditFunctions.Tests.Azurite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

// The benchmark: the daily run's real reset handler against a naive cron and the store's own limits, and the credits
// API's spend path against the minimal request pair and a plain optimistic loop, on one Azurite started here on
// 127.0.0.1, with no round trip and with a realistic one in front of every request. Usage:
//   dotnet run -c Release --project CreditFunctions.Benchmarks [-- --sizes 10000:3000,300000:30000] [--rtt 0,5ms] [--parts daily,spend,events] [--samples 3] [--smoke] [--out FILE]
// Every cell is the median of --samples samples (3 by default, 1 for --smoke), shown with their min–max.
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
var seeding = new TableServiceClient(connection);
var delays = arguments.RoundTrips.Where(r => r > TimeSpan.Zero).Distinct().ToDictionary(r => r, r => new RoundTrip(r));
var options = new ResetOptions();
var rows = new List<Sampled<ResultRow>>();
var spendRows = new List<SpendRow>();
var eventsRows = new List<EventsRow>();
var memories = new Dictionary<(int Total, int Due), EngineMemory>();
var failures = new List<string>();
const int SeedParallelism = 64;
var started = Stopwatch.StartNew();
try
{
    // A warm-up nobody reads: the first run of any code path pays for its JIT, which would otherwise land on whichever
    // side of a comparison happens to go first.
    if (!arguments.Smoke && (arguments.Parts.Contains("daily") || arguments.Parts.Contains("spend")))
    {
        await WarmUpAsync();
    }

    // Scenarios with the same N share one seeded table: between runs only the rows that differ are rewritten, so the
    // engine and the baselines always start from the identical data set without seeding N rows twice; each is run at
    // every round trip in turn.
    foreach (var group in arguments.Sizes.Where(_ => arguments.Parts.Contains("daily")).GroupBy(s => s.Total).OrderBy(g => g.Key))
    {
        var storage = new StorageOptions { ConnectionString = connection, TablePrefix = "B" + Guid.NewGuid().ToString("N")[..10] };
        // One customer per subscription: the account rows and their records live in the customers table.
        var seedCustomers = seeding.GetTableClient(storage.CustomersTable);
        await seedCustomers.CreateIfNotExistsAsync();
        var seed = Stopwatch.StartNew();
        await new DataSet(group.Key, 0).WriteSubscriptionsAsync(seedCustomers, 0, group.Key, SeedParallelism);
        Console.WriteLine($"== N = {group.Key:N0}: seeded in {seed.Elapsed.TotalSeconds:F1} s");
        var previousDue = 0;
        foreach (var (total, due) in group.OrderBy(s => s.Due))
        {
            foreach (var rtt in arguments.RoundTrips)
            {
                var data = new DataSet(total, due);
                Console.WriteLine($"== N = {total:N0}, D = {due:N0}, round trip {RoundTrip.Label(rtt)}, {arguments.Samples} samples");
                var service = Measured(rtt);
                var customers = service.GetTableClient(storage.CustomersTable);

                // The data set: rows that were due before or are due now, as defined now.
                seed.Restart();
                await data.WriteSubscriptionsAsync(seedCustomers, 0, Math.Max(previousDue, due), SeedParallelism);
                previousDue = due;
                Progress("prepared", seed.Elapsed);

                // Its memory, once per data set: an engine run under the sampler, kept out of the timed samples, because
                // the sampler's forced collections cost the process a large share of a core.
                if (!memories.ContainsKey((total, due)))
                {
                    await RestoreAsync(data, storage, withIndex: true);
                    var sampled = await EngineAsync(service, storage, sampleMemory: true);
                    var memory = memories[(total, due)] = sampled.Memory!;
                    Progress($"memory run ({memory.ToConsole()}, {sampled.FullCollections} full GCs)", sampled.Time);
                    failures.AddRange(await Check.EngineAsync(seedCustomers, data, sampled.Summary));
                }

                // The samples: the engine and its yardsticks on the identical data set, in alternating order (engine
                // first in odd samples, last in even ones), so neither side always runs on a warmer or a fuller store.
                var samples = new List<ResultRow>();
                for (var sample = 1; sample <= arguments.Samples; sample++)
                {
                    var engineFirst = sample % 2 == 1;
                    Console.WriteLine($"   sample {sample}: {(engineFirst ? "engine first" : "yardsticks first")}");
                    EngineRun engine;
                    Yardsticks yardsticks;
                    if (engineFirst)
                    {
                        engine = await EngineSampleAsync(service, storage, data);
                        yardsticks = await YardsticksAsync(customers, storage, data);
                    }
                    else
                    {
                        yardsticks = await YardsticksAsync(customers, storage, data);
                        engine = await EngineSampleAsync(service, storage, data);
                    }

                    samples.Add(new ResultRow(rtt, total, due, engine.Time, yardsticks.Naive, yardsticks.StoreLimit, yardsticks.ReadAndCommit, memories[(total, due)],
                        engine.Profile, engine.Requests, yardsticks.NaiveRequests, yardsticks.NaiveRowsRead));
                    Console.WriteLine("   " + samples[^1].ToConsole());
                }

                rows.Add(new Sampled<ResultRow>(samples));
            }
        }

        foreach (var name in storage.AllTables)
        {
            await seeding.DeleteTableAsync(name);
        }
    }

    // The spend path, the call a SaaS makes on every paid action: lone spends, many customers, and one hot customer; the
    // engine and its yardsticks in alternating order, sample by sample.
    for (var sample = 1; sample <= arguments.Samples && arguments.Parts.Contains("spend"); sample++)
    {
        foreach (var rtt in arguments.RoundTrips)
        {
            var engineFirst = sample % 2 == 1;
            Console.WriteLine($"== spend path, round trip {RoundTrip.Label(rtt)}, sample {sample}: {(engineFirst ? "engine first" : "yardsticks first")}");
            var bench = new SpendBench(seeding, Measured(rtt), requests, options, arguments.Spends);
            var (rowsAtRtt, problems) = await bench.RunAsync(rtt, engineFirst: engineFirst);
            spendRows.AddRange(rowsAtRtt.Select(r => r with { Sample = sample }));
            failures.AddRange(problems);
        }
    }

    // The spend path with events on against off, with the delivery running beside it.
    for (var sample = 1; sample <= arguments.Samples && arguments.Parts.Contains("events"); sample++)
    {
        foreach (var rtt in arguments.RoundTrips)
        {
            Console.WriteLine($"== events, round trip {RoundTrip.Label(rtt)}, sample {sample}: {(sample % 2 == 1 ? "off first" : "on first")}");
            var (row, problems) = await new EventsBench(seeding, counter => Measured(rtt, counter), counter => MeasuredQueues(rtt, counter), options, arguments.Spends)
                .RunAsync(rtt, offFirst: sample % 2 == 1);
            eventsRows.Add(row);
            failures.AddRange(problems);
        }
    }
}
finally
{
    if (azurite is not null)
    {
        await azurite.DisposeAsync();
    }

    foreach (var delay in delays.Values)
    {
        delay.Dispose();
    }
}

var command = "dotnet run -c Release --project CreditFunctions.Benchmarks" + (args.Length > 0 ? " -- " + string.Join(' ', args) : "");
var table = Report.Markdown(rows, spendRows, eventsRows, arguments.Smoke, command, started.Elapsed, delays.Values.ToDictionary(d => d.Delay, d => d.MeanWaited), arguments.Samples)
    + (failures.Count == 0
        ? "Checks passed: every run reset exactly the D due subscriptions, each once, and touched no other account; every spend phase's ledger replays to its buckets, each key was applied once, and spends sent again were answered with their first receipt; every event written was delivered and no outbox row was left.\n"
        : "CHECKS FAILED, these figures are not valid:\n" + string.Concat(failures.Select(f => "- " + f + "\n")));
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

async Task WarmUpAsync()
{
    var watch = Stopwatch.StartNew();
    foreach (var rtt in arguments.RoundTrips)
    {
        var storage = new StorageOptions { ConnectionString = connection, TablePrefix = "W" + Guid.NewGuid().ToString("N")[..10] };
        var customers = seeding.GetTableClient(storage.CustomersTable);
        await customers.CreateIfNotExistsAsync();
        var data = new DataSet(400, 120);
        await data.WriteSubscriptionsAsync(customers, 0, data.Total, SeedParallelism);
        await data.WriteIndexAsync(seeding, storage, SeedParallelism);
        var service = Measured(rtt);
        await EngineAsync(service, storage, sampleMemory: false);
        await data.WriteSubscriptionsAsync(customers, 0, data.Due, SeedParallelism);
        await DataSet.DeleteRecordsAsync(customers, SeedParallelism);
        await NaiveCronReset.RunAsync(service.GetTableClient(storage.CustomersTable), DataSet.RunAt);
        await StoreLimit.ConditionalWritesAsync(service.GetTableClient(storage.CustomersTable), data, options.MaxParallelism);
        await StoreLimit.ReadAndCommitAsync(service.GetTableClient(storage.CustomersTable), data, options.MaxParallelism);
        await new SpendBench(seeding, service, requests, options, SpendSizes.Smoke).RunAsync(rtt, engineFirst: true, quiet: true);
        foreach (var name in storage.AllTables)
        {
            await seeding.DeleteTableAsync(name);
        }
    }

    Progress("warm-up", watch.Elapsed);
}

// The data set as it was before any run: the due subscriptions as seeded, no reset records or ledger rows, and (for the
// engine) a fresh due index.
async Task RestoreAsync(DataSet data, StorageOptions storage, bool withIndex)
{
    var watch = Stopwatch.StartNew();
    var customers = seeding.GetTableClient(storage.CustomersTable);
    await data.WriteSubscriptionsAsync(customers, 0, data.Due, SeedParallelism);
    await DataSet.DeleteRecordsAsync(customers, SeedParallelism);
    if (withIndex)
    {
        await data.WriteIndexAsync(seeding, storage, SeedParallelism);
    }

    Progress("restored", watch.Elapsed);
}

// One timed engine sample on the restored data set, checked.
async Task<EngineRun> EngineSampleAsync(TableServiceClient service, StorageOptions storage, DataSet data)
{
    await RestoreAsync(data, storage, withIndex: true);
    var engine = await EngineAsync(service, storage, sampleMemory: false);
    Progress(string.Create(CultureInfo.InvariantCulture,
        $"engine ({engine.Summary.Counts.Reset:N0} reset, {engine.Requests:N0} requests; {engine.Profile.ToConsole()})"), engine.Time);
    failures.AddRange(await Check.EngineAsync(seeding.GetTableClient(storage.CustomersTable), data, engine.Summary));
    return engine;
}

// The yardsticks on the restored data set: the naive cron (checked), the store's conditional-write limit and the
// read+commit pair a reset needs at least.
async Task<Yardsticks> YardsticksAsync(TableClient customers, StorageOptions storage, DataSet data)
{
    await RestoreAsync(data, storage, withIndex: false);
    var watch = Stopwatch.StartNew();
    var ((naiveReset, naiveRowsRead), naiveRequests) = await requests.MeasureAsync(() => NaiveCronReset.RunAsync(customers, DataSet.RunAt));
    var naiveTime = watch.Elapsed;
    Progress("naive", naiveTime);
    failures.AddRange(await Check.NaiveAsync(seeding.GetTableClient(storage.CustomersTable), data, naiveReset));
    var limitTime = await StoreLimit.ConditionalWritesAsync(customers, data, options.MaxParallelism);
    Progress("store limit", limitTime);
    var protocolTime = await StoreLimit.ReadAndCommitAsync(customers, data, options.MaxParallelism);
    Progress("read+commit", protocolTime);
    return new Yardsticks(naiveTime, naiveRequests, naiveRowsRead, limitTime, protocolTime);
}

// One engine run, the real handler as the timer calls it, over the data set as prepared.
async Task<EngineRun> EngineAsync(TableServiceClient service, StorageOptions storage, bool sampleMemory)
{
    var store = new TimedStore(new TableCreditStore(service, Options.Create(storage)));
    var clock = new FixedClock(DataSet.RunAt);
    var metrics = new CreditMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());
    var accounts = new AccountRepository(store, metrics, Options.Create(options));
    var handler = new CreditResetHandler(store, accounts, new NoReconciliation(), clock, metrics, Options.Create(options), NullLogger<CreditResetHandler>.Instance);
    var sampler = sampleMemory ? await MemorySampler.StartAsync() : null;
    var cpu = new CpuMeter(azurite);
    var watch = Stopwatch.StartNew();
    ResetRunResult result;
    long sent;
    try
    {
        (result, sent) = await requests.MeasureAsync(() => handler.RunAsync(new ResetRequest(ResetTrigger.Timer)));
        watch.Stop();
    }
    finally
    {
        if (sampler is not null)
        {
            await sampler.DisposeAsync();
        }
    }

    var profile = new EngineProfile(store.ReadingIndex, store.WritingNextEntries, store.RemovingHandledEntries, store.ReadingAccounts, store.Committing, cpu.StoreShare(watch.Elapsed), cpu.ClientShare(watch.Elapsed));
    var memory = sampler is null ? null : new EngineMemory(sampler.PeakBytes, sampler.PeakLiveBytes, sampler.BaselineBytes);
    return new EngineRun(result.Summary!, sent, watch.Elapsed, profile, memory, sampler?.FullCollections ?? 0);
}

// The clients whose requests are measured: counted, and behind the round trip when there is one. They sign with an
// account SAS made once, not the account key: a key signs every request anew (an HMAC per request, and a finalizer
// for each), which took a large share of the client's CPU, and the app in Azure presents a cached token instead.
TableServiceClient Measured(TimeSpan rtt, RequestCounter? counter = null)
{
    var clientOptions = new TableClientOptions();
    clientOptions.AddPolicy(counter ?? requests, Azure.Core.HttpPipelinePosition.PerRetry);
    if (delays.TryGetValue(rtt, out var delay))
    {
        clientOptions.AddPolicy(delay, Azure.Core.HttpPipelinePosition.PerRetry);
    }

    var sas = seeding.GenerateSasUri(
        Azure.Data.Tables.Sas.TableAccountSasPermissions.All, Azure.Data.Tables.Sas.TableAccountSasResourceTypes.All, DateTimeOffset.UtcNow.AddDays(2));
    return new TableServiceClient(new Uri(sas.GetLeftPart(UriPartial.Path)), new AzureSasCredential(sas.Query), clientOptions);
}

// The events queue as the app reaches it, measured the same way (an account SAS, counted, behind the round trip).
Azure.Storage.Queues.QueueServiceClient MeasuredQueues(TimeSpan rtt, RequestCounter counter)
{
    var clientOptions = new Azure.Storage.Queues.QueueClientOptions { MessageEncoding = Azure.Storage.Queues.QueueMessageEncoding.Base64 };
    clientOptions.AddPolicy(counter, Azure.Core.HttpPipelinePosition.PerRetry);
    if (delays.TryGetValue(rtt, out var delay))
    {
        clientOptions.AddPolicy(delay, Azure.Core.HttpPipelinePosition.PerRetry);
    }

    var sas = new Azure.Storage.Queues.QueueServiceClient(connection).GenerateAccountSasUri(
        Azure.Storage.Sas.AccountSasPermissions.All, DateTimeOffset.UtcNow.AddDays(2), Azure.Storage.Sas.AccountSasResourceTypes.All);
    return new Azure.Storage.Queues.QueueServiceClient(new Uri(sas.GetLeftPart(UriPartial.Path)), new AzureSasCredential(sas.Query), clientOptions);
}

static void Progress(string phase, TimeSpan elapsed) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {phase}: {elapsed.TotalSeconds:F1} s (at {DateTimeOffset.UtcNow:HH:mm:ss} UTC)"));

internal sealed record BenchmarkArguments(
    IReadOnlyList<(int Total, int Due)> Sizes, IReadOnlyList<TimeSpan> RoundTrips, SpendSizes Spends, bool Smoke, string? Out, IReadOnlySet<string> Parts, int Samples)
{
    public static BenchmarkArguments Parse(string[] args)
    {
        IReadOnlyList<(int, int)> sizes = [(10_000, 3_000), (100_000, 3_000), (300_000, 3_000), (300_000, 30_000)];
        IReadOnlyList<TimeSpan> roundTrips = [TimeSpan.Zero, TimeSpan.FromMilliseconds(5)];
        var spends = SpendSizes.Default;
        var smoke = false;
        string? output = Path.Combine("BenchmarkResults", "latest.md");
        HashSet<string> parts = ["daily", "spend", "events"];
        int? samples = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--smoke":
                    smoke = true;
                    sizes = [(400, 120)];
                    spends = SpendSizes.Smoke;
                    output = null;
                    break;
                case "--sizes" when i + 1 < args.Length:
                    sizes = [.. args[++i].Split(',').Select(pair => pair.Split(':')).Select(p => (Parse(p[0]), Parse(p[1])))];
                    break;
                case "--rtt" when i + 1 < args.Length:
                    roundTrips = [.. args[++i].Split(',').Select(ParseMilliseconds)];
                    break;
                case "--samples" when i + 1 < args.Length:
                    samples = int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count is >= 1 and <= 9
                        ? count
                        : throw new ArgumentException($"--samples takes a count from 1 to 9; got '{args[i]}'.");
                    break;
                case "--out" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                case "--parts" when i + 1 < args.Length:
                    parts = [.. args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                    if (parts.Count == 0 || parts.Any(p => p is not ("daily" or "spend" or "events")))
                    {
                        throw new ArgumentException($"--parts takes daily, spend and events, comma-separated; got '{args[i]}'.");
                    }

                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'. Use --sizes N:D[,N:D...], --rtt 0,5ms, --parts daily,spend,events, --samples 3, --smoke, --out FILE.");
            }
        }

        if (sizes.Any(s => s.Item2 > s.Item1 || s.Item2 < 1))
        {
            throw new ArgumentException("Each size needs 1 <= D <= N.");
        }

        return new BenchmarkArguments(sizes, roundTrips, spends, smoke, output, parts, samples ?? (smoke ? 1 : 3));
    }

    private static int Parse(string value) => int.Parse(value.Replace("_", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);

    /// <summary>A round trip in milliseconds: <c>5</c> or <c>5ms</c>, 0 to 200.</summary>
    private static TimeSpan ParseMilliseconds(string value)
    {
        var text = value.Trim().EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? value.Trim()[..^2] : value.Trim();
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms is >= 0 and <= 200
            ? TimeSpan.FromMilliseconds(ms)
            : throw new ArgumentException($"--rtt takes round trips in milliseconds from 0 to 200, e.g. 0,5ms; got '{value}'.");
    }
}

/// <summary>The daily run's yardsticks in one sample: the naive cron (time, requests, rows read), the store's limit, the read+commit pair.</summary>
internal sealed record Yardsticks(TimeSpan Naive, long NaiveRequests, int NaiveRowsRead, TimeSpan StoreLimit, TimeSpan ReadAndCommit);

/// <summary>One engine run: its summary, the requests it sent, its time, where the time went, and its memory when sampled.</summary>
internal sealed record EngineRun(ResetRunSummary Summary, long Requests, TimeSpan Time, EngineProfile Profile, EngineMemory? Memory, int FullCollections);

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
