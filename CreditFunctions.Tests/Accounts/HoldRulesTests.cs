using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Accounts;

/// <summary>
/// Holds as rules, without storage: reserve in spend order, capture less, exactly or more than held, release, expiry at
/// its own instant, and what happens to held credits whose bucket ends (a boundary, a grant's expiry) while held.
/// </summary>
public class HoldRulesTests
{
    private const string Customer = "cus_1Held";
    private static readonly DateTimeOffset Start = Utc(2026, 1, 31, 10);
    private static readonly DateTimeOffset Now = Utc(2026, 2, 3, 12);
    private static readonly ResetPolicy Policy = new();

    /// <summary>A yearly plan of 1,000 a month (Jan 31 10:00), holding <paramref name="plan"/>, and the granted buckets given.</summary>
    private static CustomerAccount Load(long plan = 1000, params GrantedBucket[] grants)
    {
        var yearly = Yearly("sub_1Held", Start, balance: plan, lastReset: Start);
        var state = AccountState.Empty(Customer).With(yearly with { Stripe = yearly.Stripe with { CustomerId = Customer } }) with { Grants = grants, LedgerSequence = 1 };
        return new CustomerAccount(Customer, state, Policy, 99);
    }

    private static GrantedBucket Grant(string id, long remaining, DateTimeOffset? expiresAt) =>
        new() { Id = id, Kind = BucketKind.Grant, Granted = remaining, Remaining = remaining, GrantedAt = Start, ExpiresAt = expiresAt };

    private static HoldRequest Hold(long amount, string key = "h1", TimeSpan? expiresIn = null) =>
        new(amount, key, expiresIn ?? HoldRequest.DefaultExpiresIn, "render video", null);

    private static string Place(CustomerAccount account, long amount, string key = "h1", TimeSpan? expiresIn = null, DateTimeOffset? at = null)
    {
        var held = account.PlaceHold(Hold(amount, key, expiresIn), at ?? Now);
        Assert.Null(held.Refusal);
        return held.Value!.Hold!.HoldId;
    }

    [Fact]
    public void AHold_TakesItsCreditsInSpendOrder_OutOfAvailable_AndRecordsAHoldEntry()
    {
        var account = Load(1000, Grant("grant-soon", 50, Now.AddDays(2)));

        var held = account.PlaceHold(Hold(300), Now);

        Assert.Equal(new HoldReceipt("hold-1", HoldStatus.Open, 300, 0, 0, Now.AddMinutes(15)), held.Value!.Hold);
        Assert.Equal([new LedgerPart("grant-soon", -50, 0), new LedgerPart("plan-sub_1Held", -250, 750)], held.Value.Parts);
        Assert.Equal((750L, 300L), (account.Available(Now), account.State.Held));
        var entry = Assert.Single(account.Changes.Ledger);
        Assert.Equal((LedgerKind.Hold, -300L, "hold-1", "h1"), (entry.Kind, entry.Amount, entry.HoldId, entry.IdempotencyKey));
        Assert.Equal(HoldRequest.Operation, Assert.Single(account.Changes.Keys).Operation);
    }

    [Fact]
    public void AHoldForMoreThanAvailable_IsRefused_AndTakesNothing()
    {
        var account = Load(100);

        var refused = account.PlaceHold(Hold(101), Now);

        Assert.Equal(new InsufficientCredits(Customer, 100, 101), refused.Refusal);
        Assert.Empty(account.State.Holds);
        Assert.Empty(account.Changes.Ledger);
    }

    [Theory]
    [InlineData(120, 180)] // less than held: the rest goes back
    [InlineData(300, 0)]   // exactly
    public void CapturingUpToTheHeldAmount_AlwaysSucceeds_AndGivesTheRestBackWhereItCameFrom(long capture, long returned)
    {
        var account = Load(1000, Grant("grant-soon", 50, Now.AddDays(2)));
        var id = Place(account, 300);

        var captured = account.CaptureHold(new CaptureRequest(id, capture, "c1", "rendered", null), Now.AddMinutes(5));

        Assert.Equal(new HoldReceipt(id, HoldStatus.Captured, 300, capture, returned, Now.AddMinutes(15)), captured.Value!.Hold);
        Assert.Equal(1000 + 50 - capture, account.Available(Now.AddMinutes(5)));
        Assert.Empty(account.State.Holds);
        Assert.Equal(0, account.State.Grants.Single().Remaining); // the first held credits are captured first: the grant's
        var entry = account.Changes.Ledger[^1];
        Assert.Equal((LedgerKind.Capture, returned, id), (entry.Kind, entry.Amount, entry.HoldId));
    }

    [Fact]
    public void CapturingMoreThanHeld_TakesTheExtraInSpendOrder_OrIsRefusedAndTheHoldStaysOpen()
    {
        var account = Load(400);
        var id = Place(account, 300); // 100 left

        var refused = account.CaptureHold(new CaptureRequest(id, 450, "c1", null, null), Now);
        Assert.Equal(new InsufficientCredits(Customer, 100, 150), refused.Refusal);
        Assert.Single(account.State.Holds);

        var captured = account.CaptureHold(new CaptureRequest(id, 380, "c2", null, null), Now);
        Assert.Equal((380L, 0L, 20L), (captured.Value!.Hold!.Captured, captured.Value.Hold.Returned, account.Available(Now)));
        Assert.Equal([new LedgerPart("plan-sub_1Held", -80, 20)], captured.Value.Parts);
    }

