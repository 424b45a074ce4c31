using CreditFunctions.Subscriptions;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Accounts;

/// <summary>
/// The account's rules as specifications, without storage: each verb at an instant passed in, what it answers, what it
/// changes and what it records for save (ledger entries, reset records, keys, the Stripe event, the purchase).
/// </summary>
public class CustomerAccountTests
{
    private const string Customer = "cus_1Unit";
    private static readonly DateTimeOffset Start = Utc(2026, 1, 31, 10);
    private static readonly ResetPolicy Policy = new();

    private static CustomerAccount Load(AccountState? state, int capacity = 99) => new(Customer, state, Policy, capacity);

    /// <summary>A yearly plan of 1,000 credits a month started Jan 31 10:00 (its first allowance given), holding <paramref name="balance"/>.</summary>
    private static AccountState WithYearlyPlan(long balance = 1000, int rolloverMax = 0, IReadOnlyList<GrantedBucket>? grants = null)
    {
        var yearly = Yearly("sub_1Unit", Start, balance: balance, lastReset: Start);
        return AccountState.Empty(Customer).With(yearly with { Stripe = yearly.Stripe with { CustomerId = Customer, RolloverMax = rolloverMax } }) with
        {
            Grants = grants ?? [],
        };
    }

    private static GrantedBucket Grant(string id, long remaining, DateTimeOffset? expiresAt, string kind = BucketKind.Grant) =>
        new() { Id = id, Kind = kind, Granted = remaining, Remaining = remaining, GrantedAt = Start, ExpiresAt = expiresAt };

    private static StripeView View(int allowance, DateTimeOffset periodStart, string interval = BillingInterval.Year, DateTimeOffset? asOf = null) => new()
    {
        Id = "sub_1Unit",
        CustomerId = Customer,
        PriceId = "price_" + allowance,
        Interval = interval,
        Status = SubscriptionStatus.Active,
        PeriodStart = periodStart,
        PeriodEnd = interval == BillingInterval.Year ? periodStart.AddYears(1) : periodStart.AddMonths(1),
        MonthlyAllowance = allowance,
        AsOf = asOf ?? periodStart,
    };

    private static ResetJob Job(DateTimeOffset at, bool dryRun = false) => new("run-1", ResetTrigger.Timer, at, dryRun, Policy);

    [Fact]
    public void Spend_TakesTheSoonestExpiringFirst_AndRecordsItsEntryAndKey()
    {
        var account = Load(WithYearlyPlan(grants: [Grant("grant-soon", 50, Start.AddDays(5)), Grant("grant-never", 500, null)]));

        var spent = account.Spend(new SpendRequest(300, "key-1", "report", null), Start.AddDays(1));

        Assert.Null(spent.Refusal);
        Assert.Equal([new LedgerPart("grant-soon", -50, 0), new LedgerPart("plan-sub_1Unit", -250, 750)], spent.Value!.Parts);
        Assert.Equal((1250L, 1L), (spent.Value.Available, spent.Value.LedgerSequence));
        var entry = Assert.Single(account.Changes.Ledger);
        Assert.Equal((LedgerKind.Spend, -300L, "key-1", "report"), (entry.Kind, entry.Amount, entry.IdempotencyKey, entry.Reason));
        var key = Assert.Single(account.Changes.Keys);
        Assert.Equal(("key-1", SpendRequest.Operation, spent.Value), (key.Key, key.Operation, key.Answer));
    }

    [Fact]
    public void Spend_MoreThanAvailable_IsRefusedWithWhatIsThere_AndChangesNothing()
    {
        var state = WithYearlyPlan(balance: 40);
        var account = Load(state);

        var refused = account.Spend(new SpendRequest(41, "key-1", null, null), Start.AddDays(1));

        Assert.Equal(new InsufficientCredits(Customer, 40, 41), refused.Refusal);
        Assert.True(account.State.SameContent(state));
        Assert.False(account.IsChanged);
    }

    [Fact]
    public void Spend_ByACustomerNotStored_IsCustomerNotFound()
    {
        var account = Load(null);

        Assert.Equal(new CustomerNotFound(Customer), account.Spend(new SpendRequest(1, "k", null, null), Start).Refusal);
        Assert.False(account.IsChanged);
    }

