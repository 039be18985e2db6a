using DistGmm.Actors;
using DistGmm.Remoting.Actors;
using Xunit;

namespace DistGmm.Remoting.Tests;

/// <summary>Against the real rabbitmq-server (scripts/services.sh). One at a time: one test restarts the broker.</summary>
[CollectionDefinition("rabbitmq", DisableParallelization = true)]
public sealed class RabbitMqCollection;

[Collection("rabbitmq")]
public sealed class RabbitMqTransportTests
{
    private static readonly ClusterSecret Secret = ClusterSecret.FromString("rabbitmq transport test secret");

    private static string UniqueNode(string role) => $"{role}-{Guid.NewGuid():N}"[..24];

    private static Task<RabbitMqTransport> Connect(Uri broker, string node, ClusterSecret? secret = null, int maxBytes = EnvelopeCodec.DefaultMaxMessageBytes,
        List<string>? log = null, bool purgeOnStart = false) =>
        RabbitMqTransport.ConnectAsync(
            new RabbitMqTransportOptions
            {
                BrokerUri = broker,
                NodeName = node,
                NetworkRecoveryInterval = TimeSpan.FromMilliseconds(250),
                QueueExpiry = TimeSpan.FromMinutes(2),
                PurgeOnStart = purgeOnStart,
            },
            new EnvelopeCodec(secret ?? Secret, maxBytes),
            line => { if (log is not null) lock (log) log.Add(line); });

    [Fact]
    public async Task Nodes_exchange_envelopes_through_their_own_queues_with_confirms()
    {
        if (TestServices.Amqp() is not { } broker) return;
        await using var coordinator = await Connect(broker, UniqueNode("coord"));
        await using var worker = await Connect(broker, UniqueNode("worker"));
        Assert.Equal("distgmm.node." + worker.NodeName, worker.QueueName);

        var ping = Envelope.Create($"distgmm://j@{coordinator.NodeName}/user/c", $"distgmm://j@{worker.NodeName}/user/w", "Ping", new byte[] { 1, 2, 3 });
        await coordinator.SendAsync(worker.NodeName, ping);
        var received = await worker.ReceiveOneAsync();
        await worker.SendAsync(coordinator.NodeName, Envelope.Create(received.RecipientPath, received.SenderPath, "Pong", received.Payload));
        var reply = await coordinator.ReceiveOneAsync();

        Assert.Equal(ping.MessageId, received.MessageId);
        Assert.Equal("Pong", reply.MessageType);
        Assert.Equal(new byte[] { 1, 2, 3 }, reply.Payload.ToArray());
        Assert.Equal(new EnvelopeCodec(Secret).Encode(ping).Length, worker.Counters.BytesReceived);
        Assert.Equal(1, coordinator.Counters.MessagesSent);
    }

    [Fact]
    public async Task Unknown_nodes_and_oversized_messages_fail_clearly()
    {
        if (TestServices.Amqp() is not { } broker) return;
        await using var node = await Connect(broker, UniqueNode("lonely"), maxBytes: 1024);

        var unreachable = await Assert.ThrowsAsync<NodeUnreachableException>(
            () => node.SendAsync("no-such-node-" + Guid.NewGuid().ToString("N")[..8], Envelope.Create("a", "b", "T", new byte[1])));
        Assert.Contains("has no queue", unreachable.Message);
        await Assert.ThrowsAsync<MessageTooLargeException>(() => node.SendAsync(node.NodeName, Envelope.Create("a", "b", "T", new byte[2000])));

        // The node still works after both failures.
        await node.SendAsync(node.NodeName, Envelope.Create("a", "b", "Self", new byte[1]));
        Assert.Equal("Self", (await node.ReceiveOneAsync()).MessageType);
    }

    [Fact]
    public async Task A_restarted_node_gets_what_was_sent_while_it_was_down_unless_it_purges()
    {
        if (TestServices.Amqp() is not { } broker) return;
        await using var sender = await Connect(broker, UniqueNode("sender"));
        var workerName = UniqueNode("worker");
        await (await Connect(broker, workerName)).DisposeAsync(); // the worker ran once, then died

        await sender.SendAsync(workerName, Envelope.Create("s", "w", "WhileDown", new byte[1]));
        await using (var restarted = await Connect(broker, workerName))
            Assert.Equal("WhileDown", (await restarted.ReceiveOneAsync()).MessageType);

        await sender.SendAsync(workerName, Envelope.Create("s", "w", "Stale", new byte[1]));
        await using var purged = await Connect(broker, workerName, purgeOnStart: true);
        await sender.SendAsync(workerName, Envelope.Create("s", "w", "Fresh", new byte[1]));
        Assert.Equal("Fresh", (await purged.ReceiveOneAsync()).MessageType);
    }

