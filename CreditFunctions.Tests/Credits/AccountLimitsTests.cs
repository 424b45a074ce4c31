using static CreditFunctions.Tests.Credits.CreditsClient;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Credits;

/// <summary>
/// A customer's account at the store's limits (Azure's 100 operations in a transaction, 64 KiB a property, 1 MiB an
/// entity): hundreds of buckets expiring or spent at once are stored whole, and the next grant past the cap is a 409.
/// </summary>
public class AccountLimitsTests
{
    private static readonly DateTimeOffset Start = Utc(2026, 1, 31, 10);
    private const string Customer = "cus_1Review";

    private static Task<AppHost> CustomerWithPlanAsync() => TestCustomers.WithPlanAsync("sub_1Review", Start);

    [Fact]
    public async Task AHundredGrantsExpiringTogether_ExpireInOneEntryAndEveryCallStillWorks()
    {
        await using var app = await CustomerWithPlanAsync();
        var expiry = Utc(2026, 2, 27, 23, 59);
        await Task.WhenAll(Enumerable.Range(0, 120).Select(i => GrantAsync(app, Customer, 1, $"referral-{i}", expiry)));
        app.Time.SetUtcNow(expiry.AddMinutes(1));

        var read = await GetAsync(app, Customer);
        var spend = await SpendAsync(app, Customer, 10, "after-expiry");
        app.Time.SetUtcNow(Utc(2026, 3, 1, 2));
        var run = await app.RunAsync();

        Assert.Equal((200, 1000), (read.Status, read.Body.GetProperty("available").GetInt64()));
        Assert.Equal(200, spend.Status);
        Assert.Equal((1, 0), (run.Counts.Reset, run.Counts.Failed));
        var expired = Assert.Single(await FullLedgerAsync(app.Store, Customer), e => e.Kind == LedgerKind.Expiry);
        Assert.Equal((120, -120L), (expired.Parts.Count, expired.Amount));
        await AssertLedgerReplaysAsync(app.Store, Customer);
    }

    [Fact]
    public async Task ASpendAcrossSixHundredBuckets_IsStoredWhole()
    {
        await using var app = await AppHost.StartAsync(Start);
        for (var i = 0; i < 600; i++)
        {
            Assert.Equal(201, (await GrantAsync(app, Customer, 1, $"g-{i}")).Status);
        }

        var spend = await SpendAsync(app, Customer, 600, "all-of-it");
        var claw = await GrantAsync(app, Customer, 5, "top-up");

        Assert.Equal((200, 600), (spend.Status, spend.Body.GetProperty("parts").GetArrayLength()));
        Assert.Equal(201, claw.Status);
        await AssertLedgerReplaysAsync(app.Store, Customer);
    }

    [Fact]
    public async Task AThousandGrantsWithLongReasonsAndKeys_FitAndTheNextIsRefusedWith409()
    {
        await using var app = await AppHost.StartAsync(Start);
        var reason = new string('r', 500);

        var answers = new List<int>();
        for (var i = 0; i < 1001; i++)
        {
            answers.Add((await GrantAsync(app, Customer, 1, $"{i:D4}-{new string('k', 195)}", reason: reason)).Status);
        }

        Assert.All(answers.Take(1000), s => Assert.Equal(201, s));
        Assert.Equal(409, answers[1000]);
    }
}
