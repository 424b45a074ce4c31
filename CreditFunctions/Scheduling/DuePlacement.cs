using CreditFunctions.Resets;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Scheduling;

/// <summary>
/// The due index's one rule: a subscription's entry sits where its next decision is needed. That is now when a reset
/// is due that the saved state does not carry out (a sync, or a write that had no room for it), else when the reset rule
/// says to look next; none once the subscription needs no more decisions (it ended). Save applies it to every
/// subscription a change touched, from the state as saved.
/// </summary>
public static class DuePlacement
{
    public static DateTimeOffset? Of(Subscription? subscription, DateTimeOffset now, ResetPolicy policy)
    {
        if (subscription is null)
        {
            return null;
        }

        var decision = ResetPlanner.Plan(subscription, now, policy);
        return decision.Boundary is not null ? now : decision.NextCheck;
    }
}
