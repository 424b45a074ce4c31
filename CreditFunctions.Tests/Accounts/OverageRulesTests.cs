using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Accounts;

/// <summary>
/// Overage as rules, without storage or Stripe: a spend with allowOverage takes what is available and records the
/// shortfall, within what is left of the plan's allowance for its billing period, with the meter event to report it; at
/// the allowance it is taken, past it refused as without overage; only plans that allow it, only when asked.
/// </summary>
public class OverageRulesTests
{
    private const string Customer = "cus_1Over";
    private static readonly DateTimeOffset Start = Utc(2026, 1, 31, 10);
    private static readonly DateTimeOffset Now = Utc(2026, 2, 3, 12);
    private static readonly ResetPolicy Policy = new();

    /// <summary>A monthly plan holding <paramref name="plan"/>, allowing <paramref name="overageMax"/> credits of overage a period to meter 'api_credits'.</summary>
    private static CustomerAccount Load(long plan = 100, long overageMax = 50, long usedThisPeriod = 0, bool stripeWork = true, int pending = 0)
    {
        var monthly = Monthly("sub_1Over", Start);
        var subscription = monthly with
        {
            Stripe = monthly.Stripe with { CustomerId = Customer, OverageMeter = overageMax > 0 ? "api_credits" : null, OverageMax = overageMax },
            Balance = plan,
            OverageUsed = usedThisPeriod,
            OveragePeriodStart = Start,
        };
        var state = AccountState.Empty(Customer).With(subscription) with
        {
            LedgerSequence = 1,
            PendingUsage = [.. Enumerable.Range(0, pending).Select(i => new PendingUsage($"credits_{i}", "api_credits", 1, Start, 1, Start))],
        };
        return new CustomerAccount(Customer, state, Policy, 99, null, stripeWork);
    }

    private static SpendRequest Spend(long amount, string key = "s1", bool overage = true) => new(amount, key, "render", new Dictionary<string, string> { ["job"] = "j1" }, overage);

    [Fact]
    public void ASpendPastAvailable_WithinTheAllowance_TakesEverythingAvailable_AndRecordsTheRestAsOverage()
    {
        var account = Load(plan: 100);

        var spent = account.Spend(Spend(130), Now);

        var receipt = spent.Value!;
        var identifier = CustomerAccount.MeterEventIdentifier(Customer, "s1");
        Assert.Equal((LedgerKind.Spend, -100L, 0L), (receipt.Kind, receipt.Amount, receipt.Available));
        Assert.Equal(new OverageReceipt(30, "sub_1Over", "api_credits", identifier), receipt.Overage);
        Assert.Equal([LedgerKind.Spend, LedgerKind.Overage], account.Changes.Ledger.Select(e => e.Kind));
        var overage = account.Changes.Ledger[1];
        Assert.Equal((0L, 30L, identifier, "s1", "render", "sub_1Over", 0L), (overage.Amount, overage.Overage, overage.MeterEventIdentifier, overage.IdempotencyKey, overage.Reason, overage.SubscriptionId, overage.BalanceAfter));
        Assert.Equal(receipt.LedgerSequence, overage.Sequence);
        Assert.Equal(new PendingUsage(identifier, "api_credits", 30, Now, overage.Sequence, Now), Assert.Single(account.State.PendingUsage));
        Assert.Equal(30, account.State.Find("sub_1Over")!.OverageUsedNow);
        Assert.True(account.Changes.StripeWork);
        Assert.Single(account.Changes.Keys);
    }

    [Fact]
    public void AtTheAllowance_TheSpendGoesThrough_OneCreditPastIt_IsRefusedAsInsufficient_AndTakesNothing()
    {
        var at = Load(plan: 100, overageMax: 50, usedThisPeriod: 20);
        var past = Load(plan: 100, overageMax: 50, usedThisPeriod: 20);

        Assert.Equal(30, at.Spend(Spend(130), Now).Value!.Overage!.Amount);
        var refused = past.Spend(Spend(131), Now);

        Assert.Equal(new InsufficientCredits(Customer, 100, 131), refused.Refusal);
        Assert.Empty(past.Changes.Ledger);
        Assert.Empty(past.State.PendingUsage);
        Assert.Equal(100, past.Available(Now));
    }

