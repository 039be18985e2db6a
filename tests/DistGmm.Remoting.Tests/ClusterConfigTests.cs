using DistGmm.Remoting.Configuration;
using DistGmm.Testing;
using Xunit;

namespace DistGmm.Remoting.Tests;

public sealed class ClusterConfigTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("distgmm-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly Dictionary<string, string> DockerEnvironment = new()
    {
        ["DISTGMM_BROKER_USER"] = "node",
        ["DISTGMM_BROKER_PASSWORD"] = "broker-password",
        ["DISTGMM_JOURNAL_CONNECTION"] = "Host=postgres;Username=distgmm;Password=pg;Database=distgmm",
        ["DISTGMM_CLUSTER_SECRET"] = "a cluster secret from the environment",
        ["DISTGMM_CLIENT_CERT_PASSWORD"] = "p12-password",
    };

    private static string? Env(string name) => DockerEnvironment.GetValueOrDefault(name);

    private ClusterConfig ParseText(string json, ClusterConfigOverrides? overrides = null) =>
        ClusterConfigLoader.Parse(json, Path.Combine(_directory, "test.json"), overrides, Env);

    private ClusterConfigException Invalid(string json, ClusterConfigOverrides? overrides = null) =>
        Assert.Throws<ClusterConfigException>(() => ParseText(json, overrides));

    [Fact]
    public void The_loopback_examples_load_with_literal_values()
    {
        var coordinator = ClusterConfigLoader.Load(RepoPaths.InRepo("cluster-config", "loopback", "coordinator.json"), environment: _ => null);
        Assert.Equal(new NodeConfig("coordinator", NodeRole.Coordinator), coordinator.Node);
        Assert.True(coordinator.Broker.IsLoopback);
        Assert.Equal("amqp://127.0.0.1:5672/distgmm", coordinator.Broker.Uri.ToString());
        Assert.Equal(("distgmm", "distgmm"), (coordinator.Broker.UserName, coordinator.Broker.Password));
        Assert.NotNull(coordinator.Secret);
        Assert.Equal(new JournalConfig("sqlite", "Data Source=runs/journal.db"), coordinator.Journal);
        Assert.Equal(HeartbeatConfig.Default, coordinator.Heartbeat);

        var worker = ClusterConfigLoader.Load(RepoPaths.InRepo("cluster-config", "loopback", "worker.json"),
            new ClusterConfigOverrides { NodeName = "worker-3" }, _ => null);
        Assert.Equal(new NodeConfig("worker-3", NodeRole.Worker), worker.Node);
        Assert.True(worker.CreateCodec().IsSigned);
        Assert.Equal("worker-3", worker.CreateTransportOptions().NodeName);
    }

    [Fact]
    public void Literal_secrets_and_inline_credentials_are_refused_for_a_non_loopback_broker()
    {
        var error = Invalid("""
            { "node": { "name": "w", "role": "worker" },
              "broker": { "uri": "amqp://guest:guest@broker.example.org/", "password": { "value": "pw" } },
              "secret": { "value": "a literal secret of enough length" },
              "journal": { "provider": "postgres", "connection": { "value": "Host=db;Password=x" } } }
            """);
        Assert.Equal(
        [
            "$.broker.uri: inline credentials are allowed only for a loopback broker; use broker.username/password with \"env\" or \"file\"",
            "$.broker.password: a literal value is allowed only for a loopback broker; use \"env\" or \"file\"",
            "$.secret: a literal value is allowed only for a loopback broker; use \"env\" or \"file\"",
            "$.journal.connection: a literal value is allowed only for a loopback broker; use \"env\" or \"file\"",
        ], error.Problems);
        Assert.Contains("test.json: invalid cluster config:", error.Message);
    }

    [Fact]
    public void A_non_loopback_cluster_needs_credentials_and_a_secret()
    {
        var error = Invalid("""{ "node": { "name": "w", "role": "worker" }, "broker": { "uri": "amqp://10.0.0.5/" } }""");
        Assert.Equal(
        [
            "$.broker.username: required for a non-loopback broker (no default credentials)",
            "$.broker.password: required for a non-loopback broker (no default credentials)",
            "$.secret: required for a non-loopback cluster (every message is signed with it)",
        ], error.Problems);
    }

    [Fact]
    public void Defaults_are_loopback_sqlite_and_unsigned()
    {
        var config = ParseText("""{ "node": { "name": "solo", "role": "coordinator" } }""");
        Assert.Equal("amqp://127.0.0.1:5672/", config.Broker.Uri.ToString());
        Assert.True(config.Broker.IsLoopback);
        Assert.Null(config.Secret);
        Assert.Equal(new JournalConfig("sqlite", "Data Source=journal.db"), config.Journal);
        Assert.Equal(EnvelopeCodec.DefaultMaxMessageBytes, config.Broker.MaxMessageBytes);
    }

    [Fact]
    public void Command_line_overrides_replace_file_values_before_validation()
    {
        var config = ParseText("""{ "node": { "name": "bad name!", "role": "worker" }, "heartbeat": { "intervalMs": 500 } }""",
            new ClusterConfigOverrides
            {
                NodeName = "worker-9", Role = NodeRole.Coordinator, BrokerUri = "amqp://localhost:5673/x",
                SecretEnv = "DISTGMM_CLUSTER_SECRET", JournalProvider = "postgres", JournalConnection = "Host=127.0.0.1;Password=p",
                HeartbeatIntervalMs = 250,
            });
        Assert.Equal(new NodeConfig("worker-9", NodeRole.Coordinator), config.Node);
        Assert.Equal(5673, config.Broker.Uri.Port);
        Assert.NotNull(config.Secret);
        Assert.Equal(new JournalConfig("postgres", "Host=127.0.0.1;Password=p"), config.Journal);
        Assert.Equal(TimeSpan.FromMilliseconds(250), config.Heartbeat.Interval);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_with_its_json_path()
    {
        var error = Invalid("""
            { "version": 2, "node": { "role": "boss" }, "broker": { "uri": "http://x/", "maxMessageBytes": 10 },
              "secret": { "env": "NOT_SET_ANYWHERE" }, "journal": { "provider": "oracle" },
              "heartbeat": { "intervalMs": 0, "phiThreshold": -1, "deadAfterMs": 500 } }
            """);
        Assert.Equal(
        [
            "$.version: version 2 is not supported (this build reads 1)",
            "$.node.name: required (or --node-name)",
            "$.node.role: 'boss' is not \"coordinator\" or \"worker\"",
            "$.broker.uri: 'http://x/' is not an amqp:// or amqps:// URI with a host",
            "$.secret: environment variable NOT_SET_ANYWHERE is not set",
            "$.journal.provider: 'oracle' is not \"sqlite\" or \"postgres\"",
            "$.heartbeat.intervalMs: 0 ms is outside 1 … 3600000",
            "$.heartbeat.phiThreshold: -1 must be in (0, 100]",
            "$.heartbeat.deadAfterMs: 500 must exceed intervalMs (1000)",
        ], error.Problems);
    }

    [Fact]
    public void Unknown_keys_and_syntax_errors_name_the_line_and_column()
    {
        var typo = Invalid("{\n  \"node\": { \"name\": \"w\", \"role\": \"worker\" },\n  \"heartbeat\": { \"intrvalMs\": 5 }\n}");
        Assert.Single(typo.Problems);
        Assert.StartsWith("$.heartbeat.intrvalMs (line 3, column ", typo.Problems[0]);
        Assert.Contains("could not be mapped", typo.Problems[0]);

        var syntax = Invalid("{\n  \"node\": { \"name\": \"w\" \"role\": \"worker\" }\n}");
        Assert.StartsWith("$.node (line 2, column 25): '\"' is invalid", syntax.Problems.Single());

        var both = Invalid("""{ "node": { "name": "w", "role": "worker" }, "secret": { "env": "A", "file": "b" } }""");
        Assert.Equal(["$.secret: give exactly one of \"value\", \"env\" or \"file\""], both.Problems);
        Assert.Contains("cannot read the file", Assert.Throws<ClusterConfigException>(() => ClusterConfigLoader.Load(Path.Combine(_directory, "missing.json"))).Message);
    }
}
