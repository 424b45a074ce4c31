using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using CreditFunctions.Stripe;
using CreditFunctions.Resets;
using CreditFunctions.Subscriptions;
using CreditFunctions.Tests.Functions;
using CreditFunctions.Tests.Resets;
using Microsoft.Extensions.DependencyInjection;
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
    public async Task UpsertAsync_Applied_HandsBackTheStoredRowWithItsCurrentETag(bool rowExisted)
    {
        await using var app = await AppHost.StartAsync(PeriodStart.AddDays(3));
        var sync = app.Services.GetRequiredService<SubscriptionSync>();
        var store = app.Services.GetRequiredService<ICreditStore>();
        if (rowExisted)
        {
            await sync.SyncViewAsync(State(SubscriptionStatus.Trialing, PeriodStart, PeriodStart), "evt_1First", isCreation: true);
        }

        var result = await sync.SyncViewAsync(State(SubscriptionStatus.Active, PeriodStart, PeriodStart.AddHours(1)), "evt_1Second", isCreation: false);

        Assert.Equal(SyncOutcome.Applied, result.Outcome);
        var stored = await store.GetRequiredAsync("sub_1Sync");
        Assert.Equal(stored, result.Stored);
        Assert.True(await store.TrySaveAsync(result.Stored! with { Balance = 42 }), "the handed-back copy must be current enough to write with");
    }
}
