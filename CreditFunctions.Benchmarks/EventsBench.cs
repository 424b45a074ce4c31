using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using CreditFunctions.Accounts;
using CreditFunctions.Credits;
using CreditFunctions.Events;
using CreditFunctions.Resets;
using CreditFunctions.Storage;
using CreditFunctions.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Benchmarks;

/// <summary>What events cost the spend path, and how soon they arrive, in one run.</summary>
/// <param name="Off">The spends with events off.</param>
/// <param name="Quiet">The same spends with events on and their delivery held back: the spend path's own cost.</param>
/// <param name="On">The same spends with events on and their delivery running beside them, on the same two cores and store.</param>
/// <param name="Written">Events the spends recorded (one <c>credits.low</c> per customer that crossed its threshold).</param>
/// <param name="Delivered">Distinct events the local receiver took.</param>
/// <param name="DeliveryRequests">Store and queue requests the delivery made (reading outboxes, marking them, the queue).</param>
/// <param name="LatencyP50Ms">Commit to delivery: from the store's timestamp of the write to the receiver's 2xx.</param>
internal sealed record EventsRow(SpendRow Off, SpendRow Quiet, SpendRow On, int Backlog, TimeSpan BacklogTime, int Written, int Delivered, long DeliveryRequests, double LatencyP50Ms, double LatencyP99Ms)
{
    /// <summary>Spends per second with events on, as a share of off (the target is at least 80 %).</summary>
    public double Ratio => On.PerSecond / Off.PerSecond;

    /// <summary>The same with the delivery held back.</summary>
    public double QuietRatio => Quiet.PerSecond / Off.PerSecond;

    public string ToConsole() => string.Create(CultureInfo.InvariantCulture,
        $"[{RoundTrip.Label(On.RoundTrip)}] events on: {On.PerSecond:F0} spends/s = {Ratio:P0} of off ({Off.PerSecond:F0}/s), {QuietRatio:P0} with the delivery held back; "
        + $"{(double)On.Requests / On.Spends:F2} vs {(double)Off.Requests / Off.Spends:F2} requests per spend; {Written:N0} events, {Delivered:N0} delivered "
        + $"({DeliveryRequests:N0} delivery requests), commit to delivery p50 {LatencyP50Ms:F0} ms, p99 {LatencyP99Ms:F0} ms");
}

