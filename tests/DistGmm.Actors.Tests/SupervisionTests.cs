using DistGmm.Actors;
using DistGmm.TestKit;
using Xunit;

namespace DistGmm.Actors.Tests;

public sealed class SupervisionTests : TestKitBase
{
    private (IActorRef Parent, IActorRef Child, TestProbe Monitor) Family(SupervisorStrategy strategy)
    {
        var monitor = CreateTestProbe();
        var parent = Sys.ActorOf(Props.Create(() => new ParentActor(strategy, monitor)));
        monitor.ExpectMsg<Lifecycle>(l => l.Event == "PreStart");
        return (parent, ChildOf(parent), monitor);
    }

    private IActorRef ChildOf(IActorRef parent)
    {
        TestActor.Send(parent, new ParentActor.GetChild());
        return ExpectMsg<IActorRef>();
    }

    private StateIs StateOf(IActorRef actor)
    {
        TestActor.Send(actor, new GetState());
        return ExpectMsg<StateIs>();
    }

    [Fact]
    public void Restart_replaces_the_instance_and_keeps_processing_later_messages()
    {
        var (_, child, monitor) = Family(SupervisorStrategy.Default);
        TestActor.Send(child, new Ping(1));
        ExpectMsg<Pong>();
        var before = StateOf(child);
        Assert.Equal(1, before.Count);

        child.Tell(new Boom("disk on fire"));
        TestActor.Send(child, new Ping(2));        // queued behind the failure: handled by the new instance
        monitor.ExpectMsg<Lifecycle>(l => l.Event == "PostStop");
        monitor.ExpectMsg<Lifecycle>(l => l.Event == "PostRestart:disk on fire");
        monitor.ExpectMsg<Lifecycle>(l => l.Event == "PreStart");
        Assert.Equal(2, ExpectMsg<Pong>().N);
        var after = StateOf(child);
        Assert.Equal(1, after.Count);              // state was reset: only Ping(2) counted
        Assert.NotEqual(before.Incarnation, after.Incarnation);
    }

    [Fact]
    public void Resume_keeps_state()
    {
        var (_, child, _) = Family(new SupervisorStrategy(-1, null, _ => Directive.Resume));
        TestActor.Send(child, new Ping(1));
        ExpectMsg<Pong>();
        child.Tell(new Boom("transient"));
        var state = StateOf(child);
        Assert.Equal(1, state.Count);
    }

    [Fact]
    public void Stop_directive_stops_the_child_and_watchers_hear_it()
    {
        var (_, child, _) = Family(SupervisorStrategy.StoppingStrategy);
        Watch(child);
        child.Tell(new Boom("fatal"));
        ExpectTerminated(child);
    }

    [Fact]
    public void Restart_budget_exhausted_stops_the_child()
    {
        var (_, child, monitor) = Family(new SupervisorStrategy(2, TimeSpan.FromMinutes(1), _ => Directive.Restart));
        Watch(child);
        var errors = CreateTestProbe();
        Sys.EventStream.Subscribe(errors.Ref, typeof(ActorError));
        for (var i = 0; i < 2; i++)
        {
            child.Tell(new Boom("crash " + i));
            monitor.FishForMessage<Lifecycle>(l => l.Event == "PostRestart:crash " + i);
        }
        child.Tell(new Boom("crash 2"));
        ExpectTerminated(child);
        errors.FishForMessage<ActorError>(e => e.Message.Contains("exceeded its restart budget"));
    }

    [Fact]
    public void Restart_budget_window_is_measured_on_the_injected_clock()
    {
        var (_, child, monitor) = Family(new SupervisorStrategy(1, TimeSpan.FromSeconds(10), _ => Directive.Restart));
        Watch(child);
        child.Tell(new Boom("a"));
        monitor.FishForMessage<Lifecycle>(l => l.Event == "PostRestart:a");
        Clock.Advance(TimeSpan.FromSeconds(11));   // a new window: one more restart allowed
        child.Tell(new Boom("b"));
        monitor.FishForMessage<Lifecycle>(l => l.Event == "PostRestart:b");
        child.Tell(new Boom("c"));                 // second failure within the window: stop
        ExpectTerminated(child);
    }

    [Fact]
    public void Escalate_fails_the_parent_which_its_own_supervisor_restarts()
    {
        var (parent, child, monitor) = Family(new SupervisorStrategy(-1, null, _ => Directive.Escalate));
        Watch(child);
        child.Tell(new Boom("escalated"));
        // The guardian restarts the parent: its old child is stopped and a fresh one created in PreStart.
        ExpectTerminated(child);
        monitor.FishForMessage<Lifecycle>(l => l.Event == "PreStart" && l.Path == child.Path);
        var newChild = ChildOf(parent);
        Assert.Equal(child.Path, newChild.Path);
        Assert.NotEqual(child, newChild);
    }

    [Fact]
    public void Failure_in_PreStart_stops_the_actor_by_default()
    {
        var actor = Sys.ActorOf(Props.Create(() => new FailingStart()));
        Watch(actor);
        ExpectTerminated(actor);
    }

    [Fact]
    public void Kill_stops_the_actor()
    {
        var echo = Sys.ActorOf(Props.Create(() => new EchoActor(CreateTestProbe())));
        Watch(echo);
        echo.Tell(Kill.Instance);
        ExpectTerminated(echo);
    }

    [Fact]
    public void Unhandled_Terminated_is_a_death_pact()
    {
        var victim = Sys.ActorOf(Props.Create(() => new EchoActor(CreateTestProbe())));
        var watcher = Sys.ActorOf(Props.Create(() => new PactActor(victim)));
        Watch(watcher);
        Sys.Stop(victim);
        ExpectTerminated(watcher);
    }

    private sealed class FailingStart : ActorBase
    {
        protected override void PreStart() => throw new InvalidOperationException("no config");
        protected override void OnReceive(object message) { }
    }

    private sealed class PactActor : ActorBase
    {
        public PactActor(IActorRef victim) => Context.Watch(victim);
        protected override void OnReceive(object message) => Unhandled(message);
    }
}
