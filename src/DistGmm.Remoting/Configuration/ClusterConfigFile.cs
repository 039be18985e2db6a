namespace DistGmm.Remoting.Configuration;

// The file's shape, as written (camelCase JSON, comments and trailing commas allowed, unknown keys refused).
// Kept separate from ClusterConfig: everything here is optional and unresolved until the loader validates it.

internal sealed class ClusterConfigFile
{
    public int? Version { get; set; }
    public NodeSection? Node { get; set; }
    public BrokerSection? Broker { get; set; }
    public ValueRef? Secret { get; set; }
    public JournalSection? Journal { get; set; }
    public HeartbeatSection? Heartbeat { get; set; }
}

internal sealed class NodeSection
{
    public string? Name { get; set; }
    public string? Role { get; set; }
}

internal sealed class BrokerSection
{
    public string? Uri { get; set; }
    public ValueRef? Username { get; set; }
    public ValueRef? Password { get; set; }
    public int? MaxMessageBytes { get; set; }
    public TlsSection? Tls { get; set; }
}

internal sealed class TlsSection
{
    public bool? Enabled { get; set; }
    public string? ServerName { get; set; }
    public string? CaCertificateFile { get; set; }
    public string? ClientCertificateFile { get; set; }
    public ValueRef? ClientCertificatePassword { get; set; }
}

internal sealed class JournalSection
{
    public string? Provider { get; set; }
    public ValueRef? Connection { get; set; }
}

internal sealed class HeartbeatSection
{
    public int? IntervalMs { get; set; }
    public int? AcceptablePauseMs { get; set; }
    public double? PhiThreshold { get; set; }
    public int? MinStdDeviationMs { get; set; }
    public int? DeadAfterMs { get; set; }
}

/// <summary>A value given literally ("value"), by environment variable ("env") or by file ("file") — exactly one.</summary>
internal sealed class ValueRef
{
    public string? Value { get; set; }
    public string? Env { get; set; }
    public string? File { get; set; }
}