/// <summary>
/// The spend path with events on against the same path with events off, in one run, at one round trip: two sets of
/// customers seeded alike (a grant each), the same spends over each at the API's concurrency. With events on every
/// customer's threshold sits 10 credits under its balance, so its first few spends cross it and record one
/// <c>credits.low</c> each (the announcement sent before the write is one queue request more for those spends; spends
/// that tell nothing cost what they cost with events off). Measured twice with events on: the delivery held back (the
/// spend path's own cost), and the delivery running beside the spends as the host runs it (a queue listener taking up to
/// 16 messages at once, posting signed to a receiver on 127.0.0.1), sharing the two cores and the one emulator with
/// them. Checked: every event written was delivered, and every ledger replays.
/// </summary>
internal sealed class EventsBench(
    TableServiceClient seeding, Func<RequestCounter, TableServiceClient> tables, Func<RequestCounter, QueueServiceClient> queues, ResetOptions options, SpendSizes sizes)
{
    private const long Seed = 1_000_000;
    private const long Margin = 10;
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    public async Task<(EventsRow Row, List<string> Failures)> RunAsync(TimeSpan rtt, bool offFirst = true)
    {
        var failures = new List<string>();
        var storage = new StorageOptions { ConnectionString = "unused", TablePrefix = "E" + Guid.NewGuid().ToString("N")[..10] };
        var queueName = "bench-" + Guid.NewGuid().ToString("N")[..12];
        var spendRequests = new RequestCounter();
        var deliveryRequests = new RequestCounter();
        var events = new EventsOptions
        {
            WebhookUrl = null, WebhookSecret = Secret, Queue = queueName, LowBelow = Seed - Margin, RetryAfter = TimeSpan.FromSeconds(1),
        };
        using var receiver = Receiver.Start();
        events.WebhookUrl = receiver.Url;

        var plan = Enumerable.Range(0, sizes.ManySpends).Select(i => (Customer: new Random(i).Next(sizes.Customers), Amount: 1 + (i % 7), Key: $"events-{i}")).ToList();
        var offCustomers = Enumerable.Range(0, sizes.Customers).Select(i => $"cus_evOff{i:D5}").ToList();
        var onCustomers = Enumerable.Range(0, sizes.Customers).Select(i => $"cus_evOn{i:D5}").ToList();
        var quietCustomers = Enumerable.Range(0, sizes.Customers).Select(i => $"cus_evQuiet{i:D5}").ToList();

        // Seeded alike; the events-on customers with events on, so their level is set (normal) before the spends and
        // the seed's own credits.granted events are delivered before the measurement starts.
        var seedStore = new TableCreditStore(seeding, Options.Create(storage));
        var seedQueue = queues(new RequestCounter()).GetQueueClient(queueName);
        await seedQueue.CreateIfNotExistsAsync();
        var seedOff = Credits(seedStore, null, EventPolicy.Off);
        var seedOn = Credits(seedStore, EventsHandOff.Over(seedQueue, events.AnnounceDelay), events.Policy);
        await Parallel.ForEachAsync(offCustomers, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (c, ct) =>
            await seedOff.GrantAsync(c, new GrantRequest(Seed, "seed", null, "benchmark"), ct));
        await Parallel.ForEachAsync(onCustomers.Concat(quietCustomers), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (c, ct) =>
            await seedOn.GrantAsync(c, new GrantRequest(Seed, "seed", null, "benchmark"), ct));

        var deliveryStore = new TableCreditStore(tables(deliveryRequests), Options.Create(storage));
        var deliveryQueue = queues(deliveryRequests).GetQueueClient(queueName);
        var latencies = new ConcurrentBag<double>();
        using var listener = LatencyListener(latencies);
        using var metricsProvider = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var sender = new EventSender(Options.Create(events));
        var delivery = new EventDelivery(deliveryStore, sender, EventsHandOff.Over(deliveryQueue, events.AnnounceDelay),
            new CreditMetrics(metricsProvider.GetRequiredService<IMeterFactory>()), Options.Create(events), NullLogger<EventDelivery>.Instance);
        var stopSeed = new CancellationTokenSource();
        var seedListening = Task.Run(() => ListenAsync(deliveryQueue, delivery, stopSeed.Token));
        await DrainedAsync(deliveryQueue, TimeSpan.FromMinutes(5));
        await stopSeed.CancelAsync();
        await seedListening;
        var seedEvents = receiver.Taken;

        // Off, on with the delivery held back (the spend path's own cost), on with the delivery beside it; off first or
        // last, alternating between samples.
        var offStore = new TableCreditStore(tables(spendRequests), Options.Create(storage));
        var off = offFirst ? await MeasureAsync(Credits(offStore, null, EventPolicy.Off), offCustomers, plan, spendRequests, rtt, "engine, events off") : null;
        var onStore = new TableCreditStore(tables(spendRequests), Options.Create(storage));
        var announcer = EventsHandOff.Over(queues(spendRequests).GetQueueClient(queueName), events.AnnounceDelay);
        var quiet = await MeasureAsync(Credits(onStore, announcer, events.Policy), quietCustomers, plan, spendRequests, rtt, "engine, events on (delivery held back)");
        // The held-back events are a backlog, as a receiver that was down finds them: how fast it goes out.
        using var stop = new CancellationTokenSource();
        var backlogWatch = Stopwatch.StartNew();
        var listening = Task.Run(() => ListenAsync(deliveryQueue, delivery, stop.Token));
        await DrainedAsync(deliveryQueue, TimeSpan.FromMinutes(5));
        var backlog = (Events: receiver.Taken - seedEvents, Time: backlogWatch.Elapsed);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   backlog of {backlog.Events:N0} events delivered in {backlog.Time.TotalSeconds:F1} s"));
        latencies.Clear();
        deliveryRequests.Reset();
        var on = await MeasureAsync(Credits(onStore, announcer, events.Policy), onCustomers, plan, spendRequests, rtt, "engine, events on (delivering)");

        if (!await DrainedAsync(deliveryQueue, TimeSpan.FromMinutes(5)))
        {
            failures.Add($"events, {RoundTrip.Label(rtt)}: the queue still held messages five minutes after the spends");
        }

        await stop.CancelAsync();
        await listening;
        off ??= await MeasureAsync(Credits(offStore, null, EventPolicy.Off), offCustomers, plan, spendRequests, rtt, "engine, events off");

        // One credits.low per customer whose spends went past the margin; each delivered.
        var crossed = 2 * plan.GroupBy(p => p.Customer).Count(g => g.Sum(p => p.Amount) > Margin);
        var written = 0;
        foreach (var customer in onCustomers.Concat(quietCustomers))
        {
            written += (int)((await seedStore.GetAccountAsync(customer))!.State.EventSequence - 1);
            if ((await seedStore.GetOutboxAsync(customer)).Count > 0)
            {
                failures.Add($"events, {RoundTrip.Label(rtt)}: {customer} still has undelivered events");
            }
        }

        var delivered = receiver.Taken - seedEvents;
        if (written != crossed || delivered != written)
        {
            failures.Add($"events, {RoundTrip.Label(rtt)}: {crossed} customers crossed their threshold, {written} events were written and {delivered} delivered");
        }

        failures.AddRange(await SpendBench.CheckAsync(offStore, [.. plan.Select(p => (offCustomers[p.Customer], p.Amount, p.Key))], "events off"));
        failures.AddRange(await SpendBench.CheckAsync(onStore, [.. plan.Select(p => (onCustomers[p.Customer], p.Amount, p.Key))], "events on"));
        failures.AddRange(await SpendBench.CheckAsync(onStore, [.. plan.Select(p => (quietCustomers[p.Customer], p.Amount, p.Key))], "events on, delivery held back"));
        foreach (var name in storage.AllTables)
        {
            await seeding.DeleteTableAsync(name);
        }

        await seedQueue.DeleteIfExistsAsync();
        var sorted = latencies.Order().ToArray();
        var row = new EventsRow(off, quiet, on, backlog.Events, backlog.Time, written, delivered, deliveryRequests.Count, SpendBench.Percentile(sorted, 0.50), SpendBench.Percentile(sorted, 0.99));
        Console.WriteLine("   " + row.ToConsole());
        return (row, failures);
    }

    private CreditsService Credits(ICreditStore store, IEventAnnouncer? announcer, EventPolicy policy)
    {
        var metrics = new CreditMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());
        // As the app runs it: an instance keeps the accounts it last read or wrote.
        var cache = new AccountCache(Options.Create(new StorageOptions()));
        return new CreditsService(new AccountRepository(store, metrics, Options.Create(options), announcer, policy, cache), store, new FixedClock(Now));
    }

    private static async Task<SpendRow> MeasureAsync(
        CreditsService credits, List<string> customers, List<(int Customer, int Amount, string Key)> plan, RequestCounter requests, TimeSpan rtt, string method)
    {
        var latencies = new ConcurrentBag<double>();
        var next = -1;
        var before = requests.Count;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, SpendBench.ApiConcurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < plan.Count)
            {
                var started = Stopwatch.GetTimestamp();
                var spent = await credits.SpendAsync(customers[plan[i].Customer], new SpendRequest(plan[i].Amount, plan[i].Key, null, null));
                if (spent.Refusal is not null)
                {
                    throw new InvalidOperationException($"{plan[i].Key} was refused: {spent.Refusal}");
                }

                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })));
        watch.Stop();
        var sorted = latencies.Order().ToArray();
        var row = new SpendRow(rtt, "many customers", method, plan.Count, watch.Elapsed, SpendBench.Percentile(sorted, 0.50), SpendBench.Percentile(sorted, 0.99),
            requests.Count - before, 0, 0);
        Console.WriteLine("   " + row.ToConsole());
        return row;
    }

    /// <summary>
    /// The host's queue listener: up to 16 messages at a time, each delivered, deleted when done, left to reappear when
    /// not; an empty queue is polled again after a wait that doubles from 100 ms to host.json's maxPollingInterval (2 s).
    /// </summary>
    private static async Task ListenAsync(QueueClient queue, EventDelivery delivery, CancellationToken stop)
    {
        // batchSize 16 and newBatchThreshold 8, as host.json sets them: another batch is fetched once 8 or fewer are in flight.
        var inFlight = new ConcurrentDictionary<Task, byte>();
        var idle = TimeSpan.FromMilliseconds(100);
        while (!stop.IsCancellationRequested)
        {
            if (inFlight.Count > 8)
            {
                // The keys are a snapshot: the handlers remove themselves as they finish, so it may already be empty.
                var running = inFlight.Keys.ToArray();
                if (running.Length > 0)
                {
                    await Task.WhenAny(running);
                }

                continue;
            }

            var messages = (await queue.ReceiveMessagesAsync(16, TimeSpan.FromSeconds(30), CancellationToken.None)).Value;
            if (messages.Length == 0)
            {
                await Task.Delay(idle, CancellationToken.None);
                idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
                continue;
            }

            idle = TimeSpan.FromMilliseconds(100);
            foreach (var message in messages)
            {
                var handled = Task.Run(async () =>
                {
                    try
                    {
                        await delivery.DeliverAsync(message.Body.ToString(), message.DequeueCount);
                        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                    }
                    catch (EventDeliveryFailedException)
                    {
                        // Left to show again after its visibility timeout, as the host does.
                    }
                }, CancellationToken.None);
                inFlight[handled] = 0;
                _ = handled.ContinueWith(t => inFlight.TryRemove(t, out _), TaskScheduler.Default);
            }
        }

        await Task.WhenAll(inFlight.Keys);
    }

    /// <summary>Waits until the queue holds no message, visible or hidden.</summary>
    private static async Task<bool> DrainedAsync(QueueClient queue, TimeSpan within)
    {
        var until = Stopwatch.StartNew();
        while (until.Elapsed < within)
        {
            if ((await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0)
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }

    /// <summary>The delivery's own commit-to-delivery measurements (credits.events.latency, in seconds), as milliseconds.</summary>
    private static MeterListener LatencyListener(ConcurrentBag<double> into)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == CreditMetrics.MeterName && instrument.Name == CreditMetrics.EventsLatency)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, _, _) => into.Add(seconds * 1000));
        listener.Start();
        return listener;
    }

    /// <summary>The SaaS's endpoint on 127.0.0.1: takes every POST (204) and counts the distinct events.</summary>
    private sealed class Receiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly ConcurrentDictionary<string, byte> _ids = new(StringComparer.Ordinal);

        private Receiver(int port)
        {
            Url = new Uri($"http://127.0.0.1:{port}/events/");
            _listener.Prefixes.Add(Url.ToString());
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public Uri Url { get; }

        public int Taken => _ids.Count;

        public static Receiver Start()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            return new Receiver(port);
        }

        public void Dispose() => _listener.Close();

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception) when (!_listener.IsListening)
                {
                    return;
                }

                _ids.TryAdd(context.Request.Headers["webhook-id"] ?? "", 0);
                using (var reader = new StreamReader(context.Request.InputStream))
                {
                    await reader.ReadToEndAsync();
                }

                context.Response.StatusCode = 204;
                context.Response.Close();
            }
        }
    }
}
