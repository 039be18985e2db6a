using System.Threading.Channels;
using DistGmm.Actors;
using DistGmm.Remoting.Actors;
using DistGmm.Remoting.Serialization;
using Xunit;

namespace DistGmm.Remoting.Tests;

/// <summary>Actors on two nodes (two actor systems joined over a loopback network), talking through remote refs.</summary>
public sealed class RemoteNodeTests : IAsyncLifetime
{
    public sealed record Ping(int N);

    public sealed record Pong(int N);

    public sealed record Stats(int Shard, double[] Sums);

    public sealed record Unregistered(int N);

    private static readonly ClusterSecret Secret = ClusterSecret.FromString("remote node test secret 123456");
    private readonly LoopbackNetwork _network = new();
    private readonly Channel<(object Message, IActorRef Sender)> _inbox = Channel.CreateUnbounded<(object, IActorRef)>();
    private readonly List<ITransport> _transports = [];
    private ActorSystem _systemA = null!, _systemB = null!;
    private RemoteNode _a = null!, _b = null!;

    public Task InitializeAsync()
    {
        (_systemA, _a) = StartNode("node-a");
        (_systemB, _b) = StartNode("node-b");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _systemA.DisposeAsync();
        await _systemB.DisposeAsync();
        foreach (var transport in _transports) await transport.DisposeAsync();
    }

    private (ActorSystem, RemoteNode) StartNode(string name)
    {
        var system = ActorSystem.Create(name);
        var transport = new LoopbackTransport(_network, name, new EnvelopeCodec(Secret), _ => { });
        _transports.Add(transport);
        var node = new RemoteNode(system, transport, _ => { });
        node.Registry
            .RegisterJson<Ping>("test.Ping")
            .RegisterJson<Pong>("test.Pong")
            .RegisterBinary<Stats>("test.Stats", (m, w) => w.WriteInt32(m.Shard).WriteDoubles(m.Sums),
                (ref PayloadReader r) => new Stats(r.ReadInt32(), r.ReadDoubles()));
        node.Start();
        return (system, node);
    }

