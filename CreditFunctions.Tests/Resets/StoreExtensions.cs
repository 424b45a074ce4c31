using CreditFunctions.Subscriptions;

namespace CreditFunctions.Tests.Resets;

/// <summary>Subscription-level helpers over the customer accounts, for tests (a test subscription's customer is cus_ + its id's tail).</summary>
internal static class StoreExtensions
{
    public static string CustomerOf(string subscriptionId) => "cus_" + subscriptionId[4..];

    /// <summary>Stores a subscription in its customer's account, with its index entry, as a webhook would.</summary>
    public static async Task SeedAsync(this ICreditStore store, Subscription subscription, DateTimeOffset dueAt)
    {
        await store.RememberCustomerAsync(subscription.Id, subscription.CustomerId);
        var entry = await store.ScheduleAsync(new DueEntry(subscription.Id, subscription.CustomerId, dueAt));
        Assert.True(await store.TryChangeAccountAsync(subscription.CustomerId, a => a.With(subscription), due => due.SetItem(subscription.Id, entry)));
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

        // The index spans a table per day of the month: in time order for the tests to compare.
        return [.. entries.OrderBy(e => e.DueAt).ThenBy(e => e.SubscriptionId, StringComparer.Ordinal)];
    }

    /// <summary>
    /// A conditional write of the account as any writer makes it: read, change, write with If-Match on the copy read.
    /// Retries a few times when the account is created concurrently; false when another writer changed it first.
    /// </summary>
    public static async Task<bool> TryChangeAccountAsync(
        this ICreditStore store, string customerId, Func<AccountState, AccountState> change,
        Func<System.Collections.Immutable.ImmutableDictionary<string, DueEntry>, System.Collections.Immutable.ImmutableDictionary<string, DueEntry>>? due = null)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var read = await store.GetAccountAsync(customerId);
            var next = change(read?.State ?? AccountState.Empty(customerId));
            var entries = System.Collections.Immutable.ImmutableDictionary.CreateRange(StringComparer.Ordinal, read?.Due ?? new Dictionary<string, DueEntry>());
            var outcome = await store.TryWriteAccountAsync(new AccountWrite(next, new AccountChanges(), (read?.Version ?? 0) + 1, read?.ConcurrencyToken, due?.Invoke(entries) ?? entries));
            if (outcome.Result == AccountWriteResult.Applied)
            {
                return true;
            }

            if (read is not null)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>Changes one subscription with one conditional write; answers whether it landed and the copy it changed.</summary>
    public static async Task<(bool Applied, Subscription Before)> TryChangeAsync(this ICreditStore store, string subscriptionId, Func<Subscription, Subscription> change)
    {
        var customerId = CustomerOf(subscriptionId);
        var read = await store.GetAccountAsync(customerId) ?? throw new InvalidOperationException($"{customerId} is not stored");
        var before = read.State.Find(subscriptionId) ?? throw new InvalidOperationException($"{subscriptionId} is not stored");
        var outcome = await store.TryWriteAccountAsync(new AccountWrite(read.State.With(change(before)), new AccountChanges(), read.Version + 1, read.ConcurrencyToken, read.Due));
        return (outcome.Result == AccountWriteResult.Applied, before);
    }

    public static async Task<AccountState?> GetStateAsync(this ICreditStore store, string customerId) =>
        (await store.GetAccountAsync(customerId))?.State;

    public static async Task<Subscription?> GetSubscriptionAsync(this ICreditStore store, string subscriptionId) =>
        (await store.GetAccountAsync(CustomerOf(subscriptionId)))?.State.Find(subscriptionId);

    public static async Task<Subscription> GetRequiredAsync(this ICreditStore store, string id) =>
        await store.GetSubscriptionAsync(id) ?? throw new InvalidOperationException($"{id} is not stored");

    /// <summary>The reset records of a subscription, read from the table the app writes them to.</summary>
    public static Task<IReadOnlyList<AppliedReset>> GetResetHistoryAsync(this ICreditStore store, string subscriptionId) =>
        store.GetResetHistoryAsync(CustomerOf(subscriptionId), subscriptionId);

    public static Task<IReadOnlyList<AppliedReset>> GetResetHistoryAsync(this ICreditStore store, string customerId, string subscriptionId) =>
        store switch
        {
            TableCreditStore table => table.GetResetHistoryAsync(customerId, subscriptionId),
            DelegatingCreditStore wrapper => wrapper.Inner.GetResetHistoryAsync(customerId, subscriptionId),
            _ => throw new InvalidOperationException($"{store.GetType().Name} does not reach the table store"),
        };

    /// <summary>An index entry of a test subscription, for comparisons.</summary>
    public static DueEntry Entry(string subscriptionId, DateTimeOffset dueAt) => new(subscriptionId, CustomerOf(subscriptionId), dueAt);
}
