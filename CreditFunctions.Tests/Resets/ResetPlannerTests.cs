using CreditFunctions.Subscriptions;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Resets;

public class ResetPlannerTests
{
    private static readonly DateTimeOffset Start = Utc(2025, 1, 31, 10);

    [Fact]
    public void Plan_DayAfterBoundary_AppliesThatBoundary()
    {
        var decision = ResetPlanner.Plan(Yearly("sub_a", Start), Utc(2025, 3, 1, 2), new ResetPolicy(AllowPastDue: false));

        Assert.Equal(Utc(2025, 2, 28, 10), decision.Boundary);
        Assert.Empty(decision.SkippedBoundaries);
        Assert.Equal(Utc(2025, 3, 31, 10), decision.NextCheck);
    }

    [Fact]
    public void Plan_BeforeBoundaryInstantOnItsDay_IsNotDueYet()
    {
        var decision = ResetPlanner.Plan(Yearly("sub_a", Start), Utc(2025, 2, 28, 2), new ResetPolicy(AllowPastDue: false));

        Assert.Null(decision.Boundary);
        Assert.Equal(SkipReason.NotDue, decision.SkipReason);
        Assert.Equal(Utc(2025, 2, 28, 10), decision.NextCheck);
    }

    [Fact]
    public void Plan_BoundaryAlreadyApplied_IsAlreadyAppliedAndSchedulesNext()
    {
        var subscription = Yearly("sub_a", Start, lastReset: Utc(2025, 2, 28, 10));

        var decision = ResetPlanner.Plan(subscription, Utc(2025, 3, 2, 2), new ResetPolicy(AllowPastDue: false));

        Assert.Null(decision.Boundary);
        Assert.Equal(SkipReason.AlreadyApplied, decision.SkipReason);
        Assert.Equal(Utc(2025, 3, 31, 10), decision.NextCheck);
    }

    [Fact]
    public void Plan_AfterMonthsDown_AppliesOnlyLatestAndListsSkipped()
    {
        var decision = ResetPlanner.Plan(Yearly("sub_a", Start), Utc(2025, 6, 15, 2), new ResetPolicy(AllowPastDue: false));

        Assert.Equal(Utc(2025, 5, 31, 10), decision.Boundary);
        Assert.Equal([Utc(2025, 2, 28, 10), Utc(2025, 3, 31, 10), Utc(2025, 4, 30, 10)], decision.SkippedBoundaries);
        Assert.Equal(Utc(2025, 6, 30, 10), decision.NextCheck); // from the period start, not from today: no drift
    }

    [Fact]
    public void Plan_AfterCatchUp_NextMonthContinuesFromPeriodStart()
    {
        var caughtUp = Yearly("sub_a", Start, lastReset: Utc(2025, 5, 31, 10));

        var decision = ResetPlanner.Plan(caughtUp, Utc(2025, 7, 1, 2), new ResetPolicy(AllowPastDue: false));

        Assert.Equal(Utc(2025, 6, 30, 10), decision.Boundary);
        Assert.Empty(decision.SkippedBoundaries);
    }

    [Fact]
    public void Plan_YearsOfDowntimePastPeriodEnd_WaitsForRenewalInsteadOfResetting()
    {
        var decision = ResetPlanner.Plan(Yearly("sub_a", Start), Utc(2028, 4, 1, 2), new ResetPolicy(AllowPastDue: false));

        Assert.Null(decision.Boundary);
        Assert.True(decision.NeedsStripe);
        Assert.Equal(SkipReason.AwaitingRenewal, decision.SkipReason);
        Assert.Equal(Utc(2028, 4, 2), decision.NextCheck); // the start of the next UTC day: whatever minute tomorrow's run starts at, it looks
        Assert.Equal(Start.AddYears(1), decision.WaitingSince);
    }

    [Theory]
    [InlineData("paused", false, false)]
    [InlineData("unpaid", false, false)]
    [InlineData("active", true, false)]
    [InlineData("active", false, true)]
    public void Plan_PeriodEndedForASubscriptionStripeWillNotRenew_IsNoWaitOnStripe_AndIsLookedAtWeeklyAfterAWeek(string status, bool cancelAtPeriodEnd, bool collectionPaused)
    {
        var yearly = Yearly("sub_a", Start, status);
        var subscription = yearly with { Stripe = yearly.Stripe with { CancelAtPeriodEnd = cancelAtPeriodEnd, CollectionPaused = collectionPaused } };

        var dayAfter = ResetPlanner.Plan(subscription, Start.AddYears(1).AddDays(1), new ResetPolicy());
        var weekAfter = ResetPlanner.Plan(subscription, Start.AddYears(1).AddDays(8), new ResetPolicy());

        Assert.Equal(SkipReason.AwaitingRenewal, dayAfter.SkipReason);
        Assert.Null(dayAfter.WaitingSince);
        Assert.Equal(Utc(2026, 2, 2), dayAfter.NextCheck);
        Assert.Equal(Utc(2026, 2, 8).AddDays(7), weekAfter.NextCheck);
    }

