using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace DistGmm.Remoting;

/// <summary>
/// An in-process "broker": one inbox per node name. Envelopes cross it as encoded bytes, exactly as over
/// RabbitMQ, so signing, verification, size limits and counters behave the same in tests.
/// </summary>
public sealed class LoopbackNetwork
{
    private readonly ConcurrentDictionary<string, Channel<byte[]>> _inboxes = new(StringComparer.Ordinal);

    internal Channel<byte[]> Open(string nodeName)
    {
        var inbox = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        if (!_inboxes.TryAdd(nodeName, inbox))
            throw new InvalidOperationException($"node '{nodeName}' is already attached to this loopback network");
        return inbox;
    }

    internal void Close(string nodeName)
    {
        if (_inboxes.TryRemove(nodeName, out var inbox)) inbox.Writer.TryComplete();
    }

    internal bool TryDeliver(string nodeName, byte[] bytes) =>
        _inboxes.TryGetValue(nodeName, out var inbox) && inbox.Writer.TryWrite(bytes);

    /// <summary>Puts raw bytes in a node's inbox as if a foreign sender had (for tests of the receive checks).</summary>
    public void InjectRaw(string nodeName, byte[] bytes)
    {
        if (!TryDeliver(nodeName, bytes)) throw new NodeUnreachableException(nodeName, "no such node on the loopback network");
    }
}

/// <summary>A node's transport over a <see cref="LoopbackNetwork"/>.</summary>
public sealed class LoopbackTransport : ITransport
{
    private readonly LoopbackNetwork _network;
    private readonly EnvelopeCodec _codec;
    private readonly Channel<byte[]> _inbox;
    private readonly InboundFilter _filter;

    public LoopbackTransport(LoopbackNetwork network, string nodeName, EnvelopeCodec codec, Action<string>? log = null)
    {
        NodeNames.Validate(nodeName);
        _network = network;
        _codec = codec;
        NodeName = nodeName;
        _inbox = network.Open(nodeName);
        _filter = new InboundFilter(codec, Counters, log ?? Console.Error.WriteLine, nodeName);
    }

    public string NodeName { get; }

    public TransportCounters Counters { get; } = new();

    public Task SendAsync(string nodeName, Envelope envelope, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var bytes = _codec.Encode(envelope);
        if (!_network.TryDeliver(nodeName, bytes)) throw new NodeUnreachableException(nodeName, "no such node on the loopback network");
        Counters.Sent(bytes.Length);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<Envelope> ReceiveAllAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var bytes in _inbox.Reader.ReadAllAsync(ct))
            if (_filter.TryAccept(bytes, out var envelope)) yield return envelope;
    }

    public ValueTask DisposeAsync()
    {
        _network.Close(NodeName);
        return ValueTask.CompletedTask;
    }
}
