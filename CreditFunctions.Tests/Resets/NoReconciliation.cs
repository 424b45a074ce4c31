using CreditFunctions.Subscriptions;

namespace CreditFunctions.Tests.Resets;

/// <summary>Reconciliation switched off, as without a Stripe API key.</summary>
internal sealed class NoReconciliation : IRenewalReconciler
{
    public Task<Subscription?> ReconcileAsync(Subscription stale, CancellationToken cancellationToken = default) =>
        Task.FromResult<Subscription?>(null);
}
