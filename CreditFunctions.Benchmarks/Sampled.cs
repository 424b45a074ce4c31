using System.Globalization;

namespace CreditFunctions.Benchmarks;

/// <summary>
/// One cell's samples, in the order they were taken (sample i of every cell was taken in the same pass, so a ratio is
/// taken sample by sample before its median): a figure is shown as the median with the samples' min–max.
/// </summary>
internal sealed class Sampled<T>(IReadOnlyList<T> samples)
{
    public IReadOnlyList<T> All { get; } = samples.Count > 0 ? samples : throw new ArgumentException("A cell needs at least one sample.", nameof(samples));

    public int Count => All.Count;

    public double Median(Func<T, double> figure) => Stats.Median(All.Select(figure));

    public double Min(Func<T, double> figure) => All.Min(figure);

    public double Max(Func<T, double> figure) => All.Max(figure);

    /// <summary>The sample whose <paramref name="figure"/> is the median (the lower middle one of an even count).</summary>
    public T Middle(Func<T, double> figure) => All.OrderBy(figure).ElementAt((All.Count - 1) / 2);

    /// <summary>"median (min–max)" of <paramref name="figure"/>, each formatted with <paramref name="format"/>; the median alone for one sample.</summary>
    public string Cell(Func<T, double> figure, string format, string unit = "") => Stats.Cell([.. All.Select(figure)], format, unit);
}

internal static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>"median (min–max)" of <paramref name="values"/>; the value alone for one.</summary>
    public static string Cell(IReadOnlyList<double> values, string format, string unit = "")
    {
        var median = Median(values).ToString(format, CultureInfo.InvariantCulture) + unit;
        return values.Count == 1 ? median
            : string.Create(CultureInfo.InvariantCulture, $"{median} ({values.Min().ToString(format, CultureInfo.InvariantCulture)}–{values.Max().ToString(format, CultureInfo.InvariantCulture)})");
    }
}
