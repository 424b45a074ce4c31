using CreditFunctions.Accounts;
using CreditFunctions.Resets;
using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Tests.Resets;

/// <summary>The reset handler wired by hand over any store, as the container wires it, with reconciliation off.</summary>
internal static class TestHandlers
{
    public static CreditResetHandler Create(ICreditStore store, TimeProvider time, ResetOptions options)
    {
        var wrapped = Options.Create(options);
        var metrics = TestMetrics.Create();
        var index = new DueIndex(store, wrapped);
        var resetter = new SubscriptionResetter(new AccountWriter(store, index, time, metrics, wrapped), store, NullLogger<SubscriptionResetter>.Instance);
        return new CreditResetHandler(store, index, resetter, new NoReconciliation(), time, metrics, wrapped, NullLogger<CreditResetHandler>.Instance);
    }
}
