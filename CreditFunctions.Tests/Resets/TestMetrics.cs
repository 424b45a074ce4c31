using System.Diagnostics.Metrics;
using CreditFunctions.Telemetry;

namespace CreditFunctions.Tests.Resets;

/// <summary>The app's metrics for types wired by hand, on a meter factory of their own (as the container gives one).</summary>
internal static class TestMetrics
{
    public static CreditMetrics Create() =>
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());
}
