using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using CreditFunctions.Resets;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Tests.Resets;

internal static class StoreExtensions
{
    /// <summary>Stores a subscription and its index entry, as the webhook does when Stripe announces it.</summary>
    public static async Task SeedAsync(this ICreditStore store, Subscription subscription, DateTimeOffset dueAt)
    {
        Assert.True(await store.TrySaveAsync(subscription));
        await store.ScheduleAsync(subscription.Id, dueAt);
    }

    public static async Task SeedManyAsync(this ICreditStore store, IEnumerable<(Subscription Subscription, DateTimeOffset DueAt)> seeds)
    {
        await Parallel.ForEachAsync(seeds, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (seed, _) =>
            await store.SeedAsync(seed.Subscription, seed.DueAt));
    }

    public static async Task<List<DueEntry>> AllDueAsync(this ICreditStore store)
    {
        var entries = new List<DueEntry>();
        await foreach (var entry in store.ReadDueAsync(DateTimeOffset.MaxValue.AddDays(-1)))
        {
            entries.Add(entry);
        }

        return entries;
    }

    /// <summary>An ETag-guarded write as any other writer (the SaaS app spending credits) would make it.</summary>
    public static async Task<bool> TrySaveAsync(this ICreditStore store, Subscription subscription) =>
        (await store.TryUpsertSubscriptionAsync(subscription, eventId: null)).Result == UpsertResult.Applied;

    public static async Task<Subscription> GetRequiredAsync(this ICreditStore store, string id) =>
        await store.GetSubscriptionAsync(id) ?? throw new InvalidOperationException($"{id} is not stored");
}
