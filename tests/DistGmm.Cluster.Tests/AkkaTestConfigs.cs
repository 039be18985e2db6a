using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using DistGmm.Cluster;
using DistGmm.Cluster.Hosting;

namespace DistGmm.Cluster.Tests;

/// <summary>The actor-system configs of the TestKit tests: DistGmm's own on top, so the binary serializer is bound.</summary>
internal static class AkkaTestConfigs
{
    /// <summary>
    /// DistGmm's base config with every message serialized on every send (<c>serialize-messages</c>): a protocol message
    /// that does not round-trip through our binary serializer breaks the test, in process as across nodes.
    /// </summary>
    public static Config Serializing { get; } =
        ConfigurationFactory.ParseString("""
            akka.actor.serialize-messages = on
            akka.test.single-expect-default = 10s  # two shared cores: a pass may wait its turn
            """).WithFallback(DistGmmActorSystems.BaseConfig);

    /// <summary>
    /// <see cref="Serializing"/> on virtual time: timers fire only when the test calls <c>Advance</c>. It replaces the
    /// whole system's scheduler, so only for tests of local actors.
    /// </summary>
    public static Config VirtualTime { get; } =
        ConfigurationFactory.ParseString("""akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit" """).WithFallback(Serializing);
}

/// <summary>A job event as a TestKit message (events are local facts, never serialized).</summary>
internal sealed record Observed(JobEvent Event) : INoSerializationVerificationNeeded;

/// <summary>Keeps every job event and tells each to a probe, so a test can wait for one with FishForMessage.</summary>
internal sealed class ProbeObserver(TestProbe probe) : IJobObserver
{
    public ConcurrentQueue<JobEvent> Events { get; } = new();

    public TestProbe Probe { get; } = probe;

    public void OnEvent(JobEvent e)
    {
        Events.Enqueue(e);
        Probe.Ref.Tell(new Observed(e));
    }

    /// <summary>Waits for the first event of type <typeparamref name="T"/> (skipping the others).</summary>
    public T Await<T>(Func<T, bool>? match = null) where T : JobEvent =>
        (T)Probe.FishForMessage<Observed>(o => o.Event is T t && (match is null || match(t))).Event;
}
