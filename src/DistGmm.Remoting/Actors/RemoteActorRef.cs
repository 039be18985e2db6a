using DistGmm.Actors;

namespace DistGmm.Remoting.Actors;

/// <summary>
/// A ref to an actor on another node: Tell serializes (message, sender) and hands it to the node's ordered outbound
/// queue, so it never blocks or throws. Equal by path (the node caches one instance per path, so death-watch sets
/// match the refs that come back in notifications).
/// </summary>
public sealed class RemoteActorRef : IActorRef, IEquatable<RemoteActorRef>
{
    private readonly RemoteNode _node;

    internal RemoteActorRef(string path, string nodeName, RemoteNode node)
    {
        Path = path;
        NodeName = nodeName;
        _node = node;
    }

    public string Path { get; }

    /// <summary>The node the actor lives on.</summary>
    public string NodeName { get; }

    public void Tell(object message, IActorRef? sender = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        _node.Enqueue(this, message, sender);
    }

    public bool Equals(RemoteActorRef? other) => other is not null && other.Path == Path;

    public override bool Equals(object? obj) => Equals(obj as RemoteActorRef);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Path);

    public override string ToString() => Path;
}

/// <summary>An actor on another node reported a failure (the exception itself does not cross the wire).</summary>
public sealed class RemoteFailureException(string remoteType, string remoteMessage)
    : Exception($"{remoteType} on a remote node: {remoteMessage}")
{
    public string RemoteType { get; } = remoteType;
}

/// <summary>What the remoting bridge dropped (besides the transport's own counters).</summary>
public sealed class RemoteNodeCounters
{
    private long _serializationFailures, _sendFailures, _undeliverable, _misaddressed;

    /// <summary>Messages that could not be serialized (outbound) or deserialized (inbound).</summary>
    public long SerializationFailures => Interlocked.Read(ref _serializationFailures);

    /// <summary>Outbound messages the transport could not deliver (node unreachable, too large, timed out).</summary>
    public long SendFailures => Interlocked.Read(ref _sendFailures);

    /// <summary>Inbound messages for actors that do not exist (published as dead letters).</summary>
    public long Undeliverable => Interlocked.Read(ref _undeliverable);

    /// <summary>Inbound envelopes addressed to another node's path.</summary>
    public long Misaddressed => Interlocked.Read(ref _misaddressed);

    internal void SerializationFailed() => Interlocked.Increment(ref _serializationFailures);
    internal void SendFailed() => Interlocked.Increment(ref _sendFailures);
    internal void WasUndeliverable() => Interlocked.Increment(ref _undeliverable);
    internal void WasMisaddressed() => Interlocked.Increment(ref _misaddressed);
}
