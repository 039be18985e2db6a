using System.Reflection;
using Akka.Actor;
using Akka.Configuration;

namespace DistGmm.Cluster.Hosting;

/// <summary>Creates DistGmm's actor systems: the shared embedded one, and cluster nodes from a node config.</summary>
public static class DistGmmActorSystems
{
    private static readonly Lazy<ActorSystem> SharedEmbedded = new(() => ActorSystem.Create("distgmm", BaseConfig));

    /// <summary>distgmm.conf (embedded resource): serializer bindings, logging, the in-memory journal of embedded runs.</summary>
    public static Config BaseConfig { get; } = LoadBase();

    /// <summary>
    /// The process's embedded actor system (local provider, journal in memory), created on first use: every
    /// embedded train/score/run job runs its host, workers and coordinator here.
    /// </summary>
    public static ActorSystem Embedded => SharedEmbedded.Value;

    /// <summary>Terminates the embedded system if it was started (end of a command).</summary>
    public static async Task ShutdownEmbeddedAsync()
    {
        if (SharedEmbedded.IsValueCreated) await SharedEmbedded.Value.Terminate().ConfigureAwait(false);
    }

    /// <summary>A system with <paramref name="config"/> on top of the base config (tests, cluster nodes).</summary>
    public static ActorSystem Create(string name, Config config) => ActorSystem.Create(name, config.WithFallback(BaseConfig));

    private static Config LoadBase()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("DistGmm.Cluster.distgmm.conf")
            ?? throw new InvalidOperationException("distgmm.conf is not embedded in DistGmm.Cluster");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
