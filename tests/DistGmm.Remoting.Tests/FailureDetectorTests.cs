using DistGmm.Remoting.Configuration;
using DistGmm.Remoting.Membership;
using Xunit;

namespace DistGmm.Remoting.Tests;

public sealed class FailureDetectorTests
{
    private static readonly HeartbeatConfig Config = new(
        Interval: TimeSpan.FromSeconds(1), AcceptablePause: TimeSpan.FromSeconds(3), PhiThreshold: 8.0,
        MinStdDeviation: TimeSpan.FromMilliseconds(100), DeadAfter: TimeSpan.FromSeconds(10));

    private sealed class SteppedClock : TimeProvider
    {
        public long NowMs { get; set; }

        public override long TimestampFrequency => 1000;

        public override long GetTimestamp() => NowMs;
    }

    [Fact]
    public void Phi_is_log10_of_2_at_the_padded_mean_and_grows_with_silence()
    {
        Assert.Equal(Math.Log10(2), PhiAccrualFailureDetector.Phi(4000, 4000, 100), 12);
        var previous = 0.0;
        for (var elapsed = 0; elapsed <= 6000; elapsed += 50)
        {
            var phi = PhiAccrualFailureDetector.Phi(elapsed, 4000, 100);
            Assert.True(phi >= previous, $"phi fell at {elapsed} ms");
            Assert.True(double.IsFinite(phi));
            previous = phi;
        }
        Assert.True(previous > 8);
    }

    [Fact]
    public void A_regular_node_stays_available_until_its_silence_passes_the_padded_mean_then_becomes_unreachable_then_dead()
    {
        var clock = new SteppedClock();
        var detector = new PhiAccrualFailureDetector(Config, clock);
        Assert.False(detector.IsMonitoring);
        Assert.Equal(0.0, detector.Phi());
        for (var beat = 0; beat < 300; beat++)
        {
            detector.Heartbeat();
            clock.NowMs += 1000;
        }
        clock.NowMs -= 1000; // now: right at the last heartbeat

        clock.NowMs += 4000; // the mean interval (1 s, the seeds fell out of the window) plus the 3 s acceptable pause
        Assert.Equal(Math.Log10(2), detector.Phi(), 9);
        Assert.True(detector.IsAvailable);

        clock.NowMs += 600;  // 6 minimum deviations past the padded mean
        Assert.False(detector.IsAvailable);
        Assert.False(detector.IsDead);

        clock.NowMs += 5401; // 10.001 s of silence
        Assert.True(detector.IsDead);
    }

    [Fact]
    public void The_registry_reports_unreachable_and_dead_nodes_by_name()
    {
        var clock = new SteppedClock();
        var detectors = new NodeFailureDetectors(Config, clock);
        foreach (var node in new[] { "worker-2", "worker-1", "worker-3" }) detectors.Heartbeat(node);
        for (var second = 1; second <= 11; second++)
        {
            clock.NowMs = second * 1000;
            detectors.Heartbeat("worker-3");
            if (second <= 5) detectors.Heartbeat("worker-1");
        }

        Assert.Equal(["worker-1", "worker-2"], detectors.Unreachable());
        Assert.Equal(["worker-2"], detectors.Dead());
        Assert.True(detectors.Remove("worker-2"));
        Assert.Equal(["worker-1"], detectors.Unreachable());
        Assert.Empty(detectors.Dead());
        Assert.Equal(0.0, detectors.Phi("unknown"));
    }
}
