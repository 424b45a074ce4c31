using System.Text.Json.Nodes;
using static CreditFunctions.Tests.Stripe.StripeFixtures;

namespace CreditFunctions.Tests.Stripe;

/// <summary>Webhook payloads for common cases, built from Stripe's fixture objects.</summary>
internal static class Deliveries
{
    public static DateTimeOffset PeriodEnd(Plan plan, DateTimeOffset periodStart) => plan.Interval switch
    {
        "year" => periodStart.AddYears(1),
        "week" => periodStart.AddDays(7),
        _ => periodStart.AddMonths(1),
    };

    public static string SubscriptionEvent(
        string eventId, string type, DateTimeOffset created, string subscriptionId, string status, Plan plan, DateTimeOffset periodStart,
        bool cancelAtPeriodEnd = false, IEnumerable<(Plan Plan, string ItemId)>? extraItems = null) =>
        Event(eventId, type, created, Subscription(subscriptionId, status, plan, periodStart, PeriodEnd(plan, periodStart), cancelAtPeriodEnd, extraItems: extraItems));

    public static string InvoicePaid(
        string eventId, DateTimeOffset created, string subscriptionId, Plan plan, DateTimeOffset periodStart,
        IEnumerable<JsonObject>? lines = null, bool hasMore = false, string billingReason = "subscription_cycle") =>
        Event(eventId, "invoice.paid", created,
            Invoice("in_" + eventId[4..], subscriptionId, plan, periodStart, PeriodEnd(plan, periodStart), lines: lines, hasMore: hasMore, billingReason: billingReason));
}
