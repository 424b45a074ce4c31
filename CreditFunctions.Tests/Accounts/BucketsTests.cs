using CreditFunctions.Subscriptions;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Accounts;

/// <summary>The bucket arithmetic alone: spend order, all-or-nothing taking, expiry.</summary>
public class BucketsTests
{
    private static readonly DateTimeOffset Now = Utc(2026, 3, 10, 12);

    private static GrantedBucket Grant(string id, long remaining, DateTimeOffset? expiresAt) =>
        new() { Id = id, Kind = BucketKind.Grant, Granted = remaining, Remaining = remaining, GrantedAt = Now.AddDays(-1), ExpiresAt = expiresAt };

    /// <summary>A yearly plan (next boundary Mar 31) with 100 left, and grants expiring before it, after it and never.</summary>
    private static AccountState Account() =>
        AccountState.Empty("cus_1Math").With(Yearly("sub_1Math", Utc(2026, 1, 31, 10), balance: 100)) with
        {
            Grants = [Grant("grant-never", 50, null), Grant("grant-late", 30, Utc(2026, 5, 1)), Grant("grant-soon", 20, Utc(2026, 3, 15))],
        };

    [Fact]
    public void InSpendOrder_SoonestExpiringFirst_PlanAtItsNextBoundary_NeverExpiringLast()
    {
        var order = Buckets.InSpendOrder(Account(), Now, CreditFunctions.Resets.ResetPolicy.DefaultRenewalGrace);

        Assert.Equal(["grant-soon", "plan-sub_1Math", "grant-late", "grant-never"], order.Select(b => b.Id));
        Assert.Equal(Utc(2026, 3, 31, 10), order[1].ExpiresAt);
    }

    [Fact]
    public void InSpendOrder_TiesGoToThePlanThenByBucketId()
    {
        var boundary = Utc(2026, 3, 31, 10);
        var account = Account() with { Grants = [Grant("grant-b", 1, boundary), Grant("grant-a", 1, boundary)] };

        Assert.Equal(["plan-sub_1Math", "grant-a", "grant-b"], Buckets.InSpendOrder(account, Now, CreditFunctions.Resets.ResetPolicy.DefaultRenewalGrace).Select(b => b.Id));
    }

    [Fact]
    public void Take_CrossesBucketsInSpendOrderAndSaysHowMuchFromEach()
    {
        var (account, parts) = Buckets.Take(Account(), 150, Now, CreditFunctions.Resets.ResetPolicy.DefaultRenewalGrace)!.Value;

        Assert.Equal([new LedgerPart("grant-soon", -20, 0), new LedgerPart("plan-sub_1Math", -100, 0), new LedgerPart("grant-late", -30, 0)], parts);
        Assert.Equal(50, Buckets.Available(account, Now, CreditFunctions.Resets.ResetPolicy.DefaultRenewalGrace));
    }

    [Fact]
    public void Take_MoreThanAvailable_TakesNothing()
    {
        Assert.Null(Buckets.Take(Account(), 201, Now, CreditFunctions.Resets.ResetPolicy.DefaultRenewalGrace));
        Assert.NotNull(Buckets.Take(Account(), 200, Now, CreditFunctions.Resets.ResetPolicy.DefaultRenewalGrace));
    }

    [Fact]
    public void Expire_GrantsPastTheirExpiryGoWithALedgerPart_SpentOnesGoSilently()
    {
        var account = Account() with { Grants = [.. Account().Grants, Grant("grant-spent", 0, null)] };

        var (after, expired) = Buckets.Expire(account, Utc(2026, 4, 1), CreditFunctions.Resets.ResetPolicy.DefaultRenewalGrace);

        var part = Assert.Single(expired);
        Assert.Equal((Utc(2026, 3, 15), new LedgerPart("grant-soon", -20, 0)), (part.At, part.Part));
        Assert.Equal(["grant-never", "grant-late"], after.Grants.Select(g => g.Id));
    }

    [Fact]
    public void Expire_AnEndedSubscriptionsPlanCreditsGo()
    {
        var account = Account();
        var ended = account.With(account.Find("sub_1Math")! is var s ? s with { Stripe = s.Stripe with { Status = SubscriptionStatus.Canceled } } : null!);

        var (after, expired) = Buckets.Expire(ended, Now, CreditFunctions.Resets.ResetPolicy.DefaultRenewalGrace);

        Assert.Contains(expired, e => e.Part == new LedgerPart("plan-sub_1Math", -100, 0));
        Assert.Equal(0, after.Find("sub_1Math")!.Balance);
        Assert.DoesNotContain(Buckets.InSpendOrder(after, Now, CreditFunctions.Resets.ResetPolicy.DefaultRenewalGrace), b => b.Kind == BucketKind.Plan);
    }
}
