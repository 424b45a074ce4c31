using System.Collections.Concurrent;
using CreditFunctions.Credits;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static CreditFunctions.Tests.Credits.CreditsClient;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Credits;

/// <summary>Spends racing each other, the timer, a manual run and a renewal webhook; keys sent many times at once; crashes at every write.</summary>
public class CreditsConcurrencyTests
{
    private static readonly DateTimeOffset Start = Utc(2026, 1, 15, 9, 30);
    private const string Customer = "cus_1Busy";

    private static string Created(string eventId, string subscriptionId, Plan plan, DateTimeOffset periodStart) =>
        Event(eventId, "customer.subscription.created", periodStart, Subscription(subscriptionId, "active", plan, periodStart, Deliveries.PeriodEnd(plan, periodStart), customerId: Customer));

    [Fact]
    public async Task ThirtyTwoSpendersWhileTheTimerAManualRunAndARenewalRun_NoSpendLostNoResetTwiceNeverBelowZero()
    {
        await using var app = await AppHost.StartAsync(Start.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, Created("evt_1BusyY", "sub_1BusyYear", YearlyPro, Start));
        await WebhookClient.DeliverOkAsync(app, Created("evt_1BusyM", "sub_1BusyMonth", MonthlyPro, Start));
        var credits = app.Services.GetRequiredService<CreditsService>();
        Assert.Equal(201, (await credits.GrantAsync(Customer, new GrantRequest(1500, "top-up", null, "bought"))).Status());

        // A month on: the yearly plan's first monthly boundary is due and the monthly plan renews.
        var renewal = Start.AddMonths(1);
        app.Time.SetUtcNow(renewal.AddHours(1));
        await WebhookClient.DeliverOkAsync(app, Event("evt_1BusyMU", "customer.subscription.updated", renewal,
            Subscription("sub_1BusyMonth", "active", MonthlyPro, renewal, renewal.AddMonths(1), customerId: Customer)));

        var spent = new ConcurrentBag<(string Key, long Amount, int Status)>();
        var spenders = Enumerable.Range(0, 32).Select(s => Task.Run(async () =>
        {
            var random = new Random(s);
            for (var i = 0; i < 8; i++)
            {
                var key = $"spender{s}-{i}";
                var amount = random.Next(1, 40);
                var answer = await credits.SpendAsync(Customer, new SpendRequest(amount, key, "work", null));
                spent.Add((key, amount, answer.Status()));
            }
        }));
        var handler = app.Services.GetRequiredService<CreditResetHandler>();
        var others = new Task[]
        {
            handler.RunAsync(new ResetRequest(ResetTrigger.Timer)),
            handler.RunAsync(new ResetRequest(ResetTrigger.Manual, CustomerId: Customer)),
            WebhookClient.DeliverOkAsync(app, Event("evt_1BusyPaid", "invoice.paid", renewal.AddMinutes(2),
                Invoice("in_1BusyPaid", "sub_1BusyMonth", MonthlyPro, renewal, renewal.AddMonths(1), customerId: Customer))),
        };
        await Task.WhenAll(spenders);
        await Task.WhenAll(others);

        var store = app.Store;
        Assert.All(spent, s => Assert.True(s.Status is 200 or 409, $"{s.Key} answered {s.Status}"));
        var ledger = await FullLedgerAsync(store, Customer);
        var spends = ledger.Where(e => e.Kind == LedgerKind.Spend).ToList();
        Assert.Equal(spent.Where(s => s.Status == 200).Select(s => s.Key).Order(), spends.Select(e => e.IdempotencyKey!).Order());
        Assert.Equal(spent.Where(s => s.Status == 200).Sum(s => s.Amount), -spends.Sum(e => e.Amount));
        Assert.Single(await store.GetResetHistoryAsync(Customer, "sub_1BusyYear"), r => r.Boundary == renewal);
        Assert.Single(await store.GetResetHistoryAsync(Customer, "sub_1BusyMonth"), r => r.Boundary == renewal);
        Assert.Equal(2, ledger.Count(e => e.Kind == LedgerKind.Reset && e.Boundary == renewal));
        await AssertLedgerReplaysAsync(store, Customer);
    }

