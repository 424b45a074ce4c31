using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Storage;

/// <summary>The account row holds what the account may hold, whatever script its text is written in, and gives it back whole.</summary>
public class AccountRowTests
{
    private static readonly DateTimeOffset Start = Utc(2026, 1, 31, 10);

    private static AccountState RoundTrip(AccountState state) =>
        AccountRow.FromEntity(AccountRow.ToEntity(new AccountWrite(state, new AccountChanges(), 1, null, new Dictionary<string, DueEntry>()))).State;

    [Theory]
    [InlineData('r')] // ASCII
    [InlineData('é')] // Latin-1, escaped by a strict JSON writer
    [InlineData('積')] // CJK
    public void TheMostOpenGrants_EachWithTheLongestReason_FitTheRow_AndComeBackWhole(char c)
    {
        var account = new CustomerAccount("cus_1Size", null, new ResetPolicy(), 99);
        for (var i = 0; i < AccountLimits.MaxOpenGrants; i++)
        {
            Assert.Null(account.Grant(new GrantRequest(1, $"k{i}", null, new string(c, 500)), Start).Refusal);
        }

        var back = RoundTrip(account.State);

        Assert.Equal(AccountLimits.MaxOpenGrants, back.Grants.Count);
        Assert.True(back.SameContent(account.State));
    }

    [Fact]
    public void ABucketReasonCutAtItsLimit_NeverSplitsACharacter()
    {
        var account = new CustomerAccount("cus_1Emoji", null, new ResetPolicy(), 99);
        var reason = new string('a', AccountLimits.MaxBucketReason - 2) + "😀😀😀";

        account.Grant(new GrantRequest(5, "k", null, reason), Start);
        var stored = account.State.Grants.Single().Reason!;

        var strictUtf8 = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        Assert.Equal(stored, strictUtf8.GetString(strictUtf8.GetBytes(stored))); // throws on half an emoji
        Assert.StartsWith(new string('a', AccountLimits.MaxBucketReason - 2), stored, StringComparison.Ordinal);
        Assert.Equal(stored, RoundTrip(account.State).Grants.Single().Reason);
    }

    [Fact]
    public void RefundsKeptForTheirPurchase_ComeBackWithTheRow()
    {
        var state = AccountState.Empty("cus_1Kept") with { PendingRefunds = [new PendingRefund("pi_1Kept", "ch_1Kept", 1000, 400, "evt_1Kept", Start)] };

        Assert.Equal(state.PendingRefunds, RoundTrip(state).PendingRefunds);
    }

    [Fact]
    public void TheMostOpenHolds_EachWithTheLongestReason_FitTheRow_AndComeBackWhole()
    {
        var yearly = Yearly("sub_1Rows", Start, balance: 1000, lastReset: Start);
        var account = new CustomerAccount("cus_1Rows", AccountState.Empty("cus_1Rows").With(yearly with { Stripe = yearly.Stripe with { CustomerId = "cus_1Rows" } }), new ResetPolicy(), 99);
        for (var i = 0; i < AccountLimits.MaxOpenHolds; i++)
        {
            Assert.Null(account.PlaceHold(new HoldRequest(1, $"h{i}", HoldRequest.MaxExpiresIn, new string('積', 500), null), Start.AddDays(1)).Refusal);
        }

        var back = RoundTrip(account.State);

        Assert.Equal((AccountLimits.MaxOpenHolds, 1000L, (long)AccountLimits.MaxOpenHolds), (back.Holds.Count, back.Held, back.HoldSequence));
        Assert.Equal(account.State.Holds[^1].Parts, back.Holds[^1].Parts);
    }

    [Fact]
    public void AnAccountPastAzuresEntitySize_IsRefusedAsFull_NotSentToBeRefusedByTheStore()
    {
        var grants = Enumerable.Range(0, AccountLimits.MaxOpenGrants).Select(i => new GrantedBucket
        {
            Id = $"grant-{i}", Kind = BucketKind.Grant, Granted = 1, Remaining = 1, GrantedAt = Start, Reason = new string('積', AccountLimits.MaxBucketReason),
        }).ToList();
        var holds = Enumerable.Range(1, AccountLimits.MaxOpenHolds).Select(i => new Hold
        {
            Id = Hold.IdOf(i), Amount = 1, Parts = [new HeldPart($"grant-{i % 1000}", 1, null)], CreatedAt = Start, ExpiresAt = Start.AddHours(24),
            Reason = new string('積', AccountLimits.MaxBucketReason),
        }).ToList();
        var state = AccountState.Empty("cus_1Full") with { Grants = grants, Holds = holds, HoldSequence = holds.Count };

        Assert.Throws<AccountTooLargeException>(() => AccountRow.ToEntity(new AccountWrite(state, new AccountChanges(), 1, null, new Dictionary<string, DueEntry>())));
    }
}
