using DistGmm.Actors;

namespace DistGmm.Actors.Tests;

public sealed record Ping(int N);
public sealed record Pong(int N);
public sealed record Boom(string Why);
public sealed record GetState;
public sealed record StateIs(int Count, int Incarnation);
public sealed record Lifecycle(string Event, string Path);

/// <summary>Echoes Ping as Pong, counts messages, throws on Boom, reports lifecycle hooks to a probe.</summary>
public sealed class EchoActor : ActorBase
{
    private static int s_incarnations;
    private readonly IActorRef _monitor;
    private readonly int _incarnation;
    private int _count;

    public EchoActor(IActorRef monitor)
    {
        _monitor = monitor;
        _incarnation = Interlocked.Increment(ref s_incarnations);
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Ping p: _count++; Sender.Tell(new Pong(p.N), Self); break;
            case Boom b: throw new InvalidOperationException(b.Why);
            case GetState: Sender.Tell(new StateIs(_count, _incarnation), Self); break;
            default: Unhandled(message); break;
        }
    }

    protected override void PreStart() => _monitor.Tell(new Lifecycle("PreStart", Self.Path));
    protected override void PostStop() => _monitor.Tell(new Lifecycle("PostStop", Self.Path));
    protected override void PostRestart(Exception reason)
    {
        _monitor.Tell(new Lifecycle("PostRestart:" + reason.Message, Self.Path));
        base.PostRestart(reason);
    }
}

/// <summary>A parent with one EchoActor child "child" and a configurable supervisor strategy; forwards to it.</summary>
public sealed class ParentActor(SupervisorStrategy strategy, IActorRef monitor) : ActorBase
{
    public sealed record GetChild;

    protected override SupervisorStrategy SupervisorStrategy => strategy;

    protected override void PreStart() => Context.ActorOf(Props.Create(() => new EchoActor(monitor)), "child");

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case GetChild: Sender.Tell(Context.Children.Single(), Self); break;
            case Boom b: throw new InvalidOperationException("parent: " + b.Why);
            default: Unhandled(message); break;
        }
    }
}

/// <summary>Forwards every message it gets (including its timer messages) to the monitor; controls timers on request.</summary>
public sealed class TimerActor(IActorRef monitor) : ActorBase
{
    public sealed record StartSingle(string Key, object Message, TimeSpan Delay);
    public sealed record StartPeriodic(string Key, object Message, TimeSpan Interval);
    public sealed record CancelTimer(string Key);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case StartSingle s: Context.Timers.StartSingleTimer(s.Key, s.Message, s.Delay); monitor.Tell("started " + s.Key); break;
            case StartPeriodic s: Context.Timers.StartPeriodicTimer(s.Key, s.Message, s.Interval); monitor.Tell("started " + s.Key); break;
            case CancelTimer c: Context.Timers.Cancel(c.Key); monitor.Tell("cancelled " + c.Key); break;
            case Boom b: throw new InvalidOperationException(b.Why);
            default: monitor.Tell(message, Sender); break;
        }
    }
}
