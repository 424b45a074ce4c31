using System.Text.Json;
using CreditFunctions.Functions;

namespace CreditFunctions.Tests.Credits;

/// <summary>Calls the credits API's real functions from the app's container, as the Functions host would.</summary>
internal static class CreditsClient
{
    private static string Route(string customerId, string rest = "") => $"/api/customers/{customerId}/credits{rest}";

    public static Task<FunctionHttp.Answer> GetAsync(AppHost app, string customerId) =>
        FunctionHttp.InvokeAsync(app, r => app.Function<GetCredits>().RunAsync(r, customerId, CancellationToken.None), "GET", Route(customerId));

    public static Task<FunctionHttp.Answer> SpendAsync(AppHost app, string customerId, string body) =>
        FunctionHttp.InvokeAsync(app, r => app.Function<SpendCredits>().RunAsync(r, customerId, CancellationToken.None), "POST", Route(customerId, "/spend"), body: body);

    public static Task<FunctionHttp.Answer> SpendAsync(AppHost app, string customerId, long amount, string key, string? reason = null) =>
        SpendAsync(app, customerId, JsonSerializer.Serialize(new { amount, idempotencyKey = key, reason }));

    public static Task<FunctionHttp.Answer> GrantAsync(AppHost app, string customerId, string body) =>
        FunctionHttp.InvokeAsync(app, r => app.Function<GrantCredits>().RunAsync(r, customerId, CancellationToken.None), "POST", Route(customerId, "/grants"), body: body);

    public static Task<FunctionHttp.Answer> GrantAsync(AppHost app, string customerId, long amount, string key, DateTimeOffset? expiresAt = null, string reason = "support") =>
        GrantAsync(app, customerId, JsonSerializer.Serialize(new { amount, idempotencyKey = key, expiresAt, reason }));

    public static Task<FunctionHttp.Answer> HoldAsync(AppHost app, string customerId, string body) =>
        FunctionHttp.InvokeAsync(app, r => app.Function<HoldCredits>().PlaceAsync(r, customerId, CancellationToken.None), "POST", Route(customerId, "/holds"), body: body);

    public static Task<FunctionHttp.Answer> HoldAsync(AppHost app, string customerId, long amount, string key, int? expiresIn = null, string? reason = null) =>
        HoldAsync(app, customerId, JsonSerializer.Serialize(new { amount, idempotencyKey = key, expiresIn, reason }));

    public static Task<FunctionHttp.Answer> CaptureAsync(AppHost app, string customerId, string holdId, string body) =>
        FunctionHttp.InvokeAsync(app, r => app.Function<HoldCredits>().CaptureAsync(r, customerId, holdId, CancellationToken.None), "POST", Route(customerId, $"/holds/{holdId}/capture"), body: body);

    public static Task<FunctionHttp.Answer> CaptureAsync(AppHost app, string customerId, string holdId, long amount, string key) =>
        CaptureAsync(app, customerId, holdId, JsonSerializer.Serialize(new { amount, idempotencyKey = key }));

    public static Task<FunctionHttp.Answer> ReleaseAsync(AppHost app, string customerId, string holdId, string key) =>
        FunctionHttp.InvokeAsync(app, r => app.Function<HoldCredits>().ReleaseAsync(r, customerId, holdId, CancellationToken.None), "POST",
            Route(customerId, $"/holds/{holdId}/release"), body: JsonSerializer.Serialize(new { idempotencyKey = key }));

    public static Task<FunctionHttp.Answer> AlertsAsync(AppHost app, string customerId) =>
        FunctionHttp.InvokeAsync(app, r => app.Function<CreditAlerts>().GetAsync(r, customerId, CancellationToken.None), "GET", Route(customerId, "/alerts"));

    public static Task<FunctionHttp.Answer> PutAlertsAsync(AppHost app, string customerId, string body) =>
        FunctionHttp.InvokeAsync(app, r => app.Function<CreditAlerts>().PutAsync(r, customerId, CancellationToken.None), "PUT", Route(customerId, "/alerts"), body: body);

    public static Task<FunctionHttp.Answer> LedgerAsync(AppHost app, string customerId, string query = "") =>
        FunctionHttp.InvokeAsync(app, r => app.Function<GetCreditsLedger>().RunAsync(r, customerId, CancellationToken.None), "GET", Route(customerId, "/ledger"), query);

    /// <summary>Every ledger entry of the customer, oldest first, read page by page through the store.</summary>
    public static async Task<List<LedgerEntry>> FullLedgerAsync(ICreditStore store, string customerId)
    {
        var entries = new List<LedgerEntry>();
        long? before = null;
        while (true)
        {
            var page = await store.GetLedgerAsync(customerId, 100, before);
            entries.AddRange(page);
            if (page.Count < 100)
            {
                break;
            }

            before = page[^1].Sequence;
        }

        entries.Reverse();
        return entries;
    }

    /// <summary>
    /// The ledger is the truth of the buckets: numbered 1..n without gaps, each entry's balance-after never below zero,
    /// and the parts replayed per bucket give each bucket's remaining credits exactly (a bucket that is gone, zero).
    /// </summary>
    public static async Task AssertLedgerReplaysAsync(ICreditStore store, string customerId)
    {
        var account = (await store.GetAccountAsync(customerId))?.State ?? throw new InvalidOperationException($"{customerId} is not stored");
        var ledger = await FullLedgerAsync(store, customerId);
        Assert.Equal(Enumerable.Range(1, ledger.Count).Select(i => (long)i), ledger.Select(e => e.Sequence));
        Assert.Equal(account.LedgerSequence, ledger.Count);
        Assert.All(ledger, e => Assert.True(e.BalanceAfter >= 0, $"entry {e.Sequence} leaves {e.BalanceAfter}"));
        Assert.All(ledger.SelectMany(e => e.Parts), p => Assert.True(p.RemainingAfter >= 0, $"{p.BucketId} left at {p.RemainingAfter}"));

        var replayed = ledger.SelectMany(e => e.Parts).GroupBy(p => p.BucketId).ToDictionary(g => g.Key, g => g.Sum(p => p.Amount));
        var buckets = account.Subscriptions.ToDictionary(s => s.PlanBucketId, s => s.Balance)
            .Concat(account.Grants.ToDictionary(g => g.Id, g => g.Remaining))
            .ToDictionary(b => b.Key, b => b.Value);
        foreach (var (bucket, amount) in replayed)
        {
            Assert.True(amount == buckets.GetValueOrDefault(bucket), $"the ledger replays {bucket} to {amount}, the account holds {buckets.GetValueOrDefault(bucket)}");
        }

        Assert.All(buckets.Where(b => b.Value != 0), b => Assert.True(replayed.ContainsKey(b.Key), $"{b.Key} holds {b.Value} with no ledger entry"));
    }

}
