using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Tests.Resets;

/// <summary>The reset run wired by hand over any store, as the container wires it, with reconciliation off.</summary>
internal static class TestHandlers
{
    public static CreditResetHandler Create(ICreditStore store, TimeProvider time, ResetOptions options)
    {
        var wrapped = Options.Create(options);
        var metrics = TestMetrics.Create();
        return new CreditResetHandler(store, Repository(store, options), new NoReconciliation(), time, metrics, wrapped, NullLogger<CreditResetHandler>.Instance);
    }

    public static AccountRepository Repository(ICreditStore store, ResetOptions? options = null) =>
        new(store, TestMetrics.Create(), Options.Create(options ?? new ResetOptions()));
}
