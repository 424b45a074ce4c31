using CreditFunctions.Accounts;
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

    /// <summary>
    /// Where the account's own entry sits (keyed by the customer id): the soonest instant something of the account itself
    /// needs doing when nobody calls: an open hold's expiry (its credits come back then) and, with events on, a granted
    /// bucket's expiry and the moment its <c>credits.grant_expiring</c> is due, so the SaaS is told on time. None when
    /// nothing is pending.
    /// </summary>
    public static DateTimeOffset? OfAccount(AccountState state, DateTimeOffset now, EventPolicy events)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(events);

        // An open hold's expiry, always: its credits come back then, whether or not anybody calls.
        var holds = state.Holds.Select(h => h.ExpiresAt);
        // A granted bucket's expiry, and before it the start of its expiring window while that is untold: at once when the
        // window has already begun (a grant made inside it, or more buckets than one change tells).
        var grants = events.Enabled
            ? state.Grants
                .Where(g => g.Remaining > 0 && g.Kind != BucketKind.Rollover && g.ExpiresAt is not null)
                .SelectMany(g => g.ExpiringTold || g.ExpiresAt!.Value <= now
                    ? [g.ExpiresAt!.Value]
                    : new[] { Max(g.ExpiresAt!.Value - events.ExpiringWithin, now), g.ExpiresAt!.Value })
                .Where(at => at > now - TimeSpan.FromDays(1))
            : [];
        var soonest = holds.Concat(grants).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
        return soonest == DateTimeOffset.MaxValue ? null : soonest < now ? now : soonest;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