    [Fact]
    public void Spend_AtHalfPastMidnightOnTheAnniversary_SpendsTheNewMonthsCredits()
    {
        var account = Load(WithYearlyPlan(balance: 10));

        var spent = account.Spend(new SpendRequest(500, "k", null, null), Utc(2026, 2, 28, 10, 30));

        Assert.Equal(500, spent.Value!.Available);
        var reset = Assert.Single(account.Changes.Resets);
        Assert.Equal((Utc(2026, 2, 28, 10), 10L, 1000L, ResetTrigger.Api, "k"), (reset.Boundary, reset.BalanceBefore, reset.BalanceAfter, reset.Trigger, reset.RunId));
        Assert.Equal([LedgerKind.Reset, LedgerKind.Spend], account.Changes.Ledger.Select(e => e.Kind));
    }

    [Fact]
    public void Grant_CreatesTheCustomer_AndAnAdjustmentTakesBackInSpendOrderNeverBelowZero()
    {
        var account = Load(null);

        var granted = account.Grant(new GrantRequest(100, "g", null, "welcome"), Start);
        var tooMuch = account.Grant(new GrantRequest(-101, "a1", null, "correction"), Start);
        var adjusted = account.Grant(new GrantRequest(-40, "a2", null, "correction"), Start);

        Assert.Equal(("grant", 100L), (granted.Value!.Kind, granted.Value.Available));
        Assert.Equal(new InsufficientCredits(Customer, 100, 101), tooMuch.Refusal);
        Assert.Equal(("adjustment", -40L, 60L), (adjusted.Value!.Kind, adjusted.Value.Amount, adjusted.Value.Available));
        Assert.True(account.Exists);
        Assert.Equal(["g", "a2"], account.Changes.Keys.Select(k => k.Key));
    }

    [Fact]
    public void Grant_PastTheOpenGrantsCap_IsTooManyGrants()
    {
        var full = Enumerable.Range(0, AccountLimits.MaxOpenGrants).Select(i => Grant($"grant-{i}", 1, null)).ToList();
        var account = Load(WithYearlyPlan(grants: full));

        Assert.Equal(new TooManyGrants(Customer, AccountLimits.MaxOpenGrants), account.Grant(new GrantRequest(5, "k", null, "r"), Start).Refusal);
    }

    [Fact]
    public void ApplyDue_ABoundaryThatPassed_SetsThePlanToTheAllowanceOnceAndRecordsIt()
    {
        var account = Load(WithYearlyPlan(balance: 17));

        var outcomes = account.ApplyDue(Job(Utc(2026, 3, 1, 2)));
        var again = account.ApplyDue(Job(Utc(2026, 3, 1, 3)));

        var reset = outcomes["sub_1Unit"].Applied!;
        Assert.Equal((Utc(2026, 2, 28, 10), 17L, 1000L), (reset.Boundary, reset.BalanceBefore, reset.BalanceAfter));
        Assert.Empty(again);
        Assert.Single(account.Changes.Resets);
        Assert.Equal(1000, account.State.Find("sub_1Unit")!.Balance);
        Assert.Equal((LedgerKind.Reset, 983L), (account.Changes.Ledger[0].Kind, account.Changes.Ledger[0].Amount));
    }

    [Fact]
    public void ApplyDue_DryRun_PlansAndChangesNothing()
    {
        var state = WithYearlyPlan(balance: 3);
        var account = Load(state);

        var outcomes = account.ApplyDue(Job(Utc(2026, 3, 1, 2), dryRun: true));

        Assert.Equal(new PlannedReset("sub_1Unit", Utc(2026, 2, 28, 10), 3, 1000), outcomes["sub_1Unit"].Planned);
        Assert.False(account.IsChanged);
    }

    [Fact]
    public void ApplyDue_AfterMonthsDown_AppliesTheLatestBoundaryAndListsThePassedOnes()
    {
        var account = Load(WithYearlyPlan());

        var reset = account.ApplyDue(Job(Utc(2026, 6, 10, 2)))["sub_1Unit"].Applied!;

        Assert.Equal(Utc(2026, 5, 31, 10), reset.Boundary);
        Assert.Equal([Utc(2026, 2, 28, 10), Utc(2026, 3, 31, 10), Utc(2026, 4, 30, 10)], reset.SkippedBoundaries);
    }

