namespace CreditFunctions.Resets;

/// <summary>What became of a renewal reset: applied, or the reason it was not (already applied, unknown plan, ...).</summary>
public sealed record RenewalOutcome(bool Applied, string? SkipReason);
