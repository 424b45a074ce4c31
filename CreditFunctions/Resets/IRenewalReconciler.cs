using CreditFunctions.Subscriptions;

namespace CreditFunctions.Resets;

/// <summary>
/// Asks the billing system about a subscription whose billing period ended with no renewal seen (a lost webhook),
/// and syncs what it says into the store.
/// </summary>
public interface IRenewalReconciler
{
    /// <summary>The synced subscription and, if its current period is paid, that period's start; null when reconciliation is off.</summary>
    Task<Reconciliation?> ReconcileAsync(Subscription stale, CancellationToken cancellationToken = default);
}

public sealed record Reconciliation(Subscription Current, DateTimeOffset? PaidPeriodStart);
