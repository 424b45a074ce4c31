namespace CreditFunctions.Resets;

/// <summary>What became of one subscription's reset: applied, planned (dry run) or skipped, and where its index entry now is.</summary>
public sealed record ResetOutcome
{
    public AppliedReset? Applied { get; private init; }
    public PlannedReset? Planned { get; private init; }
    public string? SkipReason { get; private init; }

    /// <summary>Where the subscription's index entry belongs after this reset (the index rule); null when it needs none.</summary>
    public DateTimeOffset? Placement { get; private init; }

    public static ResetOutcome Done(AppliedReset reset, DateTimeOffset? placement) => new() { Applied = reset, Placement = placement };

    public static ResetOutcome WouldApply(PlannedReset reset, DateTimeOffset? placement) => new() { Planned = reset, Placement = placement };

    public static ResetOutcome Skip(string reason, DateTimeOffset? placement, bool news = true) => new() { SkipReason = reason, Placement = placement, IsNews = news };

    /// <summary>Whether a reset was applied or planned, or one that is owed could not be (see <see cref="ResetDecision.IsNews"/>).</summary>
    public bool IsNews { get; private init; } = true;

    public ResetOutcome WithPlacement(DateTimeOffset? placement) => this with { Placement = placement };
}
