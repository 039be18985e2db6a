using System.Globalization;
using System.Reflection;
using Akka.Configuration;

namespace DistGmm.Cluster.Hosting;

/// <summary>A setting in a node config (or its command-line override) that cannot be used; the message names it.</summary>
public sealed class ClusterConfigException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Command-line overrides of a node config (null: keep the file's value).</summary>
public sealed record ClusterConfigOverrides
{
    public string? NodeName { get; init; }
    public string? Hostname { get; init; }
    /// <summary>The name peers reach this node by, when it binds all interfaces (akka.remote.dot-netty.tcp.public-hostname).</summary>
    public string? PublicHostname { get; init; }
    /// <summary>Allow a non-loopback bind without TLS (a network the operator trusts).</summary>
    public bool Insecure { get; init; }
    public int? Port { get; init; }
    /// <summary>host:port pairs of seed nodes (become <c>akka.tcp://distgmm@host:port</c>).</summary>
    public IReadOnlyList<string>? SeedNodes { get; init; }
    public string? JournalProvider { get; init; }
    public string? JournalConnection { get; init; }
}

/// <summary>
/// A cluster node's configuration: its HOCON file (<c>cluster-config/*.conf</c>, Akka's own setting names plus a
/// <c>distgmm</c> section), with command-line overrides on top and DistGmm's cluster defaults below. Node names, the
/// role, the journal and the seed nodes are checked here, so a bad setting fails before any actor system starts.
/// </summary>
public sealed class ClusterNodeConfig
{
    /// <summary>Every node's actor system is called this: seed-node addresses name it (akka.tcp://distgmm@host:port).</summary>
    public const string SystemName = "distgmm";

    public const string CoordinatorRole = "coordinator";
    public const string WorkerRole = "worker";

    private ClusterNodeConfig(string sourcePath, Config config, string nodeName, string role, JournalSettings journal, Security.TlsSettings tls,
        bool insecure)
    {
        Tls = tls;
        Insecure = insecure;
        SourcePath = sourcePath;
        Config = config;
        NodeName = nodeName;
        Role = role;
        Journal = journal;
    }

    public string SourcePath { get; }

    /// <summary>The full Akka config of the node (file, overrides, DistGmm's defaults).</summary>
    public Config Config { get; }

    public string NodeName { get; }

    public string Role { get; }

    public JournalSettings Journal { get; }

    /// <summary>Mutual TLS of Akka.Remote (<c>distgmm.tls</c>; cluster-config/SECURITY.md).</summary>
    public Security.TlsSettings Tls { get; }

    /// <summary><c>--insecure</c>: a non-loopback bind without TLS was allowed explicitly.</summary>
    public bool Insecure { get; }

    /// <summary>The node's actor-system setup: this config over DistGmm's base config, with the TLS setup when enabled.</summary>
    public Akka.Actor.Setup.ActorSystemSetup CreateSetup() => Tls.CreateActorSystemSetup(Config.WithFallback(DistGmmActorSystems.BaseConfig), Insecure);

    public string Hostname => Config.GetString("akka.remote.dot-netty.tcp.hostname");

    public int Port => Config.GetInt("akka.remote.dot-netty.tcp.port");

    /// <summary><c>distgmm.worker.rejoin-after</c>: how long a worker stays with no coordinator-role member before it rejoins.</summary>
    public TimeSpan RejoinAfter { get; private init; } = TimeSpan.FromSeconds(15);

    /// <summary><c>distgmm.coordinator.shard-replicas</c>: how many other workers' shards each worker also holds (work stealing).</summary>
    public int ShardReplicas { get; private init; }

    public IReadOnlyList<string> SeedNodes => [.. Config.GetStringList("akka.cluster.seed-nodes") ?? []];

    /// <summary>DistGmm's cluster defaults (embedded resource distgmm-cluster.conf).</summary>
    public static Config ClusterDefaults { get; } = LoadResource("DistGmm.Cluster.distgmm-cluster.conf");

    /// <param name="role"><see cref="CoordinatorRole"/> or <see cref="WorkerRole"/> (the command decides, not the file).</param>
    /// <param name="runFolder">Where a relative SQLite journal path resolves (the coordinator's run folder).</param>
    public static ClusterNodeConfig Load(string path, string role, ClusterConfigOverrides? overrides = null, string? runFolder = null)
    {
        overrides ??= new ClusterConfigOverrides();
        Config file;
        try
        {
            var text = File.ReadAllText(path);
            // Akka's parser keeps whatever it read up to an unclosed brace or string, silently.
            if (HoconSyntax.FindUnbalanced(text) is { } slip) throw new ClusterConfigException($"{path}:{slip}");
            file = ConfigurationFactory.ParseString(text);
        }
        catch (ClusterConfigException)
        {
            throw;
        }
        catch (Exception ex) when (ex is not IOException and not UnauthorizedAccessException)
        {
            throw new ClusterConfigException($"{path}: not valid HOCON: {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
        var lines = new List<string>();
        if (overrides.NodeName is { } name) lines.Add($"distgmm.node-name = {Quote(name)}");
        if (overrides.Hostname is { } host) lines.Add($"akka.remote.dot-netty.tcp.hostname = {Quote(host)}");
        if (overrides.PublicHostname is { } publicHost) lines.Add($"akka.remote.dot-netty.tcp.public-hostname = {Quote(publicHost)}");
        if (overrides.Port is { } portOverride) lines.Add($"akka.remote.dot-netty.tcp.port = {portOverride.ToString(CultureInfo.InvariantCulture)}");
        var tlsOn = new NodeSettings(file, path).Bool("distgmm.tls.enabled", false);
        if (overrides.SeedNodes is { } seeds)
            lines.Add($"akka.cluster.seed-nodes = [{string.Join(", ", seeds.Select(s => Quote(SeedAddress(s, path, tlsOn))))}]");
        // HOCON here does not read the environment: secrets come from variables the deployment sets.
        if (overrides.JournalConnection is null && Environment.GetEnvironmentVariable("DISTGMM_JOURNAL_CONNECTION") is { Length: > 0 } envJournal)
            lines.Add($"distgmm.journal.connection-string = {Quote(envJournal)}");
        if (Environment.GetEnvironmentVariable("DISTGMM_LEASE_CONNECTION") is { Length: > 0 } envLease)
            lines.Add($"distgmm.split-brain-lease.connection-string = {Quote(envLease)}");
        if (overrides.JournalProvider is { } provider) lines.Add($"distgmm.journal.provider = {Quote(provider)}");
        if (overrides.JournalConnection is { } connection) lines.Add($"distgmm.journal.connection-string = {Quote(connection)}");
        lines.Add($"akka.cluster.roles = [{Quote(role)}]");
        var config = ConfigurationFactory.ParseString(string.Join("\n", lines)).WithFallback(file).WithFallback(ClusterDefaults);
        var settings = new NodeSettings(config, path);

        var nodeName = settings.String("distgmm.node-name", null)
            ?? throw new ClusterConfigException($"{path}: distgmm.node-name is not set (or give --node-name)");
        if (!NodeNames.IsValid(nodeName))
            throw new ClusterConfigException($"{path}: distgmm.node-name '{nodeName}': use letters, digits, '.', '_' and '-' (at most 64)");
        var frame = settings.ByteSize("akka.remote.dot-netty.tcp.maximum-frame-size");
        if (frame is < 32000)
            throw new ClusterConfigException($"{path}: akka.remote.dot-netty.tcp.maximum-frame-size is {frame} bytes; Akka.Remote needs at least 32000");
        settings.Int("akka.remote.dot-netty.tcp.port", "port (0-65535)", 0, p => p is >= 0 and <= 65535);
        settings.String("akka.remote.dot-netty.tcp.hostname", null);
        settings.String("akka.remote.dot-netty.tcp.public-hostname", null);
        settings.Bool("distgmm.tls.insecure", false);
        foreach (var key in new[] { "certificate-path", "certificate-password-env", "ca-certificate-path" }) settings.String($"distgmm.tls.{key}", null);
        var rejoinAfter = settings.PositiveDuration("distgmm.worker.rejoin-after", TimeSpan.FromSeconds(15));
        var shardReplicas = settings.Int("distgmm.coordinator.shard-replicas", "count (0-8)", 0, n => n is >= 0 and <= 8);
        // The health endpoint and the split-brain lease read these only once the actor system runs: check them now.
        if (settings.Bool("distgmm.health.enabled", false))
        {
            settings.Int("distgmm.health.port", "port (1-65535)", HealthEndpoint.DefaultPort, p => p is >= 1 and <= 65535);
            settings.String("distgmm.health.hostname", null);
        }
        var leaseProvider = settings.String("distgmm.split-brain-lease.provider", "file")!.ToLowerInvariant();
        if (leaseProvider is not ("file" or "postgres"))
            throw new ClusterConfigException($"{path}: setting 'distgmm.split-brain-lease.provider': '{leaseProvider}' is not a valid lease provider (file or postgres)");
        settings.String("distgmm.split-brain-lease.path", null);
        if (leaseProvider == "postgres" && string.IsNullOrEmpty(settings.String("distgmm.split-brain-lease.connection-string", null)))
            throw new ClusterConfigException($"{path}: distgmm.split-brain-lease.connection-string is required for the postgres lease");
        settings.String("distgmm.journal.provider", null);
        settings.String("distgmm.journal.connection-string", null);
        var seedList = settings.StringList("akka.cluster.seed-nodes");
        Security.TlsSettings tls;
        try
        {
            tls = Security.TlsSettings.FromConfig(config, nodeName);
            Security.TlsSettings.EnsureTransportSecurity(config.GetString("akka.remote.dot-netty.tcp.hostname", ""), tls, overrides.Insecure);
        }
        catch (Security.TransportSecurityException ex)
        {
            throw new ClusterConfigException($"{path}: {ex.Message}", ex);
        }
        var scheme = tls.Enabled ? "akka.ssl.tcp" : "akka.tcp";
        foreach (var seed in seedList)
            if (!seed.StartsWith($"{scheme}://{SystemName}@", StringComparison.Ordinal))
                throw new ClusterConfigException($"{path}: akka.cluster.seed-nodes: '{seed}' must be {scheme}://{SystemName}@HOST:PORT" +
                    (tls.Enabled ? " (TLS is on)" : ""));
        // One split-brain lease per cluster: named after the first seed node unless the file names it.
        if (string.IsNullOrEmpty(settings.String("akka.cluster.split-brain-resolver.lease-majority.lease-name", null)) && seedList.Count > 0)
        {
            var leaseName = "distgmm-sbr-" + new string([.. seedList[0].Split('@')[^1].Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]);
            config = ConfigurationFactory.ParseString($"akka.cluster.split-brain-resolver.lease-majority.lease-name = {Quote(leaseName)}").WithFallback(config);
        }
        var journal = role == CoordinatorRole ? JournalSettings.From(config, path, runFolder) : JournalSettings.None;
        var withJournal = journal.ToAkkaConfig().WithFallback(config);
        return new ClusterNodeConfig(path, withJournal, nodeName, role, journal, tls, overrides.Insecure) { RejoinAfter = rejoinAfter, ShardReplicas = shardReplicas };
    }

    private static string SeedAddress(string hostPort, string path, bool tls)
    {
        var colon = hostPort.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(hostPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new ClusterConfigException($"{path}: --seed-nodes: '{hostPort}' is not HOST:PORT");
        return $"{(tls ? "akka.ssl.tcp" : "akka.tcp")}://{SystemName}@{hostPort}";
    }

    internal static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static Config LoadResource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{name} is not embedded in DistGmm.Cluster");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}

/// <summary>Node names: what the cluster and the recovery report call a worker.</summary>
public static class NodeNames
{
    public static bool IsValid(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}

/// <summary>
/// The coordinator's journal: Akka.Persistence.Sql on SQLite (default: <c>journal.db</c> in the run folder) or
/// PostgreSQL (a connection string). Tables are created on first use.
/// </summary>
public sealed record JournalSettings(string Provider, string ConnectionString)
{
    public static JournalSettings None { get; } = new("none", "");

    public bool IsSqlite => Provider == "sqlite";

    /// <summary>The SQLite file (absolute), for the job lock beside it.</summary>
    public string? SqlitePath => IsSqlite ? new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(ConnectionString).DataSource : null;

    public static JournalSettings From(Config config, string path, string? runFolder)
    {
        var provider = config.GetString("distgmm.journal.provider", "sqlite").ToLowerInvariant();
        var connection = config.GetString("distgmm.journal.connection-string", null);
        switch (provider)
        {
            case "sqlite":
            {
                Microsoft.Data.Sqlite.SqliteConnectionStringBuilder builder;
                try { builder = new(connection ?? "Data Source=journal.db"); }
                catch (ArgumentException ex) { throw new ClusterConfigException($"{path}: distgmm.journal.connection-string: {ex.Message}", ex); }
                if (string.IsNullOrWhiteSpace(builder.DataSource) || builder.DataSource == ":memory:")
                    throw new ClusterConfigException($"{path}: distgmm.journal.connection-string: a SQLite journal needs a file (Data Source=FILE)");
                // A relative file belongs to the run folder, not to wherever the coordinator was started from.
                if (!Path.IsPathRooted(builder.DataSource))
                    builder.DataSource = Path.GetFullPath(Path.Combine(runFolder ?? Environment.CurrentDirectory, builder.DataSource));
                Directory.CreateDirectory(Path.GetDirectoryName(builder.DataSource)!);
                return new JournalSettings("sqlite", builder.ToString());
            }
            case "postgres" or "postgresql":
                if (string.IsNullOrWhiteSpace(connection))
                    throw new ClusterConfigException($"{path}: distgmm.journal.connection-string is required for the postgres journal");
                try { _ = new Npgsql.NpgsqlConnectionStringBuilder(connection); }
                catch (ArgumentException ex) { throw new ClusterConfigException($"{path}: distgmm.journal.connection-string: {ex.Message}", ex); }
                return new JournalSettings("postgres", connection);
            default:
                throw new ClusterConfigException($"{path}: distgmm.journal.provider '{provider}': use sqlite or postgres");
        }
    }

    /// <summary>Akka.Persistence.Sql as the node's journal and snapshot store.</summary>
    public Config ToAkkaConfig()
    {
        if (Provider == "none") return Config.Empty;
        var providerName = IsSqlite ? "SQLite.MS" : "PostgreSQL.15";
        var cs = ClusterNodeConfig.Quote(ConnectionString);
        return ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal {
                plugin = "akka.persistence.journal.sql"
                sql { connection-string = {{cs}}, provider-name = "{{providerName}}", auto-initialize = true }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.sql"
                sql { connection-string = {{cs}}, provider-name = "{{providerName}}", auto-initialize = true }
              }
            }
            """).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }
}