    [Fact]
    public void ApplyDue_WhenTheSaveIsFull_DefersTheResetToTheNextWrite()
    {
        var account = Load(WithYearlyPlan(), capacity: 6);

        var outcome = account.ApplyDue(Job(Utc(2026, 3, 1, 2)), ["sub_1Unit"])["sub_1Unit"];

        Assert.Equal(SkipReason.Deferred, outcome.SkipReason);
        Assert.Empty(account.Changes.Resets);
    }

    [Theory]
    [InlineData(300, 700, 300)] // the cap is hit: 300 of the unused 700 roll over
    [InlineData(900, 700, 700)] // all of the unused 700 fit under the cap
    public void Rollover_MovesUnusedCreditsUpToTheCap_AndTheyExpireAtTheNextBoundary(int cap, long unused, long rolled)
    {
        var account = Load(WithYearlyPlan(balance: unused, rolloverMax: cap));

        account.ApplyDue(Job(Utc(2026, 3, 1, 2)));

        var rollover = Assert.Single(account.State.Grants);
        Assert.Equal((BucketKind.Rollover, rolled, Utc(2026, 3, 31, 10)), (rollover.Kind, rollover.Remaining, rollover.ExpiresAt));
        Assert.Equal(1000 + rolled, account.Available(Utc(2026, 3, 1, 2)));
        Assert.Equal(1000 + rolled, account.Available(Utc(2026, 3, 31, 9))); // still there just before the next boundary
        Assert.Equal([LedgerKind.Rollover, LedgerKind.Reset], account.Changes.Ledger.Select(e => e.Kind));

        // Spends take the rollover before the fresh allowance; at the next boundary what is left of it expires.
        var spent = account.Spend(new SpendRequest(rolled + 10, "after", null, null), Utc(2026, 3, 2));
        Assert.Equal(["rollover-sub_1Unit", "plan-sub_1Unit"], spent.Value!.Parts.Select(p => p.BucketId));
    }

    [Fact]
    public void Rollover_LeftOverAtTheNextBoundary_ExpiresThen_AndDoesNotPileUp()
    {
        var account = Load(WithYearlyPlan(balance: 1000, rolloverMax: 300));
        account.ApplyDue(Job(Utc(2026, 3, 1, 2)));

        account.ApplyDue(Job(Utc(2026, 4, 1, 2))); // Mar 31: the 300 rolled in February expire, 300 of the unused 1000 roll again

        Assert.Equal(300, Assert.Single(account.State.Grants).Remaining);
        Assert.Contains(account.Changes.Ledger, e => e.Kind == LedgerKind.Expiry && e.Amount == -300);
        Assert.Equal(1300, account.Available(Utc(2026, 4, 1, 2)));
    }

    [Fact]
    public void Upgrade_WithinThePeriod_RaisesThePlanBucketAtOnceByTheDifference_Once()
    {
        var account = Load(WithYearlyPlan(balance: 200));
        var now = Utc(2026, 2, 10);

        var upgraded = account.SyncSubscription(View(1500, Start, asOf: now), "evt_1Up", isCreation: false, resolveTies: false, null, null, now);
        var again = account.SyncSubscription(View(1500, Start, asOf: now.AddHours(1)), "evt_1Up2", isCreation: false, resolveTies: false, null, null, now.AddHours(1));

        Assert.Equal((SyncOutcome.Applied, SyncOutcome.Applied), (upgraded.Outcome, again.Outcome));
        Assert.Equal(700, account.State.Find("sub_1Unit")!.Balance);
        var entry = Assert.Single(account.Changes.Ledger);
        Assert.Equal((LedgerKind.Upgrade, 500L, "evt_1Up"), (entry.Kind, entry.Amount, entry.RunId));
    }

    [Fact]
    public void Downgrade_WithinThePeriod_KeepsWhatWasPaidForUntilTheNextBoundary_ThenGrantsTheSmallerPlan()
    {
        var account = Load(WithYearlyPlan(balance: 800));

        account.SyncSubscription(View(400, Start, asOf: Utc(2026, 2, 10)), "evt_1Down", isCreation: false, resolveTies: false, null, null, Utc(2026, 2, 10));
        var before = account.State.Find("sub_1Unit")!.Balance;
        account.ApplyDue(Job(Utc(2026, 3, 1, 2)));

        Assert.Equal(800, before);
        Assert.Equal(400, account.State.Find("sub_1Unit")!.Balance);
    }

