using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Accounts;

/// <summary>
/// What the account tells the SaaS, as rules without storage: which change tells which event, thresholds in credits and in
/// percent of the allowances, once per crossing, numbered without gaps; nothing with events off.
/// </summary>
public class AccountEventsTests
{
    private const string Customer = "cus_1Told";
    private static readonly DateTimeOffset Start = Utc(2026, 1, 31, 10);
    private static readonly ResetPolicy Policy = new();

    private static EventPolicy On(long? lowBelow = null, int? percent = null) => new(true, new AlertSettings(lowBelow, percent), TimeSpan.FromDays(7));

    /// <summary>A yearly plan of 1,000 credits a month holding <paramref name="balance"/>, already looked at (level normal).</summary>
    private static CustomerAccount Load(EventPolicy events, long balance = 1000, IReadOnlyList<GrantedBucket>? grants = null, string? level = AlertLevel.Normal)
    {
        var yearly = Yearly("sub_1Told", Start, balance: balance, lastReset: Start);
        var state = AccountState.Empty(Customer).With(yearly with { Stripe = yearly.Stripe with { CustomerId = Customer } }) with
        {
            Grants = grants ?? [], AlertLevel = level, LedgerSequence = 1, EventSequence = 4,
        };
        return new CustomerAccount(Customer, state, Policy, 99, events);
    }

    private static List<string> Told(CustomerAccount account) => [.. account.Changes.Events.Select(e => e.Type)];

    private static void Spend(CustomerAccount account, long amount, string key, DateTimeOffset? at = null) =>
        Assert.Null(account.Spend(new SpendRequest(amount, key, null, null), at ?? Start.AddDays(1)).Refusal);

    [Fact]
    public void ASpendCrossingTheThreshold_TellsLowOnce_NumberedNextWithTheBalanceAfter()
    {
        var account = Load(On(lowBelow: 300));

        Spend(account, 600, "s1"); // 400: still at or above 300
        Spend(account, 150, "s2"); // 250: below
        Spend(account, 50, "s3");  // 200: still low, nothing new

        var low = Assert.Single(account.Changes.Events);
        Assert.Equal((CreditEventTypes.Low, 5L, 250L, 3L), (low.Type, low.Sequence, low.Available, low.LedgerSequence));
        Assert.Equal("ce_cus_1Told_5", low.Id);
        Assert.Equal((300L, (object?)AlertLevel.Normal), ((long)low.Data["threshold"]!, low.Data["previousLevel"]));
        Assert.Equal(AlertLevel.Low, account.State.AlertLevel);
    }

    [Fact]
    public void SpendingTheLastCredit_TellsLowAndDepleted_AndAGrantBack_Recovered()
    {
        var account = Load(On(lowBelow: 300));

        Spend(account, 1000, "all");
        Assert.Equal([CreditEventTypes.Low, CreditEventTypes.Depleted], Told(account));

        account.Grant(new GrantRequest(100, "g1", null, "sorry"), Start.AddDays(2)); // 100: above 0 but below 300: still low
        account.Grant(new GrantRequest(250, "g2", null, "top-up"), Start.AddDays(2)); // 350: recovered

        Assert.Equal([CreditEventTypes.Low, CreditEventTypes.Depleted, CreditEventTypes.Granted, CreditEventTypes.Granted, CreditEventTypes.Recovered], Told(account));
        Assert.Equal(Enumerable.Range(5, 5).Select(i => (long)i), account.Changes.Events.Select(e => e.Sequence));
    }

    [Fact]
    public void WithoutAThreshold_OnlyDepletedAndRecoveredAreTold()
    {
        var account = Load(On());

        Spend(account, 999, "most");
        Spend(account, 1, "last");
        account.Grant(new GrantRequest(1, "g", null, "one"), Start.AddDays(2));

        Assert.Equal([CreditEventTypes.Depleted, CreditEventTypes.Granted, CreditEventTypes.Recovered], Told(account));
    }

