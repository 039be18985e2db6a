using Xunit;

namespace DistGmm.Remoting.Tests;

public sealed class LoopbackTransportTests
{
    private static readonly ClusterSecret Secret = ClusterSecret.FromString("loopback test secret 0123456789");

    [Fact]
    public async Task Envelopes_reach_the_named_node_and_are_counted_in_encoded_bytes()
    {
        var network = new LoopbackNetwork();
        var codec = new EnvelopeCodec(Secret);
        await using var coordinator = new LoopbackTransport(network, "coordinator", codec);
        await using var worker = new LoopbackTransport(network, "worker-1", codec);
        var envelope = Envelope.Create("distgmm://j@coordinator/user/c", "distgmm://j@worker-1/user/w", "Ping", new byte[] { 42 });

        await coordinator.SendAsync("worker-1", envelope);
        var received = await worker.ReceiveOneAsync();

        Assert.Equal(envelope.MessageId, received.MessageId);
        Assert.Equal(new byte[] { 42 }, received.Payload.ToArray());
        var size = codec.Encode(envelope).Length;
        Assert.Equal((1, size), (coordinator.Counters.MessagesSent, coordinator.Counters.BytesSent));
        Assert.Equal((1, size), (worker.Counters.MessagesReceived, worker.Counters.BytesReceived));
    }

    [Fact]
    public async Task Sending_to_an_unknown_node_fails_clearly()
    {
        var network = new LoopbackNetwork();
        await using var a = new LoopbackTransport(network, "a", new EnvelopeCodec());
        var error = await Assert.ThrowsAsync<NodeUnreachableException>(
            () => a.SendAsync("nowhere", Envelope.Create("x", "y", "T", Array.Empty<byte>())));
        Assert.Equal("nowhere", error.NodeName);
        Assert.Contains("node 'nowhere' is unreachable", error.Message);
        Assert.Throws<InvalidOperationException>(() => new LoopbackTransport(network, "a", new EnvelopeCodec()));
        Assert.Throws<ArgumentException>(() => new LoopbackTransport(network, "bad name!", new EnvelopeCodec()));
    }

    [Fact]
    public async Task Messages_from_a_node_with_the_wrong_secret_are_dropped_counted_and_logged()
    {
        var network = new LoopbackNetwork();
        var log = new List<string>();
        await using var coordinator = new LoopbackTransport(network, "coordinator", new EnvelopeCodec(Secret), line => { lock (log) log.Add(line); });
        await using var intruder = new LoopbackTransport(network, "intruder", new EnvelopeCodec(ClusterSecret.FromString("a different secret, 32 bytes ok")));
        await using var worker = new LoopbackTransport(network, "worker", new EnvelopeCodec(Secret));

        await intruder.SendAsync("coordinator", Envelope.Create("distgmm://j@intruder/user/w", "c", "Join", new byte[] { 1 }));
        await worker.SendAsync("coordinator", Envelope.Create("distgmm://j@worker/user/w", "c", "Join", new byte[] { 2 }));
        var received = await coordinator.ReceiveOneAsync();

        Assert.Equal(new byte[] { 2 }, received.Payload.ToArray());
        Assert.Equal(1, coordinator.Counters.RejectedAuthentication);
        Assert.Equal(1, coordinator.Counters.MessagesReceived);
        Assert.Contains(log, line => line.Contains("failed authentication") && line.Contains("distgmm://j@intruder/user/w"));
    }

    [Fact]
    public async Task Duplicates_and_garbage_are_dropped_and_counted()
    {
        var network = new LoopbackNetwork();
        var codec = new EnvelopeCodec(Secret);
        await using var a = new LoopbackTransport(network, "a", codec);
        await using var b = new LoopbackTransport(network, "b", codec, _ => { });
        var first = Envelope.Create("a", "b", "T", new byte[] { 1 });
        var second = Envelope.Create("a", "b", "T", new byte[] { 2 });

        await a.SendAsync("b", first);
        await a.SendAsync("b", first);        // e.g. republished after a lost confirm
        network.InjectRaw("b", [1, 2, 3]);    // not an envelope
        await a.SendAsync("b", second);

        Assert.Equal(first.MessageId, (await b.ReceiveOneAsync()).MessageId);
        Assert.Equal(second.MessageId, (await b.ReceiveOneAsync()).MessageId);
        Assert.Equal(1, b.Counters.DuplicatesDropped);
        Assert.Equal(1, b.Counters.RejectedMalformed);
        Assert.Equal(2, b.Counters.MessagesReceived);
    }
}
