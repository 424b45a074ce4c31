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

        if (subscription.MonthlyAllowance is null)
        {
            return new ResetDecision { SkipReason = SkipReason.UnknownPlan, NextCheck = nextCheck };
        }

        return new ResetDecision
        {
            Boundary = due[^1],
            SkippedBoundaries = due[..^1],
            NextCheck = nextCheck,
        };
    }
}
