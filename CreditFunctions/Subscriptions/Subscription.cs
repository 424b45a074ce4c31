namespace CreditFunctions.Subscriptions;

/// <summary>
/// A subscription as its customer's account holds it: Stripe's view of it, and what the app keeps itself. Its balance is
/// the customer's plan bucket for this subscription, set to the allowance at each boundary.
/// </summary>
public sealed record Subscription
{
    public required StripeView Stripe { get; init; }

    public string Id => Stripe.Id;

    public string CustomerId => Stripe.CustomerId;

    /// <summary>What is left of this subscription's plan bucket.</summary>
    public long Balance { get; init; }

    /// <summary>
    /// The monthly allowance the current credit month is granted with: the plan at the period's start, raised by an
    /// upgrade within the period, kept through a downgrade (which takes effect at the next boundary). Null before the
    /// first sync that knew it; the plan's allowance counts then.
    /// </summary>
    public int? AllowanceInEffect { get; init; }

    /// <summary>The latest boundary whose reset has been applied: resets only ever move this forward.</summary>
    public DateTimeOffset? LastResetBoundary { get; init; }

    /// <summary>
    /// The start of the latest billing period whose payment has been seen (a paid invoice, or the API). It may run ahead
    /// of <see cref="StripeView.PeriodStart"/> when the payment arrives before the period's state: the reset then waits
    /// for that state, so the period is reset with its own plan.
    /// </summary>
    public DateTimeOffset? PaidPeriodStart { get; init; }

    /// <summary>The period start whose unconfirmed renewal was told (<c>renewal.unconfirmed</c>, once per period).</summary>
    public DateTimeOffset? UnconfirmedTold { get; init; }

    /// <summary>Overage recorded in the billing period starting <see cref="OveragePeriodStart"/> (credits spent past 0).</summary>
    public long OverageUsed { get; init; }

    public DateTimeOffset? OveragePeriodStart { get; init; }

    /// <summary>Overage used in the current billing period.</summary>
    public long OverageUsedNow => OveragePeriodStart == Stripe.PeriodStart ? OverageUsed : 0;

    /// <summary>Incremented on every change of this subscription.</summary>
    public long Version { get; init; }

    /// <summary>Whether the current billing period's allowance has been granted: its renewal (boundary 0) or a later boundary was applied.</summary>
    public bool IsPeriodGranted => LastResetBoundary is { } last && last >= Stripe.PeriodStart;

    /// <summary>The id of this subscription's plan bucket in the customer's balance and ledger.</summary>
    public string PlanBucketId => "plan-" + Id;
}
