using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Accounts;

/// <summary>
/// Auto top-up as rules, without storage or Stripe: one top-up per crossing of the threshold, never two in flight, never a
/// chain of them, a failure loud and blocking until the balance has risen again (or an operator retries), and at most
/// maxPerMonth started a calendar month.
/// </summary>
public class TopUpRulesTests
{
    private const string Customer = "cus_1TopUp";
    private static readonly DateTimeOffset Start = Utc(2026, 1, 31, 10);
    private static readonly DateTimeOffset Now = Utc(2026, 2, 3, 12);
    private static readonly ResetPolicy Policy = new();
    private static readonly EventPolicy Events = new(true, AlertSettings.None, TimeSpan.FromDays(7));

    /// <summary>A yearly plan of 1,000 a month holding <paramref name="plan"/>, auto top-up set as given (below 100, 2 a month by default).</summary>
    private static CustomerAccount Load(long plan = 1000, TopUpState? topUps = null, bool stripeWork = true, string level = AlertLevel.Normal)
    {
        var yearly = Yearly("sub_1TopUp", Start, balance: plan, lastReset: Start);
        var state = AccountState.Empty(Customer).With(yearly with { Stripe = yearly.Stripe with { CustomerId = Customer } }) with
        {
            LedgerSequence = 1, AlertLevel = level, TopUps = topUps ?? new TopUpState { Settings = Settings() },
        };
        return new CustomerAccount(Customer, state, Policy, 99, Events, stripeWork);
    }

    private static AutoTopUpSettings Settings(bool enabled = true, int maxPerMonth = 2) => new(enabled, 100, "price_1Pack500", 1, maxPerMonth);

    private static CustomerAccount Next(CustomerAccount account) => new(Customer, account.State, Policy, 99, Events, stripeWork: true);

    private static void Spend(CustomerAccount account, long amount, string key, DateTimeOffset? at = null) =>
        Assert.Null(account.Spend(new SpendRequest(amount, key, null, null), at ?? Now).Refusal);

    private static void Grant(CustomerAccount account, long amount, string key, DateTimeOffset? at = null) =>
        Assert.Null(account.Grant(new GrantRequest(amount, key, null, "support"), at ?? Now).Refusal);

    private static void Paid(CustomerAccount account, string topUpId, long credits, DateTimeOffset? at = null) =>
        Assert.Null(account.GrantPurchase(new PackPurchase("in_1Paid" + topUpId[^1], null, [new PackLine(credits, null)], topUpId), "evt_1Paid", at ?? Now).Refusal);

    [Fact]
    public void ASpendLeavingAvailableBelowTheThreshold_StartsOneTopUp_InTheSameChange_AndHandsItToStripe()
    {
        var account = Load(150);

        Spend(account, 40, "s1"); // 110: not below 100
        Assert.Null(account.State.TopUps!.InFlight);
        Spend(account, 20, "s2"); // 90: below

        var started = account.State.TopUps!.InFlight!;
        Assert.Equal(($"tu_{Customer}_1", TopUpTrigger.Threshold, 90L, "price_1Pack500", 1L, TopUpStatus.Pending),
            (started.Id, started.Trigger, started.AvailableAtRequest, started.PriceId, started.Quantity, started.Status));
        Assert.Equal(("2026-02", 1), (account.State.TopUps.Month, account.State.TopUps.StartedInMonth));
        Assert.True(account.Changes.StripeWork);
    }

    [Fact]
    public void WithATopUpInFlight_FurtherSpendsBelowTheThreshold_StartNoOther()
    {
        var account = Load(150);
        Spend(account, 60, "s1");
        var first = account.State.TopUps!.InFlight;

        var later = Next(account);
        Spend(later, 30, "s2");
        Spend(later, 30, "s3");

        Assert.Equal(first, later.State.TopUps!.InFlight);
        Assert.False(later.Changes.StripeWork);
        Assert.Equal(1, later.State.TopUps.StartedInMonth);
    }

