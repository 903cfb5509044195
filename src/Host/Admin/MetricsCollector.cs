using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using AkkaRaft.Actors.Runtime;

namespace AkkaRaft.Host.Admin;

/// <summary>
/// Listens to the "AkkaRaft" meter and keeps running totals per instrument and group: counters as sums, histograms as
/// count, sum and fixed buckets. Bounded by the number of groups. Renders Prometheus text exposition.
/// </summary>
internal sealed class MetricsCollector : IDisposable
{
    private static readonly double[] Buckets = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000];
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Name, string Group), Series> _series = new();

    private sealed class Series(bool histogram)
    {
        public bool Histogram { get; } = histogram;
        public long Count;
        public double Sum;
        public long[] BucketCounts { get; } = new long[Buckets.Length];
        public readonly object Gate = new();
    }

    /// <summary>Starts listening.</summary>
    public MetricsCollector()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == RaftMetrics.MeterName) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var group = "";
        foreach (var tag in tags) if (tag.Key == "group") group = Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "";
        var histogram = instrument.GetType().Name.StartsWith("Histogram", StringComparison.Ordinal);
        var series = _series.GetOrAdd((instrument.Name, group), _ => new Series(histogram));
        lock (series.Gate)
        {
            series.Count++;
            series.Sum += value;
            if (!histogram) return;
            for (var i = 0; i < Buckets.Length; i++) if (value <= Buckets[i]) series.BucketCounts[i]++;
        }
    }

    /// <summary>Appends every series in Prometheus text format.</summary>
    public void WriteTo(StringBuilder text)
    {
        foreach (var byName in _series.GroupBy(s => s.Key.Name).OrderBy(g => g.Key))
        {
            var histogram = byName.First().Value.Histogram;
            var name = histogram ? byName.Key : byName.Key + "_total";
            text.Append(CultureInfo.InvariantCulture, $"# TYPE {name} {(histogram ? "histogram" : "counter")}\n");
            foreach (var ((_, group), series) in byName.OrderBy(s => s.Key.Group, StringComparer.Ordinal))
            {
                lock (series.Gate)
                {
                    var label = $"region=\"{group}\"";
                    if (!histogram)
                    {
                        text.Append(CultureInfo.InvariantCulture, $"{name}{{{label}}} {series.Sum}\n");
                        continue;
                    }
                    for (var i = 0; i < Buckets.Length; i++)
                    {
                        text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{label},le=\"{Buckets[i]}\"}} {series.BucketCounts[i]}\n");
                    }
                    text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{label},le=\"+Inf\"}} {series.Count}\n");
                    text.Append(CultureInfo.InvariantCulture, $"{name}_sum{{{label}}} {series.Sum}\n");
                    text.Append(CultureInfo.InvariantCulture, $"{name}_count{{{label}}} {series.Count}\n");
                }
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();
}
