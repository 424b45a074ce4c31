using CreditFunctions.Stripe;
using CreditFunctions.Subscriptions;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Stripe;

/// <summary>The sync against Azurite: what it hands back is the row as stored, ready for the next conditional write.</summary>
public class SubscriptionSyncTests
{
    private static readonly DateTimeOffset PeriodStart = Utc(2026, 3, 31, 8, 0);

    private static StripeView State(string status, DateTimeOffset periodStart, DateTimeOffset asOf) => new()
    {
        AsOf = asOf,
        Id = "sub_1Sync",
        CustomerId = "cus_1Sync",
        PriceId = "price_1Yearly",
        Interval = BillingInterval.Year,
        Status = status,
        PeriodStart = periodStart,
        PeriodEnd = periodStart.AddYears(1),
        MonthlyAllowance = 500,
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SyncViewAsync_Applied_HandsBackTheSubscriptionAsStored(bool rowExisted)
    {
        await using var app = await AppHost.StartAsync(PeriodStart.AddDays(3));
        var sync = app.Services.GetRequiredService<SubscriptionSync>();
        var store = app.Services.GetRequiredService<ICreditStore>();
        if (rowExisted)
        {
            await sync.SyncViewAsync(State(SubscriptionStatus.Trialing, PeriodStart, PeriodStart), "evt_1First", isCreation: true, job: null);
        }

        var result = await sync.SyncViewAsync(State(SubscriptionStatus.Active, PeriodStart, PeriodStart.AddHours(1)), "evt_1Second", isCreation: false, job: null);

        Assert.Equal(rowExisted ? SyncOutcome.Applied : SyncOutcome.Created, result.Outcome);
        Assert.Equal(await store.GetRequiredAsync("sub_1Sync"), result.Stored);
        Assert.Equal("cus_1Sync", await store.FindCustomerAsync("sub_1Sync"));
    }
}