    [Fact]
    public void TurnedOnWhileBelowTheThreshold_StartsATopUpAtOnce_TurnedOnAboveStartsNone()
    {
        var below = Load(50, new TopUpState());
        var above = Load(500, new TopUpState());

        Assert.Null(below.SetAutoTopUp(Settings(), Now).Refusal);
        Assert.Null(above.SetAutoTopUp(Settings(), Now).Refusal);

        Assert.NotNull(below.State.TopUps!.InFlight);
        Assert.Null(above.State.TopUps!.InFlight);
    }

    [Fact]
    public void TurnedOff_NoTopUpStarts_HoweverLowTheBalance()
    {
        var account = Load(150, new TopUpState { Settings = Settings(enabled: false) });

        Spend(account, 150, "s1");

        Assert.Null(account.State.TopUps!.InFlight);
        Assert.False(account.Changes.StripeWork);
    }

    [Fact]
    public void WithoutTheStripeHandOff_NoTopUpStarts()
    {
        var account = Load(150, stripeWork: false);

        Spend(account, 150, "s1");

        Assert.Null(account.State.TopUps!.InFlight);
    }

    [Fact]
    public void APaidTopUpThatLiftsAvailableAboveTheThreshold_ClosesAsSucceeded_AndTheNextCrossingStartsAnother()
    {
        var account = Load(150);
        Spend(account, 60, "s1"); // 90: top-up 1
        Paid(account, $"tu_{Customer}_1", 500); // 590

        Assert.Null(account.State.TopUps!.InFlight);
        Assert.Equal((TopUpStatus.Succeeded, "in_1Paid1"), (account.State.TopUps.Last!.Status, account.State.TopUps.Last.InvoiceId));
        Assert.False(account.State.TopUps.AwaitingRise);

        Spend(account, 500, "s2"); // 90: crossed again
        Assert.Equal($"tu_{Customer}_2", account.State.TopUps!.InFlight!.Id);
    }

    [Fact]
    public void APaidTopUpThatLeavesAvailableStillBelow_StartsNoChainOfTopUps_UntilAvailableHasRisenAndFallenAgain()
    {
        var account = Load(150, new TopUpState { Settings = Settings(maxPerMonth: 10) });
        Spend(account, 100, "s1"); // 50: top-up 1
        Paid(account, $"tu_{Customer}_1", 20); // 70: still below 100

        Assert.Null(account.State.TopUps!.InFlight);
        Assert.True(account.State.TopUps.AwaitingRise);
        Spend(account, 10, "s2");
        Assert.Null(account.State.TopUps!.InFlight); // no second top-up for the same crossing

        Grant(account, 100, "g1"); // 160: risen
        Assert.False(account.State.TopUps!.AwaitingRise);
        Spend(account, 100, "s3"); // 60: a new crossing
        Assert.Equal($"tu_{Customer}_2", account.State.TopUps!.InFlight!.Id);
    }

    [Fact]
    public void AFailedTopUp_IsToldWithItsReason_AndBlocksTheNextUntilAvailableHasRisenToTheThreshold()
    {
        var account = Load(150);
        Spend(account, 60, "s1");
        var id = account.State.TopUps!.InFlight!.Id;
        Assert.True(account.TopUpInvoiced(id, "in_1Declined"));

        Assert.True(account.TopUpFailed(id, TopUpFailure.CardDeclined, "Your card has insufficient funds.", Now));
        Assert.False(account.TopUpFailed(id, TopUpFailure.CardDeclined, "again", Now)); // closed once

        var told = Assert.Single(account.Changes.Events, e => e.Type == CreditEventTypes.TopUpFailed);
        Assert.Equal((id, TopUpFailure.CardDeclined, "in_1Declined", 90L), ((string?)told.Data["topUpId"], (string?)told.Data["reason"], (string?)told.Data["invoiceId"], told.Available));
        Assert.Equal((TopUpStatus.Failed, TopUpFailure.CardDeclined), (account.State.TopUps!.Last!.Status, account.State.TopUps.Last.Reason));

        Spend(account, 50, "s2"); // still below: no retry storm
        Assert.Null(account.State.TopUps!.InFlight);
        Grant(account, 20, "g1"); // 60: still below
        Assert.True(account.State.TopUps!.AwaitingRise);
        Grant(account, 100, "g2"); // 160: risen to the threshold
        Assert.False(account.State.TopUps!.AwaitingRise);
        Spend(account, 70, "s3"); // 90: crossed again
        Assert.Equal($"tu_{Customer}_2", account.State.TopUps!.InFlight!.Id);
    }

