using CreditFunctions.Accounts;
using CreditFunctions.SupportConsole;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.SupportConsole;

/// <summary>Each ledger entry said in words with its source, and each Stripe object it names linked to the Dashboard of the app's mode.</summary>
public sealed class LedgerExplanationTests
{
    private static readonly Uri Live = LedgerExplanation.Dashboard("https://dashboard.stripe.com", "rk_live_123");

    private static LedgerEntry Entry(string kind, long amount, Func<LedgerEntry, LedgerEntry>? with = null)
    {
        var entry = new LedgerEntry { Sequence = 7, At = Utc(2026, 3, 1), Kind = kind, Parts = [new LedgerPart("b", amount, 0)], BalanceAfter = 100 };
        return with is null ? entry : with(entry);
    }

    [Fact]
    public void AReset_NamesItsSubscriptionBoundaryAndStripeEvent_WithLinks()
    {
        var explained = LedgerExplanation.Explain(
            Entry(LedgerKind.Reset, 900, e => e with { SubscriptionId = "sub_1Abc", Boundary = Utc(2026, 3, 1), RunId = "evt_1Paid" }), Live);

        Assert.Equal("Monthly allowance of sub_1Abc reset at its boundary of 2026-03-01 00:00 UTC: +900 credits. Stripe event evt_1Paid.", explained.Explanation);
        Assert.Equal(
            [("evt_1Paid", "https://dashboard.stripe.com/events/evt_1Paid"), ("sub_1Abc", "https://dashboard.stripe.com/subscriptions/sub_1Abc")],
            explained.Links.Select(l => (l.Label, l.Url.ToString())));
    }

    [Fact]
    public void ASpend_SaysItsKeyReasonAndMetadata()
    {
        var explained = LedgerExplanation.Explain(Entry(LedgerKind.Spend, -25, e => e with
        {
            IdempotencyKey = "spend-3f9a", Reason = "report generated", Metadata = new Dictionary<string, string> { ["z"] = "2", ["reportId"] = "rpt_42" },
        }), Live);

        Assert.Equal("Spent 25 credits. Reason: report generated. Idempotency key spend-3f9a. Metadata: reportId=rpt_42, z=2.", explained.Explanation);
        Assert.Empty(explained.Links);
    }

    [Fact]
    public void APurchase_LinksItsInvoice_InTestModeWithATestKey()
    {
        var test = LedgerExplanation.Dashboard("https://dashboard.stripe.com/", "sk_test_abc");

        var explained = LedgerExplanation.Explain(Entry(LedgerKind.Purchase, 500, e => e with { Reason = "bought with in_1Pack", RunId = "evt_1Bought" }), test);

        Assert.StartsWith("Bought 500 credits (a credit pack paid through Stripe).", explained.Explanation, StringComparison.Ordinal);
        Assert.Equal(["https://dashboard.stripe.com/test/events/evt_1Bought", "https://dashboard.stripe.com/test/invoices/in_1Pack"], explained.Links.Select(l => l.Url.ToString()));
    }

    [Theory]
    [InlineData(LedgerKind.Adjustment, -30, "Adjusted: took back 30 credits.")]
    [InlineData(LedgerKind.Grant, 1, "Granted 1 credit.")]
    [InlineData(LedgerKind.Expiry, -1200, "1,200 credits expired.")]
    [InlineData(LedgerKind.Refund, -500, "Refunded through Stripe: took back 500 credits.")]
    public void EveryKind_IsSaidInWords(string kind, long amount, string expected)
    {
        Assert.Equal(expected, LedgerExplanation.Explain(Entry(kind, amount), Live).Explanation);
    }

    [Fact]
    public void HoldsAndOverage_NameTheHoldAndTheMeterEvent()
    {
        Assert.Equal("Held 40 credits (hold hold-3): reserved, not spent yet.", LedgerExplanation.Explain(Entry(LedgerKind.Hold, -40, e => e with { HoldId = "hold-3" }), Live).Explanation);
        Assert.Equal("Hold hold-3 released: +40 credits back to the buckets.", LedgerExplanation.Explain(Entry(LedgerKind.Release, 40, e => e with { HoldId = "hold-3" }), Live).Explanation);
        Assert.StartsWith("Spent 15 credits past zero as overage of sub_1Abc, billed through Stripe (meter event credits_ab12)",
            LedgerExplanation.Explain(Entry(LedgerKind.Overage, 0, e => e with { Overage = 15, SubscriptionId = "sub_1Abc", MeterEventIdentifier = "credits_ab12" }), Live).Explanation,
            StringComparison.Ordinal);
    }
}
