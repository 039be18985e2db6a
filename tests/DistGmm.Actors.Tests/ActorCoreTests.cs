using DistGmm.Actors;
using DistGmm.TestKit;
using Xunit;

namespace DistGmm.Actors.Tests;

public sealed class ActorCoreTests : TestKitBase
{
    private IActorRef Echo(string? name = null) => Sys.ActorOf(Props.Create(() => new EchoActor(CreateTestProbe())), name);

    [Fact]
    public void Tell_delivers_in_order_and_sender_receives_replies()
    {
        var echo = Echo("echo");
        for (var i = 0; i < 100; i++) TestActor.Send(echo, new Ping(i));
        for (var i = 0; i < 100; i++) Assert.Equal(new Pong(i), ExpectMsg<Pong>());
        Assert.Equal(echo, TestActor.LastSender);
        Assert.Equal("distgmm://test/user/echo", echo.Path);
    }

    [Fact]
    public async Task Messages_from_many_threads_keep_per_sender_order()
    {
        var echo = Echo();
        var probes = Enumerable.Range(0, 4).Select(i => CreateTestProbe()).ToArray();
        await Task.WhenAll(probes.Select(p => Task.Run(() =>
        {
            for (var i = 0; i < 500; i++) p.Send(echo, new Ping(i));
        })));
        foreach (var p in probes)
            for (var i = 0; i < 500; i++) Assert.Equal(i, p.ExpectMsg<Pong>().N);
        TestActor.Send(echo, new GetState());
        Assert.Equal(2000, ExpectMsg<StateIs>().Count);
    }

    [Fact]
    public async Task Ask_returns_the_reply()
    {
        var echo = Echo();
        var pong = await Sys.Ask<Pong>(echo, new Ping(7), TimeSpan.FromSeconds(5));
        Assert.Equal(new Pong(7), pong);
    }

    [Fact]
    public async Task Ask_timeout_is_a_clear_error_naming_target_and_message_type()
    {
        var silent = CreateTestProbe("silent");
        var task = Sys.Ask<Pong>(silent.Ref, new Ping(1), TimeSpan.FromSeconds(30));
        silent.ExpectMsg<Ping>();               // the question arrived; nobody answers
        Assert.False(task.IsCompleted);
        Clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(task.IsCompleted);
        Clock.Advance(TimeSpan.FromSeconds(1));
        var ex = await Assert.ThrowsAsync<AskTimeoutException>(() => task);
        Assert.Contains("distgmm://test/user/silent", ex.Message);
        Assert.Contains(nameof(Ping), ex.Message);
        Assert.Equal(typeof(Ping), ex.MessageType);
    }

    [Fact]
    public async Task Ask_with_wrong_reply_type_or_failure_status_fails_the_task()
    {
        var probe = CreateTestProbe();
        var wrong = Sys.Ask<Pong>(probe.Ref, new Ping(1), TimeSpan.FromSeconds(30));
        probe.ExpectMsg<Ping>();
        probe.Reply("not a pong");
        var cast = await Assert.ThrowsAsync<InvalidCastException>(() => wrong);
        Assert.Contains("expected a Pong reply but got String", cast.Message);

        var failing = Sys.Ask<Pong>(probe.Ref, new Ping(2), TimeSpan.FromSeconds(30));
        probe.ExpectMsg<Ping>();
        probe.Reply(new Status.Failure(new ArgumentException("bad shard")));
        var arg = await Assert.ThrowsAsync<ArgumentException>(() => failing);
        Assert.Equal("bad shard", arg.Message);
    }