    [Fact]
    public void AnOperatorsRetry_StartsATopUpDespiteTheBlock_AndAnswersTheOneInFlightInsteadOfASecond()
    {
        var account = Load(150, new TopUpState { Settings = Settings(maxPerMonth: 5) });
        Spend(account, 60, "s1");
        account.TopUpFailed($"tu_{Customer}_1", TopUpFailure.RequiresAction, "3-D Secure", Now);

        var retried = account.RetryTopUp(Now);
        var again = Next(account).RetryTopUp(Now);

        Assert.Equal(($"tu_{Customer}_2", TopUpTrigger.Operator), (retried.Value!.Id, retried.Value.Trigger));
        Assert.Equal(retried.Value, again.Value);
        Assert.Equal(2, account.State.TopUps!.StartedInMonth);
    }

    [Fact]
    public void Retry_IsRefused_WhenAutoTopUpIsOff_OrTheMonthsTopUpsAreUsed()
    {
        var off = Load(50, new TopUpState { Settings = Settings(enabled: false) });
        var used = Load(500, new TopUpState { Settings = Settings(maxPerMonth: 1), Month = "2026-02", StartedInMonth = 1, Sequence = 1 });

        Assert.Equal(new AutoTopUpOff(Customer, true), off.RetryTopUp(Now).Refusal);
        Assert.Equal(new TopUpLimitReached(Customer, 1, "2026-02"), used.RetryTopUp(Now).Refusal);
        Assert.Null(used.State.TopUps!.InFlight);
    }

    [Fact]
    public void PastMaxPerMonth_NoTopUpStarts_TheLimitIsToldOnceAMonth_AndANewMonthStartsAfresh()
    {
        var account = Load(150, new TopUpState { Settings = Settings(maxPerMonth: 1), Month = "2026-02", StartedInMonth = 1, Sequence = 1 });

        Spend(account, 60, "s1");
        Spend(account, 10, "s2");

        Assert.Null(account.State.TopUps!.InFlight);
        var told = Assert.Single(account.Changes.Events, e => e.Type == CreditEventTypes.TopUpFailed);
        Assert.Equal((null, TopUpFailure.MonthlyLimit), ((string?)told.Data["topUpId"], (string?)told.Data["reason"]));

        var march = Next(account);
        Spend(march, 950, "s3", Utc(2026, 3, 1, 0, 30)); // After the Feb 28 anniversary: 1,000 less 950
        Assert.Equal(("2026-03", 1, $"tu_{Customer}_2"), (march.State.TopUps!.Month, march.State.TopUps.StartedInMonth, march.State.TopUps.InFlight!.Id));
    }

    [Fact]
    public void AResetsExpiryAndNewAllowance_AreOneChange_ThatStartsNoTopUp()
    {
        // The plan holds 50 (below 100) at the anniversary: the old month expires and 1,000 arrive in one settled change.
        var account = Load(50, new TopUpState { Settings = Settings() });
        account.ApplyDue(new ResetJob("run-1", ResetTrigger.Timer, Utc(2026, 2, 28, 10), DryRun: false, Policy));

        Assert.Equal(1000, account.Available(Utc(2026, 2, 28, 10)));
        Assert.Null(account.State.TopUps!.InFlight);
    }
}