    [Fact]
    public void Renewal_IsGrantedWithThePlanItsPeriodStartedWith()
    {
        var monthly = Monthly("sub_1Unit", Start) with { Balance = 5, LastResetBoundary = Start };
        var account = Load(AccountState.Empty(Customer).With(monthly with { Stripe = monthly.Stripe with { CustomerId = Customer } }));
        var renewal = Start.AddMonths(1);

        account.SyncSubscription(View(300, renewal, BillingInterval.Month), "evt_1New", isCreation: false, resolveTies: false, null, null, renewal.AddMinutes(1));
        var paid = account.RecordPayment("sub_1Unit", new PaidPeriod(renewal, renewal.AddMonths(1), "price_300"), "evt_1Paid", Job(renewal.AddMinutes(2)), renewal.AddMinutes(2));

        Assert.Equal((renewal, 300L), (paid.Reset!.Applied!.Boundary, paid.Reset.Applied.BalanceAfter));
    }

    [Fact]
    public void SyncSubscription_AnOlderState_IsStaleAndChangesNothing()
    {
        var account = Load(WithYearlyPlan());

        var stale = account.SyncSubscription(View(1000, Start.AddYears(-1)), "evt_1Old", isCreation: false, resolveTies: false, null, null, Start.AddDays(1));

        Assert.True(stale.IsRefusal);
        Assert.False(account.IsChanged);
    }

    [Fact]
    public void Cancellation_EndsThePlanCreditsInTheSameChange()
    {
        var account = Load(WithYearlyPlan(balance: 600));
        var canceled = View(1000, Start, asOf: Utc(2026, 2, 3)) with { Status = SubscriptionStatus.Canceled };

        account.SyncSubscription(canceled, "evt_1Cancel", isCreation: false, resolveTies: false, null, null, Utc(2026, 2, 3));

        var expiry = Assert.Single(account.Changes.Ledger);
        Assert.Equal((LedgerKind.Expiry, -600L, 0L), (expiry.Kind, expiry.Amount, expiry.BalanceAfter));
        Assert.Equal("evt_1Cancel", account.Changes.StripeEventId);
    }

    [Fact]
    public void Expiry_EveryBucketPastItsExpiryGoesInOneEntryAtItsOwnTime_SpentOnesSilently()
    {
        var account = Load(WithYearlyPlan(grants: [Grant("g1", 5, Start.AddDays(2)), Grant("g2", 7, Start.AddDays(3)), Grant("g3", 0, Start.AddDays(1))]));

        var available = account.Spend(new SpendRequest(1, "k", null, null), Start.AddDays(4)).Value!.Available;

        var expiry = account.Changes.Ledger[0];
        Assert.Equal((LedgerKind.Expiry, -12L, Start.AddDays(3), 2), (expiry.Kind, expiry.Amount, expiry.At, expiry.Parts.Count));
        Assert.Equal(999, available);
        Assert.Empty(account.State.Grants);
    }

    [Fact]
    public void GrantPurchase_APackBucketPerLine_AndThePurchaseRecordThatMakesItOnce()
    {
        var account = Load(WithYearlyPlan());
        var now = Utc(2026, 2, 3);

        var granted = account.GrantPurchase(new PackPurchase("cs_1Pack", "pi_1Pack", [new PackLine(500, 90), new PackLine(100, null)]), "evt_1Pack", now);

        Assert.Equal((600L, 2), (granted.Value!.Credits, granted.Value.BucketIds.Count));
        Assert.Equal([now.AddDays(90), null], account.State.Grants.Select(g => g.ExpiresAt));
        Assert.Equal(("cs_1Pack", "evt_1Pack"), (account.Changes.Purchase!.Id, account.Changes.StripeEventId));
        Assert.Equal(LedgerKind.Purchase, Assert.Single(account.Changes.Ledger).Kind);
    }

