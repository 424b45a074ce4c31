using System.Globalization;

namespace CreditFunctions.Benchmarks;

/// <summary>The engine run's managed heap: raw peak, live peak, and the live heap before it started (the harness's own).</summary>
internal sealed record EngineMemory(long PeakBytes, long PeakLiveBytes, long BaselineBytes)
{
    /// <summary>What the run itself added to the live heap at its highest: the figure bounded buffers bound.</summary>
    public long LiveGrowthBytes => Math.Max(0, PeakLiveBytes - BaselineBytes);

    public static string Megabytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F1} MB");

    public string ToConsole() =>
        $"peak {Megabytes(PeakBytes)}, live peak {Megabytes(PeakLiveBytes)} from {Megabytes(BaselineBytes)} baseline (+{Megabytes(LiveGrowthBytes)})";
}