    private async Task<(object Message, IActorRef Sender)> NextAsync()
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await _inbox.Reader.ReadAsync(bound.Token);
    }

    private IActorRef Collector(ActorSystem system, string name) =>
        system.ActorOf(Props.Create(() => new CollectorActor(_inbox.Writer)), name);

    [Fact]
    public async Task A_tell_reaches_the_remote_actor_with_a_sender_it_can_reply_to()
    {
        _systemB.ActorOf(Props.Create(() => new EchoActor()), "echo");
        var collector = Collector(_systemA, "collector");
        var echo = _a.ActorFor("node-b", "user/echo");

        Assert.IsType<RemoteActorRef>(echo);
        Assert.Equal("distgmm://node-b/user/echo", echo.Path);
        echo.Tell(new Ping(7), collector);

        var (message, sender) = await NextAsync();
        Assert.Equal(new Pong(7), message);
        Assert.Equal(echo, sender);
        Assert.Same(echo, sender); // one cached ref per path
    }

    [Fact]
    public async Task Ask_across_nodes_is_answered_through_the_temporary_reply_path()
    {
        _systemB.ActorOf(Props.Create(() => new EchoActor()), "echo");
        var reply = await _systemA.Ask<Pong>(_a.ActorFor("node-b", "user/echo"), new Ping(41), TimeSpan.FromSeconds(20));
        Assert.Equal(new Pong(41), reply);
    }

    [Fact]
    public async Task Numeric_payloads_cross_bit_for_bit()
    {
        var collector = Collector(_systemB, "collector");
        double[] sums = [Math.PI, -0.0, double.NaN, 1e-310, double.MaxValue];

        _a.ResolveRef(collector.Path).Tell(new Stats(3, sums));

        var stats = Assert.IsType<Stats>((await NextAsync()).Message);
        Assert.Equal(3, stats.Shard);
        Assert.Equal(sums.Select(BitConverter.DoubleToInt64Bits), stats.Sums.Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public async Task Watching_a_remote_actor_yields_terminated_when_it_stops()
    {
        _systemB.ActorOf(Props.Create(() => new EchoActor()), "doomed");
        var remoteTarget = _a.ActorFor("node-b", "user/doomed");
        _systemA.ActorOf(Props.Create(() => new WatcherActor(remoteTarget, _inbox.Writer)), "watcher");
        Assert.Equal("watching", (await NextAsync()).Message);

        remoteTarget.Tell(PoisonPill.Instance);

        var terminated = Assert.IsType<Terminated>((await NextAsync()).Message);
        Assert.Same(remoteTarget, terminated.ActorRef);
        Assert.False(terminated.AddressTerminated);
    }

    [Fact]
    public async Task Watching_a_remote_actor_that_does_not_exist_yields_terminated_at_once()
    {
        var missing = _a.ActorFor("node-b", "user/never-was");
        _systemA.ActorOf(Props.Create(() => new WatcherActor(missing, _inbox.Writer)), "watcher");
        Assert.Equal("watching", (await NextAsync()).Message);

        var terminated = Assert.IsType<Terminated>((await NextAsync()).Message);
        Assert.Equal(missing, terminated.ActorRef);
        Assert.False(terminated.ExistenceConfirmed);
    }

    [Fact]
    public async Task A_node_declared_terminated_ends_every_watch_on_its_actors_with_address_terminated()
    {
        _systemB.ActorOf(Props.Create(() => new EchoActor()), "worker");
        var remoteWorker = _a.ActorFor("node-b", "user/worker");
        _systemA.ActorOf(Props.Create(() => new WatcherActor(remoteWorker, _inbox.Writer)), "watcher");
        Assert.Equal("watching", (await NextAsync()).Message);
        // The watch has crossed once an ordinary message sent after it is answered (same ordered queue).
        Assert.Equal(new Pong(1), await _systemA.Ask<Pong>(remoteWorker, new Ping(1), TimeSpan.FromSeconds(20)));

        _a.NodeTerminated("node-b");

        var terminated = Assert.IsType<Terminated>((await NextAsync()).Message);
        Assert.Same(remoteWorker, terminated.ActorRef);
        Assert.True(terminated.AddressTerminated);
    }

    [Fact]
    public async Task Unserializable_messages_and_unknown_recipients_become_dead_letters()
    {
        var deadLettersA = Collector(_systemA, "dead-letters-a");
        _systemA.EventStream.Subscribe(deadLettersA, typeof(DeadLetter));
        var deadLettersB = Collector(_systemB, "dead-letters-b");
        _systemB.EventStream.Subscribe(deadLettersB, typeof(DeadLetter));

        _a.ActorFor("node-b", "user/echo").Tell(new Unregistered(1));
        var notSerialized = Assert.IsType<DeadLetter>((await NextAsync()).Message);
        Assert.Equal(new Unregistered(1), notSerialized.Message);
        Assert.Equal(1, _a.Counters.SerializationFailures);

        _a.ActorFor("node-b", "user/nobody-here").Tell(new Ping(2));
        var undeliverable = Assert.IsType<DeadLetter>((await NextAsync()).Message);
        Assert.Equal(new Ping(2), undeliverable.Message);
        Assert.Equal("distgmm://node-b/user/nobody-here", undeliverable.Recipient.Path);
        Assert.Equal(1, _b.Counters.Undeliverable);

        _a.ActorFor("node-c", "user/x").Tell(new Ping(3)); // no such node on the network
        var unreachable = Assert.IsType<DeadLetter>((await NextAsync()).Message);
        Assert.Equal(new Ping(3), unreachable.Message);
        Assert.Equal(1, _a.Counters.SendFailures);
    }

    [Fact]
    public async Task The_actor_system_must_be_named_after_the_node()
    {
        await using var system = ActorSystem.Create("some-name");
        await using var transport = new LoopbackTransport(_network, "other-name", new EnvelopeCodec());
        var error = Assert.Throws<ArgumentException>(() => new RemoteNode(system, transport));
        Assert.Contains("name the system after the node", error.Message);
        Assert.Equal("node-b", ActorPaths.NodeOf("distgmm://node-b/user/echo"));
        Assert.Throws<ArgumentException>(() => ActorPaths.NodeOf("akka://x/user"));
    }

    private sealed class EchoActor : ActorBase
    {
        protected override void OnReceive(object message)
        {
            if (message is Ping ping) Sender.Tell(new Pong(ping.N), Self);
            else Unhandled(message);
        }
    }

    private sealed class CollectorActor(ChannelWriter<(object, IActorRef)> inbox) : ActorBase
    {
        protected override void OnReceive(object message) => inbox.TryWrite((message, Sender));
    }

    private sealed class WatcherActor(IActorRef target, ChannelWriter<(object, IActorRef)> inbox) : ActorBase
    {
        protected override void PreStart()
        {
            Context.Watch(target);
            inbox.TryWrite(("watching", Self));
        }

        protected override void OnReceive(object message) => inbox.TryWrite((message, Sender));
    }
}
