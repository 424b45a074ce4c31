using CreditFunctions.Periods;
using CreditFunctions.Subscriptions;
using Stripe;

namespace CreditFunctions.Stripe;

/// <summary>
/// The billing period an invoice paid for the plan: the period of its line for the subscription's credit-bearing item,
/// matched by subscription item or price, never by position. Proration lines are not a period's payment, and metered
/// lines (billed in arrears, for the period before) belong to other items.
/// </summary>
public static class PaidLine
{
    /// <summary>The paid period of the plan among <paramref name="lines"/>, or null when none of them is the plan's.</summary>
    public static PaidPeriod? Find(IEnumerable<InvoiceLineItem>? lines, StripeView plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var match = (lines ?? [])
            .Where(l => l.Parent?.Type == "subscription_item_details"
                && l.Parent.SubscriptionItemDetails is { Proration: false } details
                && l.Period is not null
                && ((plan.ItemId is not null && details.SubscriptionItem == plan.ItemId) || PriceOf(l) == plan.PriceId))
            .MaxBy(l => l.Period.Start);
        return match is null ? null : new PaidPeriod(Utc(match.Period.Start), Utc(match.Period.End), PriceOf(match));
    }

    /// <summary>
    /// When no line is the plan's (the subscription's item was replaced at the renewal): the period the invoice paid for
    /// the subscription, the latest-starting non-proration period among its item lines (metered lines, billed in
    /// arrears, start earlier). Its plan is unknown, so it only records that the period is paid.
    /// </summary>
    public static PaidPeriod? AnyPeriod(IEnumerable<InvoiceLineItem>? lines)
    {
        var latest = (lines ?? [])
            .Where(l => l.Parent?.Type == "subscription_item_details" && l.Parent.SubscriptionItemDetails is { Proration: false } && l.Period is not null)
            .MaxBy(l => l.Period.Start);
        return latest is null ? null : new PaidPeriod(Utc(latest.Period.Start), Utc(latest.Period.End), null);
    }

    private static string? PriceOf(InvoiceLineItem line) =>
        line.Pricing?.PriceDetails is { } details ? details.PriceId ?? details.Price?.Id : null;

    private static DateTimeOffset Utc(DateTime value) =>
        CreditPeriods.ToWholeSeconds(new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc)));
}
