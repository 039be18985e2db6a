namespace DistGmm.Remoting.Configuration;

public enum NodeRole
{
    Coordinator,
    Worker,
}

/// <summary>A validated cluster-config file with every reference (env var, file) resolved. See cluster-config/README.md.</summary>
public sealed record ClusterConfig(
    string SourcePath,
    NodeConfig Node,
    BrokerConfig Broker,
    ClusterSecret? Secret,
    JournalConfig Journal,
    HeartbeatConfig Heartbeat)
{
    /// <summary>The codec every node of this cluster uses: signed when a secret is set, with the size limit.</summary>
    public EnvelopeCodec CreateCodec() => new(Secret, Broker.MaxMessageBytes);

    public RabbitMqTransportOptions CreateTransportOptions() => new()
    {
        BrokerUri = Broker.Uri,
        NodeName = Node.Name,
        UserName = Broker.UserName,
        Password = Broker.Password,
        Tls = Broker.Tls,
        // A (re)started worker holds nothing: commands queued for its previous life are dropped, the coordinator resends.
        PurgeOnStart = Node.Role == NodeRole.Worker,
    };
}

public sealed record NodeConfig(string Name, NodeRole Role);

/// <param name="IsLoopback">True when the broker host is a loopback address (literal secrets are allowed only then).</param>
public sealed record BrokerConfig(Uri Uri, string? UserName, string? Password, RabbitMqTlsOptions? Tls, int MaxMessageBytes, bool IsLoopback)
{
    /// <summary>The URI without credentials, safe to print in logs.</summary>
    public string DisplayUri => new UriBuilder(Uri) { UserName = "", Password = "" }.Uri.ToString();

    public override string ToString() => $"BrokerConfig({DisplayUri}, tls={Tls is { Enabled: true }}, maxMessageBytes={MaxMessageBytes})";
}

/// <param name="Provider">"sqlite" or "postgres".</param>
public sealed record JournalConfig(string Provider, string ConnectionString)
{
    public override string ToString() => $"JournalConfig({Provider}, connection redacted)";
}

/// <summary>
/// Heartbeats and the phi-accrual failure detector (as Akka's, see Membership.PhiAccrualFailureDetector): a node is
/// unreachable (suspected) when phi = -log10(P(no heartbeat for this long)) reaches <see cref="PhiThreshold"/>, with
/// the heartbeat intervals' mean padded by <see cref="AcceptablePause"/> and their deviation floored at
/// <see cref="MinStdDeviation"/>; after <see cref="DeadAfter"/> of silence it is declared dead and its work moves.
/// </summary>
public sealed record HeartbeatConfig(
    TimeSpan Interval,
    TimeSpan AcceptablePause,
    double PhiThreshold,
    TimeSpan MinStdDeviation,
    TimeSpan DeadAfter)
{
    public static HeartbeatConfig Default { get; } = new(
        TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), 8.0, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10));
}

/// <summary>Command-line overrides, applied over the file before validation (null = keep the file's value).</summary>
public sealed record ClusterConfigOverrides
{
    public string? NodeName { get; init; }
    public NodeRole? Role { get; init; }
    public string? BrokerUri { get; init; }
    public string? SecretEnv { get; init; }
    public string? SecretFile { get; init; }
    public string? JournalProvider { get; init; }
    public string? JournalConnection { get; init; }
    public int? HeartbeatIntervalMs { get; init; }
}

/// <summary>A cluster-config file is unreadable or invalid; the message lists every problem with its JSON path.</summary>
public sealed class ClusterConfigException(string path, IReadOnlyList<string> problems)
    : Exception($"{path}: invalid cluster config:" + string.Concat(problems.Select(p => "\n  " + p)))
{
    public string ConfigPath { get; } = path;
    public IReadOnlyList<string> Problems { get; } = problems;
}
