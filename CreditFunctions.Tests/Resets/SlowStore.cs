using Microsoft.Extensions.Time.Testing;

namespace CreditFunctions.Tests.Resets;

/// <summary>A real store whose account reads advance a fake clock, to make a run's time budget run out deterministically.</summary>
internal sealed class SlowStore(ICreditStore inner, FakeTimeProvider time, TimeSpan perRead) : DelegatingCreditStore(inner)
{
    public override async Task<StoredAccount?> GetAccountAsync(string customerId, CancellationToken cancellationToken = default)
    {
        time.Advance(perRead);
        return await Inner.GetAccountAsync(customerId, cancellationToken);
    }
}
