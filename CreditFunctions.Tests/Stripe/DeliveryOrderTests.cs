using static CreditFunctions.Tests.Stripe.Deliveries;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Stripe;

/// <summary>
/// Whatever order Stripe delivers in, and however often: dozens of subscriptions, each living through a creation, its
/// first payment, a cancellation set and undone, and a renewal (half of them onto another plan); every event delivered
/// twice, shuffled, many at once. The end state must be the one in-order delivery gives, and no period may ever be
/// reset with a plan that is not its own.
/// </summary>
public class DeliveryOrderTests
{
    private const int Subscriptions = 24;
    private static readonly DateTimeOffset Base = Utc(2026, 1, 15, 9, 30);

    private static DateTimeOffset P1(int i) => Base.AddMinutes(i);

    private static DateTimeOffset P2(int i) => P1(i).AddMonths(1);

    private static Plan NewPlan(int i) => i % 2 == 1 ? YearlyTeam : MonthlyPro;

    /// <summary>One subscription's events with the time Stripe sent each.</summary>
    private static List<(DateTimeOffset At, string Payload)> Lifecycle(int i)
    {
        var id = $"sub_1Order{i:D2}";
        var (p1, p2) = (P1(i), P2(i));
        return
        [
            (p1, SubscriptionEvent($"evt_1O{i:D2}a", "customer.subscription.created", p1, id, "active", MonthlyPro, p1)),
            (p1.AddSeconds(1), InvoicePaid($"evt_1O{i:D2}b", p1.AddSeconds(1), id, MonthlyPro, p1, billingReason: "subscription_create")),
            (p1.AddHours(1), SubscriptionEvent($"evt_1O{i:D2}c", "customer.subscription.updated", p1.AddHours(1), id, "active", MonthlyPro, p1, cancelAtPeriodEnd: true)),
            (p1.AddHours(2), SubscriptionEvent($"evt_1O{i:D2}d", "customer.subscription.updated", p1.AddHours(2), id, "active", MonthlyPro, p1)),
            (p2, SubscriptionEvent($"evt_1O{i:D2}e", "customer.subscription.updated", p2, id, "active", NewPlan(i), p2)),
            (p2.AddMinutes(1), InvoicePaid($"evt_1O{i:D2}f", p2.AddMinutes(1), id, NewPlan(i), p2)),
            (p2.AddHours(1), SubscriptionEvent($"evt_1O{i:D2}g", "customer.subscription.updated", p2.AddHours(1), id, "active", NewPlan(i), p2, cancelAtPeriodEnd: true)),
        ];
    }

    private static readonly DateTimeOffset Now = P2(Subscriptions).AddHours(2);

    [Theory]
    [InlineData(20261129)]
    [InlineData(7)]
    [InlineData(424242)]
    public async Task EveryEventTwiceShuffledAndConcurrent_EndsAsInOrderDeliveryWithEachPeriodsOwnPlan(int shuffle)
    {
        var events = Enumerable.Range(0, Subscriptions).SelectMany(Lifecycle).ToList();

        // In order: each event once, a few seconds after Stripe sent it.
        await using var inOrder = await AppHost.StartAsync(P1(0));
        foreach (var (at, payload) in events.OrderBy(e => e.At))
        {
            inOrder.Time.SetUtcNow(at.AddSeconds(5));
            await WebhookClient.DeliverOkAsync(inOrder, payload);
        }

        await using var shuffled = await AppHost.StartAsync(Now);
        var deliveries = events.SelectMany(e => new[] { e.Payload, e.Payload }).ToArray();
        new Random(shuffle).Shuffle(deliveries);
        var answers = new System.Collections.Concurrent.ConcurrentBag<(int Status, string Body)>();
        await Parallel.ForEachAsync(deliveries, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (payload, _) =>
        {
            var (status, body) = await WebhookClient.DeliverAsync(shuffled, payload);
            answers.Add((status, body.ToString()));
        });

        Assert.All(answers, a => Assert.True(a.Status == 200, a.Body));
        var expectedStore = inOrder.Services.GetRequiredService<ICreditStore>();
        var actualStore = shuffled.Services.GetRequiredService<ICreditStore>();
        for (var i = 0; i < Subscriptions; i++)
        {
            var id = $"sub_1Order{i:D2}";
            var expected = await expectedStore.GetRequiredAsync(id);
            var actual = await actualStore.GetRequiredAsync(id);
            Assert.Equal(expected.Stripe, actual.Stripe);
            Assert.Equal((expected.Balance, expected.LastResetBoundary), (actual.Balance, actual.LastResetBoundary));

            var history = await actualStore.GetResetHistoryAsync(id);
            var renewal = Assert.Single(history, r => r.Boundary == P2(i));
            Assert.Equal(NewPlan(i).CreditsMetadata, (int)renewal.BalanceAfter); // the new period's own plan, never the old one
            Assert.All(history.Where(r => r.Boundary == P1(i)), r => Assert.Equal(1000, r.BalanceAfter));

            var expectedDue = (await expectedStore.AllDueAsync()).Where(e => e.SubscriptionId == id).Select(e => e.DueAt);
            var actualDue = (await actualStore.AllDueAsync()).Where(e => e.SubscriptionId == id).Select(e => e.DueAt);
            Assert.Equal(expectedDue, actualDue);
        }
    }
}
