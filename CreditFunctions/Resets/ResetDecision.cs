namespace CreditFunctions.Resets;

/// <summary>What to do with one subscription at one instant: the output of <see cref="ResetPlanner"/>.</summary>
public sealed record ResetDecision
{
    /// <summary>The boundary to apply now, or null when nothing is to be applied.</summary>
    public DateTimeOffset? Boundary { get; init; }

    /// <summary>Earlier due boundaries that catch-up passes over (a run applies only the latest due one).</summary>
    public IReadOnlyList<DateTimeOffset> SkippedBoundaries { get; init; } = [];

    /// <summary>Why nothing is applied, when <see cref="Boundary"/> is null and something was due.</summary>
    public string? SkipReason { get; init; }

    /// <summary>When the subscription must be looked at next; null when it needs no more scheduling.</summary>
    public DateTimeOffset? NextCheck { get; init; }

    /// <summary>
    /// What is stored cannot be decided on alone: the billing period ended with no renewal seen, or the current period's
    /// payment has not been seen within the grace. The run asks Stripe's API about it when a key is set.
    /// </summary>
    public bool NeedsStripe { get; init; }

    /// <summary>
    /// With <see cref="NeedsStripe"/>, for a subscription Stripe is expected to renew: since when it has been waiting on
    /// Stripe (its period's end, or the end of its renewal's grace). What operators are alerted on once it passes a day.
    /// Null for one paused, unpaid or ending: its wait is its state, not a lost delivery.
    /// </summary>
    public DateTimeOffset? WaitingSince { get; init; }

    /// <summary>
    /// Whether there is anything to act on or tell: a boundary to apply, or a reason a reset that is owed cannot be
    /// applied. Nothing due, already applied, and subscriptions that are over (no next check) are not news.
    /// </summary>
    public bool IsNews => Boundary is not null
        || (NextCheck is not null && SkipReason is not (Resets.SkipReason.NotDue or Resets.SkipReason.AlreadyApplied));
}
