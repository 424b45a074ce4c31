using CreditFunctions.Resets;

namespace CreditFunctions.Runs;

/// <summary>
/// One reset run: all due subscriptions, or just those of one customer (<see cref="CustomerId"/>), or just one
/// subscription of it (<see cref="SubscriptionId"/>); a dry run changes nothing.
/// </summary>
public sealed record ResetRequest(ResetTrigger Trigger, bool DryRun = false, string? SubscriptionId = null, string? CustomerId = null)
{
    /// <summary>Whether the run is over what it names rather than over what the due index says is due.</summary>
    public bool Names => SubscriptionId is not null || CustomerId is not null;
}