    [Fact]
    public void RefundPurchase_TakesBackTheUnspentShare_NotWhatWasSpent_AndNothingMoreOnARedelivery()
    {
        var pack = Grant("pack-cs_1R-1", 200, null, BucketKind.Pack); // 500 bought, 300 spent
        var account = Load(WithYearlyPlan(grants: [pack]));
        var purchase = new PurchaseRecord { Id = "cs_1R", Credits = 500, BucketIds = [pack.Id], PurchasedAt = Start, EventId = "evt_1B" };

        var refund = account.RefundPurchase(purchase, refundedCredits: 250, "ch_1R", "evt_1Ref", Utc(2026, 2, 3));
        var redelivered = account.RefundPurchase(purchase with { RefundedCredits = 250 }, refundedCredits: 250, "ch_1R", "evt_1Ref", Utc(2026, 2, 3));

        Assert.Equal(new PurchaseRefund(200, 50), refund);
        Assert.Null(redelivered);
        Assert.All(account.State.Grants, g => Assert.Equal(0, g.Remaining)); // spent out (and gone at the next verb)
        Assert.Equal(250, account.Changes.Purchase!.RefundedCredits);
    }

    [Fact]
    public void RefundToldBeforeTheGrant_IsKept_AndTheGrantTakesItsShareBack()
    {
        var account = Load(WithYearlyPlan());
        var now = Utc(2026, 2, 3);
        Assert.True(account.KeepRefundForLater(new PendingRefund("pi_1Early", "ch_1Early", 1000, 200, "evt_1Ref1", now), now));
        Assert.True(account.KeepRefundForLater(new PendingRefund("pi_1Early", "ch_1Early", 1000, 400, "evt_1Ref2", now), now)); // cumulative
        Assert.True(account.KeepRefundForLater(new PendingRefund("pi_1Early", "ch_1Early", 1000, 200, "evt_1Ref1", now), now)); // older: no change
        Assert.Equal(400, Assert.Single(account.State.PendingRefunds).AmountRefunded);
        Assert.Empty(account.Changes.Ledger);

        var granted = account.GrantPurchase(new PackPurchase("cs_1Early", "pi_1Early", [new PackLine(500, null)]), "evt_1Grant", now.AddMinutes(1));

        Assert.Equal(200, granted.Value!.RefundedCredits);
        Assert.Equal([(LedgerKind.Purchase, 500L), (LedgerKind.Refund, -200L)], account.Changes.Ledger.Select(e => (e.Kind, e.Amount)));
        Assert.Equal(1300, account.Available(now.AddMinutes(1)));
        Assert.Empty(account.State.PendingRefunds);
    }

    [Fact]
    public void KeptRefunds_LapseAfterThreeDays_AndAreBoundedPerCustomer()
    {
        var account = Load(WithYearlyPlan());
        var now = Utc(2026, 2, 3);
        for (var i = 0; i < AccountLimits.MaxPendingRefunds; i++)
        {
            Assert.True(account.KeepRefundForLater(new PendingRefund($"pi_1P{i}", $"ch_1P{i}", 1000, 1000, $"evt_1P{i}", now), now));
        }

        Assert.False(account.KeepRefundForLater(new PendingRefund("pi_1More", "ch_1More", 1000, 1000, "evt_1More", now), now));
        Assert.True(account.KeepRefundForLater(new PendingRefund("pi_1P0", "ch_1P0", 1000, 1000, "evt_1P0b", now), now)); // the same payment again

        var later = now + PendingRefund.KeptFor;
        var granted = account.GrantPurchase(new PackPurchase("cs_1P1", "pi_1P1", [new PackLine(500, null)]), "evt_1G", later);

        Assert.Equal(0, granted.Value!.RefundedCredits);
        Assert.Empty(account.State.PendingRefunds);
        Assert.True(account.KeepRefundForLater(new PendingRefund("pi_1More", "ch_1More", 1000, 1000, "evt_1More", later), later));
    }

