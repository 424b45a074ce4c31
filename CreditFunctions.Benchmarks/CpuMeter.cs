using System.Diagnostics;
using CreditFunctions.Tests.Azurite;

namespace CreditFunctions.Benchmarks;

/// <summary>
/// CPU time used by the emulator and by this process over a measured run, as a share of one core. Which side was busy
/// tells whether the run waited on the store or on the client. The emulator's share is unknown when the benchmark uses an
/// Azurite it did not start.
/// </summary>
internal sealed class CpuMeter
{
    private readonly AzuriteProcess? _store;
    private readonly TimeSpan _storeStart;
    private readonly TimeSpan _clientStart;

    public CpuMeter(AzuriteProcess? store)
    {
        _store = store;
        _storeStart = store?.ProcessorTime ?? TimeSpan.Zero;
        _clientStart = ClientTime();
    }

    /// <summary>The emulator's CPU time since the start divided by <paramref name="elapsed"/>; 1.0 is one core busy throughout.</summary>
    public double? StoreShare(TimeSpan elapsed) => _store is null ? null : (_store.ProcessorTime - _storeStart) / elapsed;

    public double ClientShare(TimeSpan elapsed) => (ClientTime() - _clientStart) / elapsed;

    private static TimeSpan ClientTime()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }
}
