using DistGmm.Actors;
using DistGmm.TestKit;
using Xunit;

namespace DistGmm.Actors.Tests;

/// <summary>Timers run on the manual clock: the test moves time; a "marker" message proves what was (not) queued.</summary>
public sealed class TimerTests : TestKitBase
{
    private IActorRef TimerActor() => Sys.ActorOf(Props.Create(() => new TimerActor(TestActor)));

    /// <summary>Everything the timer actor had queued before this call reaches the probe before the marker.</summary>
    private void ExpectOnlyMarkerNext(IActorRef actor, string marker)
    {
        actor.Tell(marker);
        Assert.Equal(marker, ExpectMsg<string>());
    }

    [Fact]
    public void Single_timer_fires_once_when_the_clock_reaches_it()
    {
        var actor = TimerActor();
        actor.Tell(new TimerActor.StartSingle("t", "tick", TimeSpan.FromSeconds(10)));
        ExpectMsg<string>(s => s == "started t");
        Clock.Advance(TimeSpan.FromSeconds(9.999));
        ExpectOnlyMarkerNext(actor, "marker-1");
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("tick", ExpectMsg<string>());
        Clock.Advance(TimeSpan.FromMinutes(5));
        ExpectOnlyMarkerNext(actor, "marker-2");
    }

    [Fact]
    public void Periodic_timer_fires_every_interval()
    {
        var actor = TimerActor();
        actor.Tell(new TimerActor.StartPeriodic("p", "beat", TimeSpan.FromSeconds(2)));
        ExpectMsg<string>(s => s == "started p");
        Clock.Advance(TimeSpan.FromSeconds(7));
        for (var i = 0; i < 3; i++) Assert.Equal("beat", ExpectMsg<string>());
        ExpectOnlyMarkerNext(actor, "marker");
    }

    [Fact]
    public void Cancelled_timer_never_delivers_even_if_already_queued()
    {
        var actor = TimerActor();
        actor.Tell(new TimerActor.StartSingle("t", "tick", TimeSpan.FromSeconds(1)));
        ExpectMsg<string>(s => s == "started t");
        actor.Tell(new TimerActor.CancelTimer("t"));
        Clock.Advance(TimeSpan.FromSeconds(1));       // may already have queued the tick before the cancel ran
        ExpectMsg<string>(s => s == "cancelled t");
        ExpectOnlyMarkerNext(actor, "marker");
    }

    [Fact]
    public void Restarting_a_timer_with_the_same_key_replaces_it()
    {
        var actor = TimerActor();
        actor.Tell(new TimerActor.StartSingle("t", "old", TimeSpan.FromSeconds(1)));
        actor.Tell(new TimerActor.StartSingle("t", "new", TimeSpan.FromSeconds(5)));
        ExpectMsg<string>(s => s == "started t");
        ExpectMsg<string>(s => s == "started t");
        Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("new", ExpectMsg<string>());
        ExpectOnlyMarkerNext(actor, "marker");
    }

    [Fact]
    public void Timers_are_cancelled_when_the_actor_restarts()
    {
        var actor = TimerActor();
        actor.Tell(new TimerActor.StartSingle("t", "tick", TimeSpan.FromSeconds(1)));
        ExpectMsg<string>(s => s == "started t");
        actor.Tell(new Boom("restart me"));
        ExpectOnlyMarkerNext(actor, "after-restart");
        Assert.Equal(0, Clock.ActiveTimers);
        Clock.Advance(TimeSpan.FromSeconds(2));
        ExpectOnlyMarkerNext(actor, "marker");
    }
}
