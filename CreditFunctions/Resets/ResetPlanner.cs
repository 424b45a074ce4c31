using CreditFunctions.Periods;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Resets;

/// <summary>
/// Decides, from a subscription alone and the current instant, which in-period reset is due. Pure: the same
/// subscription and instant always give the same decision, so any number of runs agree on the exactly-once key.
/// </summary>
public static class ResetPlanner
{
    public static ResetDecision Plan(Subscription subscription, DateTimeOffset now, bool allowPastDue)
    {
        if (SubscriptionStatus.IsTerminal(subscription.Status))
        {
            return new ResetDecision { SkipReason = SkipReason.Status(subscription.Status), NextCheck = null };
        }

        if (subscription.MonthlyAllowance is null)
        {
            // Reported every time the subscription is looked at (daily once its period has ended), so an unmapped
            // price cannot hide; it gets credits from the first sync after its price is mapped.
            return new ResetDecision
            {
                SkipReason = SkipReason.UnknownPlan,
                NextCheck = now >= subscription.PeriodEnd ? now.AddDays(1) : NextInPeriod(subscription, now),
            };
        }

        if (now >= subscription.PeriodEnd)
        {
            // The renewal (boundary 0 of the next period) is Stripe's to announce; until it does, look daily.
            return new ResetDecision
            {
                SkipReason = SkipReason.AwaitingRenewal,
                PeriodEnded = true,
                NextCheck = now.AddDays(1),
            };
        }

        var due = new List<DateTimeOffset>();
        var anyPassed = false;
        DateTimeOffset? next = null;
        foreach (var boundary in CreditPeriods.InPeriodBoundaries(subscription.PeriodStart, subscription.PeriodEnd))
        {
            if (boundary > now)
            {
                next = boundary;
                break;
            }

            anyPassed = true;
            if (subscription.LastResetBoundary is not { } last || boundary > last)
            {
                due.Add(boundary);
            }
        }

        // With no in-period boundary left, the period end is when the renewal should have arrived.
        var nextCheck = next ?? subscription.PeriodEnd;
        if (due.Count == 0)
        {
            // A boundary that has passed but is applied means this look is a stale or duplicate index entry.
            return new ResetDecision
            {
                SkipReason = anyPassed ? SkipReason.AlreadyApplied : SkipReason.NotDue,
                NextCheck = nextCheck,
            };
        }

        if (!SubscriptionStatus.IsEligibleForReset(subscription.Status, allowPastDue))
        {
            return new ResetDecision { SkipReason = SkipReason.Status(subscription.Status), NextCheck = nextCheck };
        }

        return new ResetDecision
        {
            Boundary = due[^1],
            SkippedBoundaries = due[..^1],
            NextCheck = nextCheck,
        };
    }

    /// <summary>
    /// The reset at the start of a billing period (boundary 0), which Stripe announces with a paid invoice. Shares the
    /// exactly-once key (subscription, boundary) with the in-period resets.
    /// </summary>
    public static ResetDecision PlanRenewal(Subscription subscription, DateTimeOffset periodStart, DateTimeOffset now)
    {
        var nextCheck = NextInPeriod(subscription, now);
        if (SubscriptionStatus.IsTerminal(subscription.Status))
        {
            return new ResetDecision { SkipReason = SkipReason.Status(subscription.Status) };
        }

        if (subscription.PeriodStart != periodStart)
        {
            // An invoice for an older period than the stored one: that renewal is history.
            return new ResetDecision { SkipReason = SkipReason.StalePeriod, NextCheck = nextCheck };
        }

        if (subscription.LastResetBoundary is { } last && last >= periodStart)
        {
            return new ResetDecision { SkipReason = SkipReason.AlreadyApplied, NextCheck = nextCheck };
        }

        if (subscription.MonthlyAllowance is null)
        {
            return new ResetDecision { SkipReason = SkipReason.UnknownPlan, NextCheck = nextCheck };
        }

        return new ResetDecision { Boundary = periodStart, NextCheck = nextCheck };
    }

    /// <summary>Where the subscription's index entry belongs: its next in-period boundary after now, else its period end.</summary>
    public static DateTimeOffset NextInPeriod(Subscription subscription, DateTimeOffset now) =>
        CreditPeriods.InPeriodBoundaries(subscription.PeriodStart, subscription.PeriodEnd).FirstOrDefault(b => b > now) is var next
        && next != default
            ? next
            : subscription.PeriodEnd;
}
