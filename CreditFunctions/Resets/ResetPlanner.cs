using CreditFunctions.Periods;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Resets;

/// <summary>
/// The reset rule. Decides, from a subscription alone and the current instant, which reset is due and when the
/// subscription needs its next decision. Pure: the same subscription and instant always give the same decision, so
/// any number of runs, webhooks and readers agree on the exactly-once key (subscription, boundary).
/// </summary>
/// <remarks>
/// Boundary 0 of a billing period (its renewal) is due once the period is both known (its state, with its plan) and
/// paid; boundaries 1..11 of a yearly period follow monthly after that. Whichever of the two facts arrives last makes
/// the reset due, so the period is always reset with its own plan.
/// </remarks>
public static class ResetPlanner
{
    /// <summary>A subscription that cannot progress (paused, unpaid, ending) is looked at daily for this long, then weekly.</summary>
    public static readonly TimeSpan DailyLooksFor = TimeSpan.FromDays(7);

    public static ResetDecision Plan(Subscription subscription, DateTimeOffset now, ResetPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(policy);
        var stripe = subscription.Stripe;
        if (SubscriptionStatus.IsTerminal(stripe.Status))
        {
            return new ResetDecision { SkipReason = SkipReason.Status(stripe.Status), NextCheck = null };
        }

        if (PlanProblem(stripe) is { } problem)
        {
            // Reported every time the subscription is looked at, so an unmapped price cannot hide; it gets credits from
            // the first sync after its price is mapped.
            return new ResetDecision { SkipReason = problem, NextCheck = NextCheck(subscription, now, stripe.PeriodEnd) };
        }

        if (now >= stripe.PeriodEnd)
        {
            // The renewal (boundary 0 of the next period) is Stripe's to announce; until it does, keep looking.
            return new ResetDecision
            {
                SkipReason = SkipReason.AwaitingRenewal,
                NeedsStripe = true,
                WaitingSince = ExpectsRenewal(stripe) ? stripe.PeriodEnd : null,
                NextCheck = NextCheck(subscription, now, stripe.PeriodEnd),
            };
        }

        var periodReset = subscription.IsPeriodGranted;

        // With past_due allowed, a renewal whose payment failed still gets its allowance: that is what the setting is for.
        var paid = IsPaid(subscription) || (policy.AllowPastDue && stripe.Status == SubscriptionStatus.PastDue);
        if (!periodReset && !paid && !SubscriptionStatus.IsEligibleForReset(stripe.Status, policy.AllowPastDue))
        {
            // A status that gets no credits (a first period never paid, say) is the reason, not a late renewal.
            return new ResetDecision { SkipReason = SkipReason.Status(stripe.Status), NextCheck = NextCheck(subscription, now, stripe.PeriodEnd) };
        }

        if (!periodReset && !paid)
        {
            var confirmBy = stripe.PeriodStart + policy.Grace;
            return now < confirmBy
                ? new ResetDecision { SkipReason = SkipReason.NotDue, NextCheck = confirmBy }
                : new ResetDecision
                {
                    SkipReason = SkipReason.RenewalUnconfirmed,
                    NeedsStripe = true,
                    WaitingSince = ExpectsRenewal(stripe) ? confirmBy : null,
                    NextCheck = NextCheck(subscription, now, confirmBy),
                };
        }

        var passed = CreditPeriods.InPeriodBoundaries(stripe.PeriodStart, stripe.PeriodEnd).TakeWhile(b => b <= now).Prepend(stripe.PeriodStart).ToList();
        var due = passed.Where(b => subscription.LastResetBoundary is not { } applied || b > applied).ToList();
        if (due.Count == 0)
        {
            // A boundary that has passed but is applied means this look is a stale or duplicate index entry.
            return new ResetDecision
            {
                SkipReason = passed.Count > 1 ? SkipReason.AlreadyApplied : SkipReason.NotDue,
                NextCheck = NextCheck(subscription, now, stripe.PeriodEnd),
            };
        }

        // A payment seen for the period is the strongest word on it: a past_due status that has not caught up yet does
        // not hold back that period's own renewal.
        var eligible = SubscriptionStatus.IsEligibleForReset(stripe.Status, policy.AllowPastDue)
            || (due[^1] == stripe.PeriodStart && subscription.PaidPeriodStart == stripe.PeriodStart);
        if (!eligible)
        {
            return new ResetDecision { SkipReason = SkipReason.Status(stripe.Status), NextCheck = NextCheck(subscription, now, stripe.PeriodEnd) };
        }

        return new ResetDecision
        {
            Boundary = due[^1],
            SkippedBoundaries = due[..^1],
            NextCheck = NextCheck(subscription, now, stripe.PeriodEnd),
        };
    }

    /// <summary>
    /// Whether the current period's payment is known: an invoice (or the API) said so, or it is the subscription's first
    /// period and Stripe calls it active or trialing (Stripe only activates a subscription once its first invoice is paid).
    /// </summary>
    public static bool IsPaid(Subscription subscription) =>
        subscription.PaidPeriodStart == subscription.Stripe.PeriodStart
        || (subscription.LastResetBoundary is null && subscription.Stripe.Status is SubscriptionStatus.Active or SubscriptionStatus.Trialing);

    /// <summary>
    /// Whether Stripe is expected to renew the subscription on its own: not while it is paused or unpaid, its collection
    /// paused, or it is set to end with its period. Such a wait is the customer's state, not a lost delivery.
    /// </summary>
    public static bool ExpectsRenewal(StripeView stripe)
    {
        ArgumentNullException.ThrowIfNull(stripe);
        return !(stripe.Status is SubscriptionStatus.Paused or SubscriptionStatus.Unpaid || stripe.CancelAtPeriodEnd || stripe.CollectionPaused);
    }

    /// <summary>Why the plan itself gives no credits, if it does not: no allowance known, or a period shorter than a month.</summary>
    private static string? PlanProblem(StripeView stripe) =>
        stripe.MonthlyAllowance is null ? SkipReason.UnknownPlan
        : !BillingInterval.CarriesMonthlyCredits(stripe.Interval) ? SkipReason.UnsupportedInterval
        : null;

    /// <summary>
    /// When the subscription needs its next decision once this one is carried out: its next in-period boundary after
    /// now, else its period end (when the renewal is due). Past <paramref name="waitingSince"/> (the period end, or the
    /// end of the renewal's grace) it is waiting on Stripe: from the next UTC day on, daily, and weekly after a week for one
    /// Stripe will not renew on its own (<see cref="ExpectsRenewal"/>).
    /// </summary>
    private static DateTimeOffset NextCheck(Subscription subscription, DateTimeOffset now, DateTimeOffset waitingSince)
    {
        var stripe = subscription.Stripe;
        if (now >= waitingSince)
        {
            // At the start of a UTC day, so each day's run finds it whatever minute it starts at.
            var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
            return today.AddDays(!ExpectsRenewal(stripe) && now - waitingSince >= DailyLooksFor ? 7 : 1);
        }

        return CreditPeriods.NextBoundary(stripe.PeriodStart, stripe.PeriodEnd, now);
    }
}
