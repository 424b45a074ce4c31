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

    public bool PeriodEnded { get; init; }
}