    [Theory]
    [InlineData(10, 100)] // 10 % of 1,000
    [InlineData(15, 150)]
    public void APercentThreshold_IsThatShareOfThePlansAllowances(int percent, long threshold)
    {
        var account = Load(On(percent: percent));

        Assert.Equal(threshold, account.LowThreshold);
        Spend(account, 1000 - threshold, "to-the-line");
        Assert.Empty(account.Changes.Events); // at the threshold is not below it
        Spend(account, 1, "one-below");
        Assert.Equal([CreditEventTypes.Low], Told(account));
    }

    [Fact]
    public void TheHigherOfCreditsAndPercent_Counts_AndACustomersOwnOverridesTheDefault()
    {
        var account = Load(On(lowBelow: 50, percent: 20)); // 200 of 1,000 beats 50

        Assert.Equal(200, account.LowThreshold);
        account.SetAlerts(new AlertSettings(700, null), Start.AddDays(1));
        Assert.Equal(700, account.LowThreshold);
        Spend(account, 301, "below-700");
        Assert.Equal([CreditEventTypes.Low], Told(account));
    }

    [Fact]
    public void RaisingTheThresholdAboveTheBalance_TellsLowAtOnce()
    {
        var account = Load(On(), balance: 400);

        account.SetAlerts(new AlertSettings(500, null), Start.AddDays(1));

        var low = Assert.Single(account.Changes.Events);
        Assert.Equal((CreditEventTypes.Low, 400L), (low.Type, low.Available));
    }

    [Fact]
    public void TheFirstLook_SetsTheLevelWithoutTelling()
    {
        var account = Load(On(lowBelow: 2000), level: null); // already below when events start looking

        Spend(account, 10, "first");

        Assert.Empty(account.Changes.Events);
        Assert.Equal(AlertLevel.Low, account.State.AlertLevel);
    }

    [Fact]
    public void AGrantExpiringWithinTheWindow_IsToldOncePerBucket_AndItsExpiryTellsExpired()
    {
        var promo = new GrantedBucket { Id = "grant-2", Kind = BucketKind.Grant, Granted = 40, Remaining = 40, GrantedAt = Start, ExpiresAt = Utc(2026, 2, 20), Reason = "promo" };
        var account = Load(On(), grants: [promo]);

        account.ApplyDue(new ResetJob("run-1", ResetTrigger.Timer, Utc(2026, 2, 12, 2), DryRun: false, Policy)); // 8 days before: not yet
        account.ApplyDue(new ResetJob("run-2", ResetTrigger.Timer, Utc(2026, 2, 14, 2), DryRun: false, Policy)); // 6 days before
        account.ApplyDue(new ResetJob("run-3", ResetTrigger.Timer, Utc(2026, 2, 15, 2), DryRun: false, Policy)); // told already
        account.ApplyDue(new ResetJob("run-4", ResetTrigger.Timer, Utc(2026, 2, 21, 2), DryRun: false, Policy));

        Assert.Equal([CreditEventTypes.GrantExpiring, CreditEventTypes.Expired], Told(account).Where(t => t != CreditEventTypes.Reset));
        Assert.Equal(40L, account.Changes.Events.Single(e => e.Type == CreditEventTypes.GrantExpiring).Data["remaining"]);
    }

    [Fact]
    public void ARefusedSpendOrADryRun_TellsNothing()
    {
        var account = Load(On(lowBelow: 300));

        Assert.NotNull(account.Spend(new SpendRequest(5000, "too-much", null, null), Start.AddDays(1)).Refusal);
        account.ApplyDue(new ResetJob("dry", ResetTrigger.Manual, Utc(2026, 3, 1, 2), DryRun: true, Policy));

        Assert.Empty(account.Changes.Events);
    }

    [Fact]
    public void EventsOff_TellNothing_AndKeepNoLevel()
    {
        var account = Load(EventPolicy.Off, level: null);

        Spend(account, 1000, "all");
        account.ApplyDue(new ResetJob("run-1", ResetTrigger.Timer, Utc(2026, 3, 1, 2), DryRun: false, Policy));

        Assert.Empty(account.Changes.Events);
        Assert.Equal((4L, (string?)null), (account.State.EventSequence, account.State.AlertLevel));
    }
}