    [Fact]
    public async Task Ask_can_be_cancelled()
    {
        using var cts = new CancellationTokenSource();
        var task = Sys.Ask<Pong>(CreateTestProbe().Ref, new Ping(1), TimeSpan.FromMinutes(1), cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
    }

    [Fact]
    public void Watch_delivers_Terminated_after_stop_and_PostStop_runs()
    {
        var monitor = CreateTestProbe();
        var echo = Sys.ActorOf(Props.Create(() => new EchoActor(monitor)), "watched");
        monitor.ExpectMsg<Lifecycle>(l => l.Event == "PreStart");
        Watch(echo);
        Sys.Stop(echo);
        monitor.ExpectMsg<Lifecycle>(l => l.Event == "PostStop");
        var t = ExpectTerminated(echo);
        Assert.True(t.ExistenceConfirmed);
        Assert.False(t.AddressTerminated);
    }

    [Fact]
    public void Watching_an_already_dead_actor_still_delivers_Terminated()
    {
        var echo = Echo();
        var first = CreateTestProbe();
        first.Watch(echo);
        echo.Tell(PoisonPill.Instance);
        first.ExpectTerminated(echo);
        Watch(echo);
        ExpectTerminated(echo);
    }

    [Fact]
    public void Unwatch_prevents_Terminated()
    {
        var echo = Echo();
        Watch(echo);
        TestActor.Unwatch(echo);
        Sys.Stop(echo);
        var other = CreateTestProbe();
        other.Watch(echo);
        other.ExpectTerminated(echo);      // it is dead now ...
        ExpectNoMsg();                     // ... but the unwatched probe heard nothing
    }

    [Fact]
    public void PoisonPill_is_processed_after_earlier_messages()
    {
        var echo = Echo();
        TestActor.Send(echo, new Ping(1));
        TestActor.Send(echo, new Ping(2));
        echo.Tell(PoisonPill.Instance);
        TestActor.Send(echo, new Ping(3));
        Watch(echo);
        Assert.Equal(1, ExpectMsg<Pong>().N);
        Assert.Equal(2, ExpectMsg<Pong>().N);
        ExpectTerminated(echo);
    }

    [Fact]
    public void Messages_to_a_stopped_actor_become_dead_letters()
    {
        var echo = Echo();
        Watch(echo);
        Sys.Stop(echo);
        ExpectTerminated(echo);
        var deadLetters = CreateTestProbe();
        Sys.EventStream.Subscribe(deadLetters.Ref, typeof(DeadLetter));
        echo.Tell(new Ping(9), TestActor.Ref);
        var dl = deadLetters.ExpectMsg<DeadLetter>();
        Assert.Equal(new Ping(9), dl.Message);
        Assert.Equal(echo, dl.Recipient);
    }

    [Fact]
    public void Unhandled_messages_are_published()
    {
        var echo = Echo();
        var unhandled = CreateTestProbe();
        Sys.EventStream.Subscribe(unhandled.Ref, typeof(UnhandledMessage));
        echo.Tell(42);
        Assert.Equal(42, unhandled.ExpectMsg<UnhandledMessage>().Message);
    }

    [Fact]
    public void Become_and_Unbecome_switch_behaviour()
    {
        var actor = Sys.ActorOf(Props.Create(() => new SwitchingActor()));
        TestActor.Send(actor, "who");
        ExpectMsg<string>(s => s == "normal");
        TestActor.Send(actor, "switch");
        TestActor.Send(actor, "who");
        ExpectMsg<string>(s => s == "switched");
        TestActor.Send(actor, "back");
        TestActor.Send(actor, "who");
        ExpectMsg<string>(s => s == "normal");
    }

    [Fact]
    public void Duplicate_child_names_are_rejected_and_paths_resolve()
    {
        var echo = Echo("unique");
        Assert.Throws<InvalidActorNameException>(() => Echo("unique"));
        Assert.Throws<InvalidActorNameException>(() => Echo("a/b"));
        Assert.True(Sys.TryResolve("distgmm://test/user/unique", out var resolved));
        Assert.Equal(echo, resolved);
        Assert.False(Sys.TryResolve("distgmm://test/user/nope", out _));
    }

    [Fact]
    public void Creating_an_actor_with_new_outside_a_system_is_rejected()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new EchoActor(ActorRefs.Nobody));
        Assert.Contains("must be created through Props", ex.Message);
    }

    [Fact]
    public async Task Terminating_the_system_stops_children_before_parents()
    {
        var monitor = CreateTestProbe();
        var parent = Sys.ActorOf(Props.Create(() => new ParentActor(SupervisorStrategy.Default, monitor)), "parent");
        monitor.ExpectMsg<Lifecycle>(l => l.Event == "PreStart");
        var child = await Sys.Ask<IActorRef>(parent, new ParentActor.GetChild(), TimeSpan.FromSeconds(5));
        Assert.Equal("distgmm://test/user/parent/child", child.Path);
        Watch(child);
        Watch(parent);
        Sys.Stop(parent);
        monitor.ExpectMsg<Lifecycle>(l => l.Event == "PostStop" && l.Path == child.Path);
        ExpectTerminated(child);
        ExpectTerminated(parent);
    }

    [Fact]
    public async Task Terminate_completes_even_when_an_actor_creates_a_sibling_while_the_system_stops()
    {
        using var system = ActorSystem.Create("racy", new ActorSystemSettings(Clock));
        for (var i = 0; i < 20; i++)
            system.ActorOf(Props.Create(() => new EchoActor(system.ActorOf(Props.Create(() => new EchoActor(ActorRefs.Nobody))))));
        await system.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Throws<InvalidOperationException>(() => system.ActorOf(Props.Create(() => new EchoActor(ActorRefs.Nobody))));
    }

    private sealed class SwitchingActor : ActorBase
    {
        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case "who": Sender.Tell("normal"); break;
                case "switch":
                    Context.Become(m =>
                    {
                        if (m is "back") Context.Unbecome();
                        else Sender.Tell("switched");
                    });
                    break;
            }
        }
    }
}