    [Fact]
    public void Plan_LastBoundaryOfYear_NextCheckIsPeriodEnd()
    {
        var decision = ResetPlanner.Plan(Yearly("sub_a", Start), Utc(2026, 1, 1, 2), new ResetPolicy(AllowPastDue: false));

        Assert.Equal(Utc(2025, 12, 31, 10), decision.Boundary);
        Assert.Equal(10, decision.SkippedBoundaries.Count);
        Assert.Equal(Start.AddYears(1), decision.NextCheck);
    }

    [Fact]
    public void Plan_MonthlyPlan_HasNoInPeriodResetAndChecksAtPeriodEnd()
    {
        var decision = ResetPlanner.Plan(Monthly("sub_m", Start), Utc(2025, 2, 20), new ResetPolicy(AllowPastDue: false));

        Assert.Null(decision.Boundary);
        Assert.Equal(SkipReason.NotDue, decision.SkipReason);
        Assert.Equal(Utc(2025, 2, 28, 10), decision.NextCheck);
    }

    [Theory]
    [InlineData(SubscriptionStatus.Active, false, true)]
    [InlineData(SubscriptionStatus.Trialing, false, true)]
    [InlineData(SubscriptionStatus.PastDue, false, false)]
    [InlineData(SubscriptionStatus.PastDue, true, true)]
    [InlineData(SubscriptionStatus.Unpaid, true, false)]
    [InlineData(SubscriptionStatus.Paused, true, false)]
    [InlineData(SubscriptionStatus.Incomplete, true, false)]
    public void Plan_StatusPolicy_DecidesWhetherDueBoundaryApplies(string status, bool allowPastDue, bool applies)
    {
        var decision = ResetPlanner.Plan(Yearly("sub_a", Start, status), Utc(2025, 3, 1, 2), new ResetPolicy(allowPastDue));

        Assert.Equal(applies, decision.Boundary is not null);
        if (!applies)
        {
            Assert.Equal("status:" + status, decision.SkipReason);
            Assert.Equal(Utc(2025, 3, 31, 10), decision.NextCheck); // looked at again next month
        }
    }

    [Theory]
    [InlineData(SubscriptionStatus.Canceled)]
    [InlineData(SubscriptionStatus.IncompleteExpired)]
    public void Plan_TerminalStatus_SkipsAndLeavesTheSchedule(string status)
    {
        var decision = ResetPlanner.Plan(Yearly("sub_a", Start, status), Utc(2025, 3, 1, 2), new ResetPolicy(AllowPastDue: true));

        Assert.Null(decision.Boundary);
        Assert.Equal("status:" + status, decision.SkipReason);
        Assert.Null(decision.NextCheck);
    }

    [Fact]
    public void Plan_UnknownPlan_SkipsWithReason()
    {
        var decision = ResetPlanner.Plan(Yearly("sub_a", Start, allowance: null), Utc(2025, 3, 1, 2), new ResetPolicy(AllowPastDue: false));

        Assert.Null(decision.Boundary);
        Assert.Equal(SkipReason.UnknownPlan, decision.SkipReason);
    }

    [Fact]
    public void Plan_NeverReset_ImportedSubscription_AppliesLatestDue()
    {
        var imported = Yearly("sub_a", Start) with { LastResetBoundary = null };

        var decision = ResetPlanner.Plan(imported, Utc(2025, 4, 1, 2), new ResetPolicy(AllowPastDue: false));

        Assert.Equal(Utc(2025, 3, 31, 10), decision.Boundary);
        Assert.Equal([Start, Utc(2025, 2, 28, 10)], decision.SkippedBoundaries); // boundary 0 too: it was never given here
    }

    [Fact]
    public void Plan_WeeklyPrice_IsRefusedAsUnsupportedInterval()
    {
        var yearly = Yearly("sub_w", Start, lastReset: Start.AddDays(-7));
        var weekly = yearly with { Stripe = yearly.Stripe with { Interval = BillingInterval.Week, PeriodEnd = Start.AddDays(7) }, PaidPeriodStart = Start };

        var decision = ResetPlanner.Plan(weekly, Start.AddMinutes(5), new ResetPolicy());

        Assert.Null(decision.Boundary);
        Assert.Equal(SkipReason.UnsupportedInterval, decision.SkipReason);
    }
}
