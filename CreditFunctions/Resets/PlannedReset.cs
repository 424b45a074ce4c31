namespace CreditFunctions.Resets;

/// <summary>A reset a dry run would apply: the subscription, its boundary, and its plan bucket before and after.</summary>
public sealed record PlannedReset(string SubscriptionId, DateTimeOffset Boundary, long BalanceBefore, long BalanceAfter);
