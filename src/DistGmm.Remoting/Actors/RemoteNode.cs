using System.Collections.Concurrent;
using System.Threading.Channels;
using DistGmm.Actors;
using DistGmm.Remoting.Serialization;

namespace DistGmm.Remoting.Actors;

/// <summary>
/// Joins a local <see cref="ActorSystem"/> to the cluster over an <see cref="ITransport"/> (the Akka.Remote role):
/// <list type="bullet">
/// <item>outbound: <see cref="RemoteActorRef.Tell"/> → one ordered queue → serialize with <see cref="Registry"/> →
/// envelope (sender path, recipient path, type) → transport. Message order per node pair is kept.</item>
/// <item>inbound: the transport's verified envelopes → deserialize → the local actor found by path, with the sender
/// resolved to a local or remote ref; unknown recipients become dead letters.</item>
/// <item>death watch: Watch/Unwatch/DeathWatchNotification cross the wire as ordinary messages; when the membership
/// layer declares a node gone (<see cref="NodeTerminated"/>), local watchers of its actors get Terminated with
/// AddressTerminated = true.</item>
/// </list>
/// The actor system must be named after the transport's node (paths carry the node name, see <see cref="ActorPaths"/>).
/// Register application message types in <see cref="Registry"/> before <see cref="Start"/>; messages holding refs
/// write <c>ref.Path</c> and read back with <see cref="ResolveRef"/>. The node does not own the transport or the
/// system: dispose the node first, then them.
/// </summary>
public sealed class RemoteNode : IAsyncDisposable
{
    private readonly ITransport _transport;
    private readonly Action<string> _log;
    private readonly ConcurrentDictionary<string, RemoteActorRef> _remoteRefs = new(StringComparer.Ordinal);
    private readonly Channel<Outbound> _outbound = Channel.CreateUnbounded<Outbound>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, HashSet<IActorRef>> _remoteWatches = new(StringComparer.Ordinal); // watchee path → local watchers
    private readonly Lock _watchGate = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task _loops = Task.CompletedTask;

    public RemoteNode(ActorSystem system, ITransport transport, Action<string>? log = null)
    {
        if (system.Name != transport.NodeName)
            throw new ArgumentException($"the actor system is named '{system.Name}' but the transport's node is '{transport.NodeName}': name the system after the node");
        System = system;
        _transport = transport;
        _log = log ?? Console.Error.WriteLine;
        RegisterSystemMessages();
    }

    public ActorSystem System { get; }

    public string NodeName => _transport.NodeName;

    public MessageSerializerRegistry Registry { get; } = new();

    public RemoteNodeCounters Counters { get; } = new();

    public TransportCounters TransportCounters => _transport.Counters;

    /// <summary>Starts the inbound and outbound loops.</summary>
    public void Start()
    {
        if (!_loops.IsCompleted) throw new InvalidOperationException($"remote node '{NodeName}' is already started");
        _loops = Task.WhenAll(Task.Run(OutboundLoop), Task.Run(InboundLoop));
    }

    /// <summary>A ref for a path: the live local actor, a dead-letter ref for a gone local one, or a remote ref.</summary>
    public IActorRef ResolveRef(string path)
    {
        if (string.IsNullOrEmpty(path) || path == ActorRefs.Nobody.Path) return ActorRefs.Nobody;
        if (!ActorPaths.TryNodeOf(path, out var node)) throw new MessageSerializationException($"'{path}' is not an actor path");
        if (node == NodeName) return System.TryResolve(path, out var local) ? local : new DeadLocalRef(path, System);
        return _remoteRefs.GetOrAdd(path, p => new RemoteActorRef(p, node, this));
    }

    /// <summary>The ref of an actor on another node, e.g. ActorFor("coordinator", "user/coordinator").</summary>
    public IActorRef ActorFor(string nodeName, string relativePath) => ResolveRef(ActorPaths.For(nodeName, relativePath));

    /// <summary>
    /// The membership layer declared <paramref name="nodeName"/> gone: every local watcher of one of its actors gets
    /// Terminated(existenceConfirmed: false, addressTerminated: true).
    /// </summary>
    public void NodeTerminated(string nodeName)
    {
        List<(string Watchee, HashSet<IActorRef> Watchers)> gone;
        lock (_watchGate)
        {
            gone = [.. _remoteWatches.Where(w => ActorPaths.NodeOf(w.Key) == nodeName).Select(w => (w.Key, w.Value))];
            foreach (var (watchee, _) in gone) _remoteWatches.Remove(watchee);
        }
        foreach (var (watchee, watchers) in gone)
        {
            var watcheeRef = ResolveRef(watchee);
            foreach (var watcher in watchers) watcher.Tell(new DeathWatchNotification(watcheeRef, false, true), watcheeRef);
        }
        if (gone.Count > 0) _log($"remoting[{NodeName}]: node '{nodeName}' terminated; notified watchers of {gone.Count} actor(s)");
    }

    public async ValueTask DisposeAsync()
    {
        _outbound.Writer.TryComplete();
        await _stopping.CancelAsync();
        try
        {
            await _loops;
        }
        catch (OperationCanceledException)
        {
            // Stopping cancels the inbound loop's wait: expected.
        }
        _stopping.Dispose();
    }

    internal void Enqueue(RemoteActorRef recipient, object message, IActorRef? sender)
    {
        if (message is Watch watch && Equals(watch.Watchee, recipient))
            lock (_watchGate)
            {
                if (!_remoteWatches.TryGetValue(recipient.Path, out var watchers)) _remoteWatches[recipient.Path] = watchers = [];
                watchers.Add(watch.Watcher);
            }
        else if (message is Unwatch unwatch)
            lock (_watchGate)
                if (_remoteWatches.TryGetValue(recipient.Path, out var watchers) && watchers.Remove(unwatch.Watcher) && watchers.Count == 0)
                    _remoteWatches.Remove(recipient.Path);

        if (!_outbound.Writer.TryWrite(new Outbound(recipient, message, sender ?? ActorRefs.Nobody)))
            Undeliverable(recipient, message, sender ?? ActorRefs.Nobody, "the remote node is shut down");
    }

