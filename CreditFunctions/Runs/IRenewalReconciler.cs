using CreditFunctions.Subscriptions;

namespace CreditFunctions.Runs;

/// <summary>
/// Brings a subscription that cannot be decided on what is stored (a renewal not seen, a payment not confirmed) up to
/// date from the billing system: syncs what it says, the period's payment included. It never resets anything itself.
/// </summary>
public interface IRenewalReconciler
{
    /// <summary>The subscription as stored after the sync; null when reconciliation is off (no API key).</summary>
    Task<Subscription?> ReconcileAsync(Subscription stale, CancellationToken cancellationToken = default);
}
