using DistGmm.Actors;

namespace DistGmm.TestKit;

/// <param name="DefaultTimeout">How long an expectation waits by default (generous: the CI machine is busy).</param>
/// <param name="NoMessageWait">How long ExpectNoMsg waits by default.</param>
public sealed record TestKitSettings(TimeSpan DefaultTimeout, TimeSpan NoMessageWait)
{
    public static TestKitSettings Default { get; } = new(TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
}

/// <summary>
/// Base class for actor tests (the Akka.TestKit.Xunit2 role): an <see cref="ActorSystem"/> on a
/// <see cref="ManualClock"/>, a default probe <see cref="TestActor"/>, and the expectation helpers forwarded to it.
/// Disposing terminates the system.
/// </summary>
public abstract class TestKitBase : IDisposable
{
    private int _probeCounter;

    protected TestKitBase(TestKitSettings? settings = null, SupervisorStrategy? guardianStrategy = null)
    {
        Settings = settings ?? TestKitSettings.Default;
        Clock = new ManualClock();
        Sys = ActorSystem.Create("test", new ActorSystemSettings(Clock, GuardianStrategy: guardianStrategy));
        TestActor = CreateTestProbe("testActor");
    }

    public ActorSystem Sys { get; }
    public ManualClock Clock { get; }
    public TestKitSettings Settings { get; }
    public TestProbe TestActor { get; }

    public TestProbe CreateTestProbe(string? name = null) =>
        new(Sys, Settings, name ?? $"probe-{Interlocked.Increment(ref _probeCounter)}");

    public T ExpectMsg<T>(TimeSpan? within = null) => TestActor.ExpectMsg<T>(within);
    public T ExpectMsg<T>(Func<T, bool> predicate, TimeSpan? within = null) => TestActor.ExpectMsg<T>(predicate, within);
    public void ExpectNoMsg(TimeSpan? duration = null) => TestActor.ExpectNoMsg(duration);
    public T FishForMessage<T>(Func<T, bool> isTarget, TimeSpan? within = null) => TestActor.FishForMessage(isTarget, within);
    public void Within(TimeSpan max, Action block) => TestActor.Within(max, block);
    public void Watch(IActorRef target) => TestActor.Watch(target);
    public Terminated ExpectTerminated(IActorRef target, TimeSpan? within = null) => TestActor.ExpectTerminated(target, within);

    public virtual void Dispose()
    {
        Sys.Terminate().Wait(TimeSpan.FromSeconds(10));
        GC.SuppressFinalize(this);
    }
}
