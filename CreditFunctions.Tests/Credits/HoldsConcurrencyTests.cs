using System.Collections.Concurrent;
using CreditFunctions.Credits;
using static CreditFunctions.Tests.Credits.CreditsClient;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Credits;

/// <summary>Holds raced: many workers on one customer from two instances, one key many times at once, capture against release.</summary>
public class HoldsConcurrencyTests
{
    private static readonly DateTimeOffset Start = Utc(2026, 1, 31, 10);
    private static readonly DateTimeOffset Now = Utc(2026, 2, 3, 12);
    private const string Customer = "cus_1Race";

    /// <summary>Two app instances on the same tables, the customer on a yearly plan with 100,000 credits granted besides.</summary>
    private static async Task<(AppHost First, AppHost Second)> TwoInstancesAsync()
    {
        var prefix = new Dictionary<string, string?> { ["CreditStorage:TablePrefix"] = AzuriteFixture.NewTablePrefix() };
        var first = await AppHost.StartAsync(Now, prefix);
        var second = await AppHost.StartAsync(Now, prefix);
        await WebhookClient.DeliverOkAsync(first, Stripe.Deliveries.SubscriptionEvent("evt_1RaceC", "customer.subscription.created", Start, "sub_1Race", "active", Stripe.StripeFixtures.YearlyPro, Start));
        Assert.Equal(201, (await first.Credits.GrantAsync(Customer, new GrantRequest(100_000, "seed", null, "working capital"))).Status());
        return (first, second);
    }

    [Fact]
    public async Task ThirtyTwoWorkersHoldingCapturingAndReleasing_OnTwoInstances_LoseAndDoubleNothing()
    {
        var (first, second) = await TwoInstancesAsync();
        await using var _1 = first;
        await using var _2 = second;
        var before = (await first.Credits.ReadAsync(Customer)).Value!.Available;
        var captured = new ConcurrentBag<long>();
        var failures = new ConcurrentBag<string>();

        await Task.WhenAll(Enumerable.Range(0, 32).Select(w => Task.Run(async () =>
        {
            var credits = (w % 2 == 0 ? first : second).Credits;
            var random = new Random(w);
            for (var i = 0; i < 6; i++)
            {
                var held = await credits.HoldAsync(Customer, new HoldRequest(random.Next(1, 80), $"w{w}-{i}", TimeSpan.FromMinutes(15), "job", null));
                if (held.Refusal is not null)
                {
                    failures.Add($"w{w}-{i} hold: {held.Refusal}");
                    continue;
                }

                var hold = held.Value!.Hold!;
                if (random.Next(3) == 0)
                {
                    var released = await credits.ReleaseAsync(Customer, new ReleaseRequest(hold.HoldId, $"w{w}-{i}-release"));
                    AddIf(released.Refusal, $"w{w}-{i} release");
                    continue;
                }

                var cost = random.Next(1, (int)hold.Held + 20); // sometimes more than held
                var capture = await credits.CaptureAsync(Customer, new CaptureRequest(hold.HoldId, cost, $"w{w}-{i}-capture", null, null));
                AddIf(capture.Refusal, $"w{w}-{i} capture");
                if (capture.Refusal is null)
                {
                    captured.Add(cost);
                }
            }
        })));

        Assert.Empty(failures);
        var after = await first.Credits.ReadAsync(Customer);
        Assert.Equal((before - captured.Sum(), 0L), (after.Value!.Available, after.Value.Held));
        await AssertLedgerReplaysAsync(first.Store, Customer);
        var ledger = await FullLedgerAsync(first.Store, Customer);
        Assert.Equal(32 * 6, ledger.Count(e => e.Kind == LedgerKind.Hold));
        Assert.Equal(captured.Count, ledger.Count(e => e.Kind == LedgerKind.Capture));

        void AddIf(Refusal? refusal, string what)
        {
            if (refusal is not null)
            {
                failures.Add($"{what}: {refusal}");
            }
        }
    }

    [Fact]
    public async Task OneKeyTwentyTimesAtOnce_HoldsOnce_AndEveryAnswerIsTheSameHold()
    {
        var (first, second) = await TwoInstancesAsync();
        await using var _1 = first;
        await using var _2 = second;

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            (i % 2 == 0 ? first : second).Credits.HoldAsync(Customer, new HoldRequest(250, "same-key", TimeSpan.FromMinutes(15), null, null))));

        Assert.All(answers, a => Assert.Null(a.Refusal));
        Assert.Single(answers.Select(a => a.Value!.Hold!.HoldId).Distinct());
        Assert.Equal(250, (await first.Credits.ReadAsync(Customer)).Value!.Held);
        Assert.Single(await FullLedgerAsync(first.Store, Customer), e => e.Kind == LedgerKind.Hold);
    }

    [Fact]
    public async Task CaptureAndReleaseRacingOnOneHold_ExactlyOneWins()
    {
        var (first, second) = await TwoInstancesAsync();
        await using var _1 = first;
        await using var _2 = second;
        var before = (await first.Credits.ReadAsync(Customer)).Value!.Available;
        long captured = 0;

        for (var i = 0; i < 10; i++)
        {
            var hold = (await first.Credits.HoldAsync(Customer, new HoldRequest(100, $"race-{i}", TimeSpan.FromMinutes(15), null, null))).Value!.Hold!;
            var capture = first.Credits.CaptureAsync(Customer, new CaptureRequest(hold.HoldId, 60, $"race-{i}-capture", null, null));
            var release = second.Credits.ReleaseAsync(Customer, new ReleaseRequest(hold.HoldId, $"race-{i}-release"));
            var (c, r) = (await capture, await release);

            Assert.True((c.Refusal is null) ^ (r.Refusal is null), $"race {i}: capture {c.Refusal}, release {r.Refusal}");
            Assert.IsType<HoldClosed>(c.Refusal ?? r.Refusal);
            captured += c.Refusal is null ? 60 : 0;
        }

        Assert.Equal(before - captured, (await first.Credits.ReadAsync(Customer)).Value!.Available);
        await AssertLedgerReplaysAsync(first.Store, Customer);
    }
}
