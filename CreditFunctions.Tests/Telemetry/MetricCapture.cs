using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using CreditFunctions.Telemetry;

namespace CreditFunctions.Tests.Telemetry;

/// <summary>
/// Listens to the app's meter in one container (its own <see cref="IMeterFactory"/>, so tests running side by side do
/// not see each other's measurements) and keeps every measurement with its tags.
/// </summary>
internal sealed class MetricCapture : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<Measurement> _measurements = new();

    public MetricCapture(IServiceProvider services)
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == CreditMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.Start();
    }

    public sealed record Measurement(string Instrument, double Value, IReadOnlyDictionary<string, string?> Tags)
    {
        public override string ToString() => $"{Instrument} {Value} {{{string.Join(", ", Tags.Select(t => $"{t.Key}={t.Value}"))}}}";
    }

    /// <summary>The measurements of one instrument whose tags include all of <paramref name="tags"/> ("key=value").</summary>
    public IReadOnlyList<Measurement> Of(string instrument, params string[] tags) =>
        [.. _measurements.Where(m => m.Instrument == instrument && tags.All(t => m.Tags.GetValueOrDefault(t.Split('=')[0]) == t.Split('=', 2)[1]))];

    public double Sum(string instrument, params string[] tags) => Of(instrument, tags).Sum(m => m.Value);

    public string Dump() => string.Join(Environment.NewLine, _measurements);

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var map = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, tagValue) in tags)
        {
            map[key] = tagValue?.ToString();
        }

        _measurements.Enqueue(new Measurement(instrument.Name, value, map));
    }
}