    [Fact]
    public async Task TheSameKeySentTwentyTimesAtOnce_SpendsOnceAndEveryCallGetsItsAnswer()
    {
        await using var app = await AppHost.StartAsync(Start.AddMinutes(1));
        await WebhookClient.DeliverOkAsync(app, Created("evt_1KeyY", "sub_1KeyYear", YearlyPro, Start));
        var credits = app.Services.GetRequiredService<CreditsService>();

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => credits.SpendAsync(Customer, new SpendRequest(70, "once", null, null)))));

        Assert.All(answers, a => Assert.Equal(200, a.Status()));
        Assert.Single(answers.Select(a => a.Value!.LedgerSequence).Distinct());
        Assert.Equal(930, (await credits.ReadAsync(Customer)).Value!.Available);
        Assert.Single(await FullLedgerAsync(app.Store, Customer), e => e.Kind == LedgerKind.Spend);
    }

    public static TheoryData<string, int, bool> CrashPoints()
    {
        // A spend or grant that also applies a due reset makes three writes: the subscription's next index entry, the
        // account (with its records), the old entry's removal. Crash at each, with the write lost and with it landed.
        var data = new TheoryData<string, int, bool>();
        foreach (var operation in new[] { "spend", "grant" })
        {
            for (var write = 1; write <= 3; write++)
            {
                data.Add(operation, write, false);
                data.Add(operation, write, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CrashPoints))]
    public async Task CrashAtAnyWriteThenRetryWithTheSameKey_AppliesExactlyOnce(string operation, int crashAtWrite, bool writeLandsBeforeCrash)
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        var yearly = Yearly("sub_1Crash", Start, balance: 600, lastReset: Start);
        await store.SeedAsync(yearly with { Stripe = yearly.Stripe with { CustomerId = Customer } }, Start.AddMonths(1));
        var time = new FakeTimeProvider(Start.AddMonths(1).AddHours(1)); // the first monthly boundary is due

        var crashing = new CrashingStore(store, crashAtWrite, writeLandsBeforeCrash);
        await Assert.ThrowsAsync<SimulatedCrashException>(() => CallAsync(Service(crashing, time), operation));
        var retry = await CallAsync(Service(store, time), operation);
        var again = await CallAsync(Service(store, time), operation);

        Assert.Equal(operation == "spend" ? 200 : 201, retry.Status());
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(retry.Value), System.Text.Json.JsonSerializer.Serialize(again.Value));
        var account = (await store.GetAccountAsync(Customer))!;
        Assert.Equal(operation == "spend" ? 950 : 1050, Buckets.Available(account.State, time.GetUtcNow(), CreditFunctions.Resets.ResetPolicy.DefaultRenewalGrace));
        Assert.Single(await store.GetResetHistoryAsync(Customer, "sub_1Crash"), r => r.Boundary == Start.AddMonths(1));
        Assert.Equal(Start.AddMonths(2), account.Due["sub_1Crash"].DueAt);

        // The next look is scheduled whatever the crash cut off; an entry it left behind is stale, and the next run drops
        // it without resetting anything.
        Assert.Contains(await store.AllDueAsync(), e => e.DueAt == Start.AddMonths(2));
        var run = await TestHandlers.Create(store, time, new ResetOptions()).RunAsync(new ResetRequest(ResetTrigger.Timer));
        Assert.Equal(0, run.Summary!.Counts.Reset);
        Assert.Equal([Start.AddMonths(2)], (await store.AllDueAsync()).Select(e => e.DueAt));
    }

    private static CreditsService Service(ICreditStore store, TimeProvider time) => new(TestHandlers.Repository(store), store, time);

    private static Task<Outcome<CreditsReceipt>> CallAsync(CreditsService credits, string operation) => operation == "spend"
        ? credits.SpendAsync(Customer, new SpendRequest(50, "the-key", null, null))
        : credits.GrantAsync(Customer, new GrantRequest(50, "the-key", null, "goodwill"));
}
