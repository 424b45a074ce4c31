using CreditFunctions.Periods;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Resets;

/// <summary>
/// The reset rule. Decides, from a subscription alone and the current instant, which reset is due and when the
/// subscription needs its next decision. Pure: the same subscription and instant always give the same decision, so
/// any number of runs agree on the exactly-once key (subscription, boundary).
/// </summary>
public static class ResetPlanner
{
    /// <summary>The in-period resets (boundaries 1..11 of a yearly period), which the daily run applies.</summary>
    public static ResetDecision Plan(Subscription subscription, DateTimeOffset now, bool allowPastDue)
    {
        var stripe = subscription.Stripe;
        if (SubscriptionStatus.IsTerminal(stripe.Status))
        {
            return new ResetDecision { SkipReason = SkipReason.Status(stripe.Status), NextCheck = null };
        }

        if (PlanProblem(stripe) is { } problem)
        {
            // Reported every time the subscription is looked at (daily once its period has ended), so an unmapped
            // price cannot hide; it gets credits from the first sync after its price is mapped.
            return new ResetDecision { SkipReason = problem, NextCheck = NextCheck(subscription, now) };
        }

        if (now >= stripe.PeriodEnd)
        {
            // The renewal (boundary 0 of the next period) is Stripe's to announce; until it does, look daily.
            return new ResetDecision { SkipReason = SkipReason.AwaitingRenewal, PeriodEnded = true, NextCheck = NextCheck(subscription, now) };
        }

        var passed = CreditPeriods.InPeriodBoundaries(stripe.PeriodStart, stripe.PeriodEnd).TakeWhile(b => b <= now).ToList();
        var due = passed.Where(b => subscription.LastResetBoundary is not { } last || b > last).ToList();
        if (due.Count == 0)
        {
            // A boundary that has passed but is applied means this look is a stale or duplicate index entry.
            return new ResetDecision
            {
                SkipReason = passed.Count > 0 ? SkipReason.AlreadyApplied : SkipReason.NotDue,
                NextCheck = NextCheck(subscription, now),
            };
        }

        if (!SubscriptionStatus.IsEligibleForReset(stripe.Status, allowPastDue))
        {
            return new ResetDecision { SkipReason = SkipReason.Status(stripe.Status), NextCheck = NextCheck(subscription, now) };
        }

        return new ResetDecision
        {
            Boundary = due[^1],
            SkippedBoundaries = due[..^1],
            NextCheck = NextCheck(subscription, now),
        };
    }

    /// <summary>
    /// The reset at the start of a billing period (boundary 0), which Stripe announces with a paid invoice. Shares the
    /// exactly-once key (subscription, boundary) with the in-period resets.
    /// </summary>
    public static ResetDecision PlanRenewal(Subscription subscription, DateTimeOffset periodStart, DateTimeOffset now)
    {
        var stripe = subscription.Stripe;
        if (SubscriptionStatus.IsTerminal(stripe.Status))
        {
            return new ResetDecision { SkipReason = SkipReason.Status(stripe.Status) };
        }

        var nextCheck = NextCheck(subscription, now);
        if (stripe.PeriodStart != periodStart)
        {
            // An invoice for an older period than the stored one: that renewal is history.
            return new ResetDecision { SkipReason = SkipReason.StalePeriod, NextCheck = nextCheck };
        }

        if (subscription.LastResetBoundary is { } last && last >= periodStart)
        {
            return new ResetDecision { SkipReason = SkipReason.AlreadyApplied, NextCheck = nextCheck };
        }

        if (PlanProblem(stripe) is { } problem)
        {
            return new ResetDecision { SkipReason = problem, NextCheck = nextCheck };
        }

        return new ResetDecision { Boundary = periodStart, NextCheck = nextCheck };
    }

    /// <summary>Why the plan itself gives no credits, if it does not: no allowance known, or a period shorter than a month.</summary>
    private static string? PlanProblem(StripeView stripe) =>
        stripe.MonthlyAllowance is null ? SkipReason.UnknownPlan
        : !BillingInterval.CarriesMonthlyCredits(stripe.Interval) ? SkipReason.UnsupportedInterval
        : null;

    /// <summary>
    /// When the subscription needs its next decision once this one is carried out: its next in-period boundary after
    /// now, else its period end (when the renewal is due), and daily once the period has ended without one.
    /// </summary>
    private static DateTimeOffset NextCheck(Subscription subscription, DateTimeOffset now)
    {
        var stripe = subscription.Stripe;
        if (now >= stripe.PeriodEnd)
        {
            return now.AddDays(1);
        }

        foreach (var boundary in CreditPeriods.InPeriodBoundaries(stripe.PeriodStart, stripe.PeriodEnd))
        {
            if (boundary > now)
            {
                return boundary;
            }
        }

        return stripe.PeriodEnd;
    }
}
