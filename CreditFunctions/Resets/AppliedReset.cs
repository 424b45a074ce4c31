namespace CreditFunctions.Resets;

/// <summary>The audit record of one applied reset: written in the same transaction as the balance.</summary>
public sealed record AppliedReset
{
    public required string SubscriptionId { get; init; }
    public required DateTimeOffset Boundary { get; init; }
    public required long BalanceBefore { get; init; }
    public required long BalanceAfter { get; init; }
    public required ResetTrigger Trigger { get; init; }
    public required string RunId { get; init; }
    public required DateTimeOffset AppliedAt { get; init; }
    public IReadOnlyList<DateTimeOffset> SkippedBoundaries { get; init; } = [];

    /// <summary>The boundary was recorded as already given (an import), the balance left as it was.</summary>
    public bool RecordOnly { get; init; }
}