    [Fact]
    public async Task A_node_with_the_wrong_secret_is_rejected_and_counted()
    {
        if (TestServices.Amqp() is not { } broker) return;
        var log = new List<string>();
        await using var coordinator = await Connect(broker, UniqueNode("coord"), log: log);
        await using var intruder = await Connect(broker, UniqueNode("intruder"), ClusterSecret.FromString("the wrong secret for this cluster"));
        await using var worker = await Connect(broker, UniqueNode("worker"));

        await intruder.SendAsync(coordinator.NodeName, Envelope.Create("distgmm://j@intruder/user/w", "c", "Join", new byte[] { 6 }));
        await worker.SendAsync(coordinator.NodeName, Envelope.Create("distgmm://j@worker/user/w", "c", "Join", new byte[] { 7 }));

        Assert.Equal(new byte[] { 7 }, (await coordinator.ReceiveOneAsync()).Payload.ToArray());
        Assert.Equal(1, coordinator.Counters.RejectedAuthentication);
        Assert.Contains(log, line => line.Contains("failed authentication"));
    }

    [Fact]
    public async Task After_a_broker_restart_nodes_reconnect_and_a_send_made_during_the_outage_is_delivered()
    {
        if (TestServices.Amqp() is not { } broker) return;
        await using var coordinator = await Connect(broker, UniqueNode("coord"));
        await using var worker = await Connect(broker, UniqueNode("worker"));
        await coordinator.SendAsync(worker.NodeName, Envelope.Create("c", "w", "Before", new byte[] { 1 }));
        Assert.Equal("Before", (await worker.ReceiveOneAsync()).MessageType);

        Task duringOutage;
        await TestServices.RunAsync("rabbitmqctl", "-q", "stop_app"); // every client connection is closed
        try
        {
            duringOutage = coordinator.SendAsync(worker.NodeName, Envelope.Create("c", "w", "During", new byte[] { 2 }));
        }
        finally
        {
            await TestServices.RunAsync("rabbitmqctl", "-q", "start_app");
            await TestServices.RunAsync("rabbitmqctl", "-q", "await_startup");
        }
        await duringOutage.WaitAsync(TimeSpan.FromSeconds(60));
        await coordinator.SendAsync(worker.NodeName, Envelope.Create("c", "w", "After", new byte[] { 3 }));

        Assert.Equal("During", (await worker.ReceiveOneAsync(60)).MessageType);
        Assert.Equal("After", (await worker.ReceiveOneAsync(60)).MessageType);
        Assert.True(coordinator.Counters.ConnectionLosses >= 1, coordinator.Counters.ToString());
        Assert.True(worker.Counters.ConnectionLosses >= 1, worker.Counters.ToString());
        await coordinator.WhenConnectedAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(coordinator.Counters.Recoveries >= 1, coordinator.Counters.ToString());
    }

    [Fact]
    public async Task Actors_on_two_nodes_ask_each_other_over_the_broker()
    {
        if (TestServices.Amqp() is not { } broker) return;
        var (nameA, nameB) = (UniqueNode("a"), UniqueNode("b"));
        await using var transportA = await Connect(broker, nameA);
        await using var transportB = await Connect(broker, nameB);
        await using var systemA = ActorSystem.Create(nameA);
        await using var systemB = ActorSystem.Create(nameB);
        await using var nodeA = new RemoteNode(systemA, transportA, _ => { });
        await using var nodeB = new RemoteNode(systemB, transportB, _ => { });
        foreach (var node in new[] { nodeA, nodeB })
        {
            node.Registry.RegisterJson<RemoteNodeTests.Ping>("test.Ping").RegisterJson<RemoteNodeTests.Pong>("test.Pong");
            node.Start();
        }
        systemB.ActorOf(Props.Create(() => new Doubler()), "doubler");

        var reply = await systemA.Ask<RemoteNodeTests.Pong>(nodeA.ActorFor(nameB, "user/doubler"), new RemoteNodeTests.Ping(21), TimeSpan.FromSeconds(30));

        Assert.Equal(new RemoteNodeTests.Pong(42), reply);
        // Receive counts are taken before delivery (the sender's count waits for its publisher confirm, which may
        // land after the reply).
        Assert.Equal(1, nodeB.TransportCounters.MessagesReceived);
        Assert.Equal(1, nodeA.TransportCounters.MessagesReceived);
    }

    private sealed class Doubler : ActorBase
    {
        protected override void OnReceive(object message)
        {
            if (message is RemoteNodeTests.Ping ping) Sender.Tell(new RemoteNodeTests.Pong(2 * ping.N), Self);
            else Unhandled(message);
        }
    }
}
