using DistGmm.Remoting.Configuration;

namespace DistGmm.Remoting.Membership;

/// <summary>
/// The phi-accrual failure detector (Hayashibara et al., as in Akka): instead of a yes/no timeout it reports
/// phi = -log10(P(a heartbeat arrives later than now)), from the mean and standard deviation of recent heartbeat
/// intervals. The mean is padded by the acceptable pause (GC, load) and the deviation floored at a minimum, so a
/// perfectly regular sender is not suspected after one late beat. Not thread-safe: one owner (an actor) uses it.
/// </summary>
public sealed class PhiAccrualFailureDetector
{
    private const int MaxSamples = 200;
    private readonly HeartbeatConfig _config;
    private readonly TimeProvider _clock;
    private readonly Queue<double> _intervalsMs = new();
    private double _sum, _sumOfSquares;
    private long? _lastHeartbeat;

    public PhiAccrualFailureDetector(HeartbeatConfig config, TimeProvider? clock = null)
    {
        _config = config;
        _clock = clock ?? TimeProvider.System;
        // Seed the history around the expected interval (± a quarter), so the first real gap is judged sensibly.
        var first = config.Interval.TotalMilliseconds;
        Record(first - first / 4);
        Record(first + first / 4);
    }

    /// <summary>True once at least one heartbeat has arrived.</summary>
    public bool IsMonitoring => _lastHeartbeat is not null;

    public void Heartbeat()
    {
        var now = _clock.GetTimestamp();
        if (_lastHeartbeat is { } last) Record(_clock.GetElapsedTime(last, now).TotalMilliseconds);
        _lastHeartbeat = now;
    }

    /// <summary>Time since the last heartbeat (zero before the first).</summary>
    public TimeSpan Silence => _lastHeartbeat is { } last ? _clock.GetElapsedTime(last) : TimeSpan.Zero;

    public double Phi()
    {
        if (_lastHeartbeat is null) return 0.0;
        var count = _intervalsMs.Count;
        var mean = _sum / count;
        var variance = Math.Max(0.0, _sumOfSquares / count - mean * mean);
        var stdDeviation = Math.Max(Math.Sqrt(variance), _config.MinStdDeviation.TotalMilliseconds);
        return Phi(Silence.TotalMilliseconds, mean + _config.AcceptablePause.TotalMilliseconds, stdDeviation);
    }

    /// <summary>False once phi reaches the threshold: the node counts as unreachable (suspected).</summary>
    public bool IsAvailable => Phi() < _config.PhiThreshold;

    /// <summary>Declared dead: silent for longer than <see cref="HeartbeatConfig.DeadAfter"/> (its work moves elsewhere).</summary>
    public bool IsDead => _lastHeartbeat is not null && Silence > _config.DeadAfter;

    /// <summary>
    /// phi for a silence of <paramref name="elapsedMs"/> under a normal distribution, using the logistic
    /// approximation of its tail that Akka uses (accurate to ~1e-4 and never infinite).
    /// </summary>
    public static double Phi(double elapsedMs, double meanMs, double stdDeviationMs)
    {
        var y = (elapsedMs - meanMs) / stdDeviationMs;
        var e = Math.Exp(-y * (1.5976 + 0.070566 * y * y));
        return elapsedMs > meanMs ? -Math.Log10(e / (1.0 + e)) : -Math.Log10(1.0 - 1.0 / (1.0 + e));
    }

    private void Record(double intervalMs)
    {
        _intervalsMs.Enqueue(intervalMs);
        _sum += intervalMs;
        _sumOfSquares += intervalMs * intervalMs;
        if (_intervalsMs.Count <= MaxSamples) return;
        var dropped = _intervalsMs.Dequeue();
        _sum -= dropped;
        _sumOfSquares -= dropped * dropped;
    }
}

/// <summary>One failure detector per node, keyed by node name (what a coordinator's membership actor holds).</summary>
public sealed class NodeFailureDetectors(HeartbeatConfig config, TimeProvider? clock = null)
{
    private readonly Dictionary<string, PhiAccrualFailureDetector> _detectors = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Nodes => _detectors.Keys;

    /// <summary>Records a heartbeat (the first one starts monitoring the node).</summary>
    public void Heartbeat(string nodeName)
    {
        if (!_detectors.TryGetValue(nodeName, out var detector))
            _detectors[nodeName] = detector = new PhiAccrualFailureDetector(config, clock);
        detector.Heartbeat();
    }

    public bool Remove(string nodeName) => _detectors.Remove(nodeName);

    public double Phi(string nodeName) => _detectors.TryGetValue(nodeName, out var detector) ? detector.Phi() : 0.0;

    /// <summary>Time since the node's last heartbeat (zero for an unknown node).</summary>
    public TimeSpan Silence(string nodeName) => _detectors.TryGetValue(nodeName, out var detector) ? detector.Silence : TimeSpan.Zero;

    /// <summary>Nodes whose phi has reached the threshold (suspected), in name order.</summary>
    public IReadOnlyList<string> Unreachable() =>
        [.. _detectors.Where(d => !d.Value.IsAvailable).Select(d => d.Key).Order(StringComparer.Ordinal)];

    /// <summary>Nodes silent past <see cref="HeartbeatConfig.DeadAfter"/>, in name order.</summary>
    public IReadOnlyList<string> Dead() =>
        [.. _detectors.Where(d => d.Value.IsDead).Select(d => d.Key).Order(StringComparer.Ordinal)];
}
