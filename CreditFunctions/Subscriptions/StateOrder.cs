namespace CreditFunctions.Subscriptions;

/// <summary>
/// How an incoming state of a subscription orders against the stored one: by billing period start, then by Stripe's
/// time (the event's creation, or the API answer's date), so deliveries in any order end as in-order delivery does.
/// </summary>
public enum StateOrder
{
    Older,
    Same,

    /// <summary>A different state stamped with the same second: only Stripe knows which is current.</summary>
    Tie,
    Newer,
}

public static class StateOrders
{
    public static StateOrder Compare(StripeView incoming, StripeView stored, bool isCreation)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        ArgumentNullException.ThrowIfNull(stored);
        if (incoming.PeriodStart != stored.PeriodStart)
        {
            return incoming.PeriodStart > stored.PeriodStart ? StateOrder.Newer : StateOrder.Older;
        }

        if (incoming.AsOf is not { } incomingAt || stored.AsOf is not { } storedAt)
        {
            return stored.AsOf is null ? StateOrder.Newer : StateOrder.Older;
        }

        if (incomingAt != storedAt)
        {
            return incomingAt > storedAt ? StateOrder.Newer : StateOrder.Older;
        }

        // The same second: a creation is the first state there is; the same state again is nothing new; two different
        // states cannot be ordered by their stamps.
        return isCreation ? StateOrder.Older
            : incoming with { AsOf = null } == stored with { AsOf = null } ? StateOrder.Same
            : StateOrder.Tie;
    }
}
