using DistGmm.Actors;
using DistGmm.Remoting;
using DistGmm.Remoting.Actors;
using DistGmm.Remoting.Configuration;

namespace DistGmm.Cluster.Remote;

/// <summary>
/// One cluster node process: an actor system named after the node, joined to the others over RabbitMQ through a
/// <see cref="RemoteNode"/> that knows the cluster protocol. Disposal stops the node, then the system, then the
/// broker connection (the order RemoteNode requires).
/// </summary>
public sealed class ClusterNode : IAsyncDisposable
{
    private readonly RabbitMqTransport _transport;

    private ClusterNode(ActorSystem system, RabbitMqTransport transport, RemoteNode remote)
    {
        System = system;
        _transport = transport;
        Remote = remote;
    }

    public ActorSystem System { get; }

    public RemoteNode Remote { get; }

    public string Name => Remote.NodeName;

    /// <summary>Connects to the broker (bounded by the transport's own timeouts and <paramref name="ct"/>) and starts remoting.</summary>
    public static async Task<ClusterNode> StartAsync(ClusterConfig config, Action<string>? log = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        var transport = await RabbitMqTransport.ConnectAsync(config.CreateTransportOptions(), config.CreateCodec(), log, ct).ConfigureAwait(false);
        var system = ActorSystem.Create(config.Node.Name);
        var remote = new RemoteNode(system, transport, log);
        remote.Registry.RegisterClusterProtocol();
        remote.Start();
        // Messages queued in the broker may be lost with it: a running job coordinator asks again for what it misses.
        transport.Reconnected += () => system.EventStream.Publish(new BrokerReconnected(config.Node.Name));
        return new ClusterNode(system, transport, remote);
    }

    public async ValueTask DisposeAsync()
    {
        await Remote.DisposeAsync().ConfigureAwait(false);
        await System.DisposeAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
    }
}
