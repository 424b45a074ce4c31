namespace CreditFunctions.Resets;

/// <summary>What became of one subscription's reset: applied, planned (dry run) or skipped with a reason.</summary>
public sealed record ResetOutcome
{
    public AppliedReset? Applied { get; private init; }
    public PlannedReset? Planned { get; private init; }
    public string? SkipReason { get; private init; }

    /// <summary>Whether a reset was applied or planned, or one that is owed could not be (see <see cref="ResetDecision.IsNews"/>).</summary>
    public bool IsNews { get; private init; } = true;

    public static ResetOutcome Done(AppliedReset reset) => new() { Applied = reset };

    public static ResetOutcome WouldApply(PlannedReset reset) => new() { Planned = reset };

    public static ResetOutcome Skip(string reason, bool news = true) => new() { SkipReason = reason, IsNews = news };
}
