using HdrHistogram;

namespace OpeaChat.Benchmarks.Load;

/// <summary>HdrHistogram of values recorded in a fixed unit (microseconds, or plain counts), reported in another.</summary>
public sealed class LatencyHistogram
{
    private readonly LongHistogram _histogram = new(highestTrackableValue: TimeSpan.FromHours(2).Ticks / 10, numberOfSignificantValueDigits: 3);
    private readonly double _scale;
    private long _min = long.MaxValue;

    /// <param name="scale">Multiplies recorded values when reporting (0.001 turns microseconds into milliseconds).</param>
    public LatencyHistogram(double scale = 1) => _scale = scale;

    public long Count => _histogram.TotalCount;

    public void Record(long value)
    {
        value = Math.Max(0, value);
        _histogram.RecordValue(value);
        _min = Math.Min(_min, value);
    }

    public Distribution? ToDistribution() => Count == 0 ? null : new Distribution(
        Count,
        Math.Round(_histogram.GetMean() * _scale, 3),
        Value(50),
        Value(90),
        Value(99),
        Math.Round(_min * _scale, 3),
        Math.Round(_histogram.GetMaxValue() * _scale, 3));

    private double Value(double percentile) => Math.Round(_histogram.GetValueAtPercentile(percentile) * _scale, 3);
}