    private async Task OutboundLoop()
    {
        await foreach (var (recipient, message, sender) in _outbound.Reader.ReadAllAsync())
        {
            string typeName;
            byte[] payload;
            try
            {
                (typeName, payload) = Registry.Serialize(message);
            }
            catch (MessageSerializationException ex)
            {
                Counters.SerializationFailed();
                Undeliverable(recipient, message, sender, ex.Message);
                continue;
            }
            try
            {
                await _transport.SendAsync(recipient.NodeName, Envelope.Create(sender.Path, recipient.Path, typeName, payload), _stopping.Token);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (RemotingException ex)
            {
                Counters.SendFailed();
                Undeliverable(recipient, message, sender, ex.Message);
            }
        }
    }

    private async Task InboundLoop()
    {
        await foreach (var envelope in _transport.ReceiveAllAsync(_stopping.Token))
        {
            if (!ActorPaths.TryNodeOf(envelope.RecipientPath, out var node) || node != NodeName)
            {
                Counters.WasMisaddressed();
                _log($"remoting[{NodeName}]: dropped '{envelope.MessageType}' addressed to '{envelope.RecipientPath}', not this node");
                continue;
            }
            object message;
            IActorRef sender;
            try
            {
                message = Registry.Deserialize(envelope.MessageType, envelope.Payload);
                sender = ResolveRef(envelope.SenderPath);
            }
            catch (MessageSerializationException ex)
            {
                Counters.SerializationFailed();
                _log($"remoting[{NodeName}]: dropped '{envelope.MessageType}' from '{envelope.SenderPath}': {ex.Message}");
                continue;
            }
            if (message is DeathWatchNotification notification)
                lock (_watchGate) _remoteWatches.Remove(notification.Actor.Path);
            if (System.TryResolve(envelope.RecipientPath, out var recipient))
            {
                recipient.Tell(message, sender);
            }
            else
            {
                if (message is not ISystemMessage) Counters.WasUndeliverable();
                ResolveRef(envelope.RecipientPath).Tell(message, sender); // dead letter, or a watch answered at once
            }
        }
    }

    private void Undeliverable(RemoteActorRef recipient, object message, IActorRef sender, string reason)
    {
        _log($"remoting[{NodeName}]: could not deliver {message.GetType().Name} to '{recipient.Path}': {reason}");
        if (message is Watch watch)
        {
            // A watch that cannot reach its target must still end in Terminated, or the watcher waits forever.
            lock (_watchGate) _remoteWatches.Remove(recipient.Path);
            watch.Watcher.Tell(new DeathWatchNotification(recipient, false, true), recipient);
        }
        else if (message is not ISystemMessage)
        {
            System.EventStream.Publish(new DeadLetter(message, sender, recipient));
        }
    }

    private void RegisterSystemMessages()
    {
        Registry
            .RegisterBinary<Watch>("distgmm.Watch",
                (m, w) => w.WriteString(m.Watchee.Path).WriteString(m.Watcher.Path),
                (ref PayloadReader r) => new Watch(ResolveRef(r.ReadString()), ResolveRef(r.ReadString())))
            .RegisterBinary<Unwatch>("distgmm.Unwatch",
                (m, w) => w.WriteString(m.Watchee.Path).WriteString(m.Watcher.Path),
                (ref PayloadReader r) => new Unwatch(ResolveRef(r.ReadString()), ResolveRef(r.ReadString())))
            .RegisterBinary<DeathWatchNotification>("distgmm.DeathWatchNotification",
                (m, w) => w.WriteString(m.Actor.Path).WriteBool(m.ExistenceConfirmed).WriteBool(m.AddressTerminated),
                (ref PayloadReader r) => new DeathWatchNotification(ResolveRef(r.ReadString()), r.ReadBool(), r.ReadBool()))
            .RegisterBinary<PoisonPill>("distgmm.PoisonPill", (_, _) => { }, (ref PayloadReader _) => PoisonPill.Instance)
            .RegisterBinary<Kill>("distgmm.Kill", (_, _) => { }, (ref PayloadReader _) => Kill.Instance)
            .RegisterBinary<Status.Failure>("distgmm.Status.Failure",
                (m, w) => w.WriteString(m.Cause.GetType().FullName ?? m.Cause.GetType().Name).WriteString(m.Cause.Message),
                (ref PayloadReader r) => new Status.Failure(new RemoteFailureException(r.ReadString(), r.ReadString())));
    }

    private readonly record struct Outbound(RemoteActorRef Recipient, object Message, IActorRef Sender);

    /// <summary>A local path with no live actor: messages become dead letters, a watch is answered at once.</summary>
    private sealed class DeadLocalRef(string path, ActorSystem system) : IActorRef
    {
        public string Path { get; } = path;

        public void Tell(object message, IActorRef? sender = null)
        {
            switch (message)
            {
                case Watch watch:
                    watch.Watcher.Tell(new DeathWatchNotification(this, false, false), this);
                    break;
                case ISystemMessage:
                    break;
                default:
                    system.EventStream.Publish(new DeadLetter(message, sender, this));
                    break;
            }
        }

        public override bool Equals(object? obj) => obj is DeadLocalRef other && other.Path == Path;

        public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Path);

        public override string ToString() => Path;
    }
}
