using CreditFunctions.Scheduling;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Accounts;

/// <summary>
/// The level is judged once per change, on the balance the change leaves; expiring buckets are told when they enter the
/// window, however they got there, a bounded number per change; a customer's own threshold fields override the defaults
/// one by one.
/// </summary>
public class AccountEventsSettlingTests
{
    private const string Customer = "cus_1Settle";
    private static readonly DateTimeOffset Start = Utc(2026, 1, 31, 10);
    private static readonly ResetPolicy Policy = new();

    private static EventPolicy On(long? lowBelow = null, int? percent = null) => new(true, new AlertSettings(lowBelow, percent), TimeSpan.FromDays(7));

    private static CustomerAccount Load(EventPolicy events, long balance = 1000, IReadOnlyList<GrantedBucket>? grants = null)
    {
        var yearly = Yearly("sub_1Settle", Start, balance: balance, lastReset: Start);
        var state = AccountState.Empty(Customer).With(yearly with { Stripe = yearly.Stripe with { CustomerId = Customer } }) with
        {
            Grants = grants ?? [], AlertLevel = AlertLevel.Normal, LedgerSequence = 1, EventSequence = 4,
        };
        return new CustomerAccount(Customer, state, Policy, 99, events);
    }

    private static List<string> Told(CustomerAccount account) => [.. account.Changes.Events.Select(e => e.Type)];

    private static GrantedBucket Bucket(int n, DateTimeOffset expiresAt) =>
        new() { Id = $"grant-{n}", Kind = BucketKind.Grant, Granted = 1, Remaining = 1, GrantedAt = Start, ExpiresAt = expiresAt, Reason = "bulk" };

    [Fact]
    public void AMonthlyResetThatExpiresTheOldMonthsCredits_TellsNoDipAndNoRecovery()
    {
        var account = Load(On(lowBelow: 300), balance: 500); // normal: 500 is at or above 300

        account.ApplyDue(new ResetJob("run-1", ResetTrigger.Timer, Utc(2026, 3, 1, 2), DryRun: false, Policy));

        var told = Told(account);
        Assert.Contains(CreditEventTypes.Reset, told);
        Assert.DoesNotContain(CreditEventTypes.Low, told);
        Assert.DoesNotContain(CreditEventTypes.Depleted, told);
        Assert.DoesNotContain(CreditEventTypes.Recovered, told);
        Assert.Equal(AlertLevel.Normal, account.State.AlertLevel);
    }

    [Fact]
    public void AChangeThatEndsBelowTheThreshold_TellsLowOnce_AfterEverythingItDid()
    {
        var account = Load(On(lowBelow: 1500));
        account.Grant(new GrantRequest(600, "g", Utc(2026, 2, 27), "until the 27th"), Start); // 1,600: normal

        account.ApplyDue(new ResetJob("run-1", ResetTrigger.Timer, Utc(2026, 3, 1, 2), DryRun: false, Policy)); // the grant expires, the plan resets

        var after = account.Changes.Events.SkipWhile(e => e.Type != CreditEventTypes.Expired).ToList();
        Assert.Equal(CreditEventTypes.Low, after[^1].Type);
        Assert.Single(after, e => e.Type == CreditEventTypes.Low);
        Assert.Equal((1000L, account.State.LedgerSequence), (after[^1].Available, after[^1].LedgerSequence));
    }

    [Fact]
    public void AGrantMadeInsideTheExpiringWindow_IsToldWithTheGrant()
    {
        var account = Load(On());

        account.Grant(new GrantRequest(40, "short", Start.AddDays(3), "three days"), Start);

        Assert.Equal([CreditEventTypes.Granted, CreditEventTypes.GrantExpiring], Told(account));
        Assert.True(account.State.Grants.Single().ExpiringTold);
    }

    [Fact]
    public void MoreBucketsEnteringTheWindowThanOneChangeTells_AreToldByTheNextChanges_WhichAreDueAtOnce()
    {
        var expiry = Start.AddDays(30);
        var account = Load(On(), grants: [.. Enumerable.Range(1, 150).Select(n => Bucket(n, expiry.AddMinutes(n)))]);
        var now = Start.AddDays(25);

        account.ApplyDue(new ResetJob("run-1", ResetTrigger.Timer, now, DryRun: false, Policy));

        Assert.Equal(CustomerAccount.MaxExpiringPerChange, Told(account).Count(t => t == CreditEventTypes.GrantExpiring));
        Assert.Equal(Enumerable.Range(1, 100).Select(n => $"grant-{n}"), account.Changes.Events.Select(e => (string)e.Data["bucketId"]!)); // soonest first
        Assert.Equal(now, DuePlacement.OfAccount(account.State, now, On()));

        var next = new CustomerAccount(Customer, account.State, Policy, 99, On());
        next.ApplyDue(new ResetJob("run-2", ResetTrigger.Timer, now, DryRun: false, Policy));

        Assert.Equal(50, Told(next).Count(t => t == CreditEventTypes.GrantExpiring));
        Assert.Equal(expiry.AddMinutes(1), DuePlacement.OfAccount(next.State, now, On())); // all told: the first expiry is next
    }

    [Fact]
    public void AnUntoldBucketWhoseWindowBeganDaysAgo_IsDueNow()
    {
        var now = Start.AddDays(10);
        var state = Load(On(), grants: [Bucket(1, now.AddDays(2))]).State; // its window began five days ago

        Assert.Equal(now, DuePlacement.OfAccount(state, now, On()));
    }

    [Fact]
    public void ACustomersOwnThresholdField_OverridesOnlyThatField()
    {
        var account = Load(On(percent: 20)); // the default: 20 % of 1,000

        account.SetAlerts(new AlertSettings(50, null), Start.AddDays(1));
        Assert.Equal(200, account.LowThreshold); // its own 50 credits; the default's 20 % still counts, and is higher

        account.SetAlerts(new AlertSettings(50, 0), Start.AddDays(1));
        Assert.Equal(50, account.LowThreshold); // 0 turns the percentage off for this customer
    }
}