    [Fact]
    public void Release_GivesEverythingBack_AndAClosedHoldAnswersClosed_AnUnknownOneNotFound()
    {
        var account = Load(1000);
        var id = Place(account, 300);

        var released = account.ReleaseHold(new ReleaseRequest(id, "r1"), Now);

        Assert.Equal((HoldStatus.Released, 300L, 1000L), (released.Value!.Hold!.Status, released.Value.Hold.Returned, account.Available(Now)));
        Assert.Equal(new HoldClosed(Customer, id), account.CaptureHold(new CaptureRequest(id, 1, "c1", null, null), Now).Refusal);
        Assert.Equal(new HoldClosed(Customer, id), account.ReleaseHold(new ReleaseRequest(id, "r2"), Now).Refusal);
        Assert.Equal(new HoldNotFound(Customer, "hold-9"), account.ReleaseHold(new ReleaseRequest("hold-9", "r3"), Now).Refusal);
    }

    [Fact]
    public void AHoldPastItsExpiry_IsReleasedAtItsExpiryByTheNextVerb_AndThenAnswersClosed()
    {
        var account = Load(1000);
        var id = Place(account, 300, expiresIn: TimeSpan.FromMinutes(10));

        account.ApplyDue(new ResetJob("run-1", ResetTrigger.Timer, Now.AddHours(1), DryRun: false, Policy));

        Assert.Equal(1000, account.Available(Now.AddHours(1)));
        var release = account.Changes.Ledger[^1];
        Assert.Equal((LedgerKind.Release, 300L, Now.AddMinutes(10), "hold expired"), (release.Kind, release.Amount, release.At, release.Reason));
        Assert.Equal(new HoldClosed(Customer, id), account.CaptureHold(new CaptureRequest(id, 10, "late", null, null), Now.AddHours(1)).Refusal);
    }

    [Fact]
    public void HeldPlanCredits_AreSafeAcrossAMonthlyBoundary_CapturedInFull_AndWhatComesBackAfterItExpiresAtOnce()
    {
        var account = Load(1000);
        var boundary = Utc(2026, 2, 28, 10);
        var early = Place(account, 600, "h1", TimeSpan.FromHours(24), boundary.AddHours(-1));
        var other = Place(account, 300, "h2", TimeSpan.FromHours(24), boundary.AddHours(-1)); // 100 left in February's plan

        account.ApplyDue(new ResetJob("run-1", ResetTrigger.Timer, boundary.AddHours(1), DryRun: false, Policy)); // March's 1,000
        Assert.Equal(1000, account.Available(boundary.AddHours(1)));

        var captured = account.CaptureHold(new CaptureRequest(early, 600, "c1", null, null), boundary.AddHours(2));
        var released = account.ReleaseHold(new ReleaseRequest(other, "r1"), boundary.AddHours(2));

        Assert.Null(captured.Refusal);
        Assert.Equal(1000, account.Available(boundary.AddHours(2))); // February's 300 did not come back into March
        var expiry = account.Changes.Ledger[^1];
        Assert.Equal((LedgerKind.Expiry, -300L, other), (expiry.Kind, expiry.Amount, expiry.HoldId));
        Assert.Equal((LedgerKind.Release, 1300L), (account.Changes.Ledger[^2].Kind, account.Changes.Ledger[^2].BalanceAfter)); // before the expiry that follows
        Assert.Equal(1000, released.Value!.Available);
    }

    [Fact]
    public void HeldCreditsOfAGrantThatExpires_ComeBackToItWhileLive_ExpireWithItAfter()
    {
        var account = Load(0, Grant("grant-1", 100, Now.AddHours(1)), Grant("grant-2", 100, Now.AddHours(1)));
        var first = Place(account, 100, "h1", TimeSpan.FromHours(3));  // all of grant-1: the bucket stays while held
        var second = Place(account, 100, "h2", TimeSpan.FromHours(3)); // all of grant-2

        account.ReleaseHold(new ReleaseRequest(first, "r1"), Now.AddMinutes(30));
        Assert.Equal(100, account.State.Grants.Single(g => g.Id == "grant-1").Remaining);

        account.ReleaseHold(new ReleaseRequest(second, "r2"), Now.AddHours(2)); // grant-2 expired meanwhile
        Assert.Equal(0, account.Available(Now.AddHours(2)));
        Assert.Contains(account.Changes.Ledger, e => e.Kind == LedgerKind.Expiry && e.HoldId == second && e.Amount == -100);
    }

    [Fact]
    public void TheMostOpenHolds_AreAThousand()
    {
        var account = Load(5000);
        for (var i = 0; i < AccountLimits.MaxOpenHolds; i++)
        {
            Assert.Null(account.PlaceHold(Hold(1, $"h{i}"), Now).Refusal);
        }

        Assert.Equal(new TooManyHolds(Customer, AccountLimits.MaxOpenHolds), account.PlaceHold(Hold(1, "one-more"), Now).Refusal);
    }

    [Theory]
    [InlineData("hold-12", 12L)]
    [InlineData("hold-012", null)]
    [InlineData("hold-0", null)]
    [InlineData("hold-x", null)]
    [InlineData("12", null)]
    public void OnlyAHoldIdAsTheApiWritesIt_NamesAHold(string id, long? number)
    {
        Assert.Equal(number, CreditFunctions.Accounts.Hold.NumberOf(id));
    }
}