    [Fact]
    public void IntervalChange_MidMonth_ARolloverStillLiveLeavesThroughTheLedger()
    {
        var march = Utc(2026, 3, 1);
        var april = Utc(2026, 4, 1);
        var account = Load(null);
        StripeView Monthly(DateTimeOffset start, string interval = BillingInterval.Month) => View(1000, start, interval) with { RolloverMax = 300 };
        ResetJob At(DateTimeOffset at, string id) => new(id, ResetTrigger.Webhook, at, DryRun: false, Policy);

        // Monthly, 1,000 a month with a 300 cap: created Mar 1, renewed Apr 1 with all 1,000 unused, so 300 roll over.
        account.SyncSubscription(Monthly(march), "evt_1A", isCreation: true, resolveTies: false, null, At(march, "evt_1A"), march);
        account.SyncSubscription(Monthly(april), "evt_1B", isCreation: false, resolveTies: false, april, At(april, "evt_1B"), april);
        Assert.Equal(1300, account.Available(april));

        // Apr 15: switched to yearly; Stripe starts a new, paid period at once. April's rollover ends there (an expiry
        // entry), and 300 of April's unused 1,000 roll into the new period's first month beside its 1,000.
        var switchAt = Utc(2026, 4, 15);
        account.SyncSubscription(Monthly(switchAt, BillingInterval.Year), "evt_1C", isCreation: false, resolveTies: false, switchAt, At(switchAt, "evt_1C"), switchAt);

        Assert.Equal(1300, account.Available(switchAt));
        Assert.Equal(300, Assert.Single(account.State.Grants).Remaining);
        Assert.Equal(account.Available(switchAt), account.Changes.Ledger.Sum(e => e.Amount));
        Assert.Contains(account.Changes.Ledger, e => e.Kind == LedgerKind.Expiry && e.Amount == -300);
    }

    /// <summary>The README's month, worked through on the aggregate alone (docs/credits-api.md, "A month, worked through").</summary>
    [Fact]
    public void TheWorkedMonth_EndsAsTheTableSays()
    {
        var april = Utc(2026, 4, 1);
        var may = Utc(2026, 5, 1);
        var pro = View(1000, april, BillingInterval.Month) with { RolloverMax = 300 };
        var account = Load(null);
        (long Plan, long Rollover, long Pack, long Available) At(DateTimeOffset now) => (
            account.State.Find("sub_1Unit")!.Balance,
            account.State.Grants.Where(g => g.Kind == BucketKind.Rollover).Sum(g => g.Remaining),
            account.State.Grants.Where(g => g.Kind == BucketKind.Pack).Sum(g => g.Remaining),
            account.Available(now));

        account.SyncSubscription(pro, "evt_1C", isCreation: true, resolveTies: false, null, Job(april), april);
        Assert.Equal((1000, 0, 0, 1000), At(april));
        var purchase = account.GrantPurchase(new PackPurchase("cs_1W", "pi_1W", [new PackLine(500, 90)]), "evt_1P", Utc(2026, 4, 3)).Value!;
        Assert.Equal((1000, 0, 500, 1500), At(Utc(2026, 4, 3)));
        account.Spend(new SpendRequest(500, "apr-10", null, null), Utc(2026, 4, 10));
        Assert.Equal((500, 0, 500, 1000), At(Utc(2026, 4, 10)));
        account.Spend(new SpendRequest(100, "apr-20", null, null), Utc(2026, 4, 20));
        Assert.Equal((400, 0, 500, 900), At(Utc(2026, 4, 20)));
        account.RefundPurchase(purchase, refundedCredits: 250, "ch_1W", "evt_1R", Utc(2026, 4, 25));
        Assert.Equal((400, 0, 250, 650), At(Utc(2026, 4, 25)));
        account.SyncSubscription(pro with { PeriodStart = may, PeriodEnd = Utc(2026, 6, 1), AsOf = may }, "evt_1U", isCreation: false, resolveTies: false, null, Job(may), may);
        account.RecordPayment("sub_1Unit", new PaidPeriod(may, Utc(2026, 6, 1), pro.PriceId), "evt_1I", Job(may.AddMinutes(20)), may.AddMinutes(20));
        Assert.Equal((1000, 300, 250, 1550), At(may.AddMinutes(20)));
        var spent = account.Spend(new SpendRequest(400, "may-5", null, null), Utc(2026, 5, 5));
        Assert.Equal((900, 0, 250, 1150), At(Utc(2026, 5, 5)));

        Assert.Equal(["rollover-sub_1Unit", "plan-sub_1Unit"], spent.Value!.Parts.Select(p => p.BucketId));
        Assert.Equal(
            [("reset", 1000L), ("purchase", 500L), ("spend", -500L), ("spend", -100L), ("refund", -250L), ("rollover", 0L), ("reset", 900L), ("spend", -400L)],
            account.Changes.Ledger.Select(e => (e.Kind, e.Amount)));
    }
}