    [Fact]
    public void WithNothingAvailable_TheWholeSpendIsOverage_WithNoSpendEntry()
    {
        var account = Load(plan: 0);

        var receipt = account.Spend(Spend(10), Now).Value!;

        Assert.Equal((0L, 10L), (receipt.Amount, receipt.Overage!.Amount));
        Assert.Equal(LedgerKind.Overage, Assert.Single(account.Changes.Ledger).Kind);
    }

    [Fact]
    public void TheAllowanceIsPerBillingPeriod_ANewPeriodStartsAtZero()
    {
        var account = Load(plan: 0, overageMax: 50, usedThisPeriod: 50);
        var renewed = account.State.Find("sub_1Over")!;
        var next = new CustomerAccount(Customer, account.State.With(renewed with { Stripe = renewed.Stripe with { PeriodStart = Start.AddMonths(1), PeriodEnd = Start.AddMonths(2) } }), Policy, 99, null, true);

        Assert.NotNull(account.Spend(Spend(1), Now).Refusal);
        Assert.Equal(0, next.State.Find("sub_1Over")!.OverageUsedNow);
    }

    [Fact]
    public void WithoutAllowOverage_APlanThatAllowsIt_StillRefusesAsAlways()
    {
        var account = Load(plan: 100);

        Assert.Equal(new InsufficientCredits(Customer, 100, 130), account.Spend(Spend(130, overage: false), Now).Refusal);
    }

    [Fact]
    public void APlanWithoutOverage_OrNoStripeHandOff_RefusesAnOverageSpend()
    {
        Assert.IsType<InsufficientCredits>(Load(plan: 100, overageMax: 0).Spend(Spend(130), Now).Refusal);
        Assert.IsType<InsufficientCredits>(Load(plan: 100, stripeWork: false).Spend(Spend(130), Now).Refusal);
    }

    [Fact]
    public void WhileTheMostReportsWaitForStripe_AnOverageSpendIsRefused_AndTakesNothing()
    {
        var account = Load(plan: 100, pending: AccountLimits.MaxPendingUsage);

        Assert.Equal(new OverageBacklog(Customer, AccountLimits.MaxPendingUsage), account.Spend(Spend(130), Now).Refusal);
        Assert.Equal(100, account.Available(Now));
    }

    [Fact]
    public void ASpendWithOverageAndOneWithout_AreDifferentRequests_ForTheirKey()
    {
        Assert.NotEqual(Spend(10).Fingerprint, Spend(10, overage: false).Fingerprint);
        Assert.Equal(new SpendRequest(10, "k", null, null).Fingerprint, CreditFingerprintOfSpend(10));
    }

    [Fact]
    public void TheMeterEventIdentifier_IsDerivedFromTheCustomerAndKey_AndFitsStripesHundredCharacters()
    {
        var id = CustomerAccount.MeterEventIdentifier(Customer, new string('k', 200));

        Assert.Equal(id, CustomerAccount.MeterEventIdentifier(Customer, new string('k', 200)));
        Assert.NotEqual(id, CustomerAccount.MeterEventIdentifier("cus_1Other", new string('k', 200)));
        Assert.Matches("^credits_[0-9a-f]{40}$", id);
    }

    /// <summary>What a spend's fingerprint was before overage existed: keys stored then must still match.</summary>
    private static string CreditFingerprintOfSpend(long amount) =>
        System.Text.Json.JsonSerializer.Serialize(new { operation = "spend", amount, reason = (string?)null, expiresAt = (DateTimeOffset?)null, metadata = (object?)null });
}
