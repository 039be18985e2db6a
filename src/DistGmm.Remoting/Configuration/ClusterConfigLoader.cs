using System.Net;
using System.Text.Json;

namespace DistGmm.Remoting.Configuration;

/// <summary>
/// Reads a cluster-config JSON file, applies command-line overrides, resolves env/file references and validates
/// everything at once, so one run reports every problem (file, JSON path, and for syntax errors line/column).
/// Security rules: literal secrets and inline broker credentials are refused unless the broker is on loopback,
/// and a non-loopback cluster must have a cluster secret.
/// </summary>
public static class ClusterConfigLoader
{
    public const int CurrentVersion = 1;

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    /// <param name="environment">Environment lookup (default: the process environment).</param>
    public static ClusterConfig Load(string path, ClusterConfigOverrides? overrides = null, Func<string, string?>? environment = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ClusterConfigException(path, [$"cannot read the file: {ex.Message}"]);
        }
        return Parse(text, path, overrides, environment);
    }

    /// <param name="sourcePath">Named in errors; relative "file" references resolve against its directory.</param>
    public static ClusterConfig Parse(string json, string sourcePath, ClusterConfigOverrides? overrides = null, Func<string, string?>? environment = null)
    {
        ClusterConfigFile? file;
        try
        {
            file = JsonSerializer.Deserialize<ClusterConfigFile>(json, JsonOptions);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $"line {line + 1}, column {ex.BytePositionInLine + 1}" : "?";
            throw new ClusterConfigException(sourcePath, [$"{ex.Path ?? "$"} ({where}): {FirstSentence(ex.Message)}"]);
        }
        if (file is null) throw new ClusterConfigException(sourcePath, ["the file holds JSON null, not a config object"]);
        var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(sourcePath)) ?? ".";
        return new Validator(sourcePath, baseDirectory, environment ?? Environment.GetEnvironmentVariable).Build(file, overrides ?? new());
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private sealed class Validator(string sourcePath, string baseDirectory, Func<string, string?> environment)
    {
        private readonly List<string> _problems = [];

        public ClusterConfig Build(ClusterConfigFile file, ClusterConfigOverrides overrides)
        {
            if (file.Version is { } version && version != CurrentVersion)
                Problem("$.version", $"version {version} is not supported (this build reads {CurrentVersion})");

            var node = BuildNode(file.Node, overrides);
            var broker = BuildBroker(file.Broker, overrides);
            var secret = BuildSecret(file.Secret, overrides, broker?.IsLoopback ?? true);
            var journal = BuildJournal(file.Journal, overrides, broker?.IsLoopback ?? true);
            var heartbeat = BuildHeartbeat(file.Heartbeat, overrides);

            if (_problems.Count > 0) throw new ClusterConfigException(sourcePath, _problems);
            return new ClusterConfig(sourcePath, node!, broker!, secret, journal!, heartbeat!);
        }

        private NodeConfig? BuildNode(NodeSection? section, ClusterConfigOverrides overrides)
        {
            var name = overrides.NodeName ?? section?.Name;
            if (name is null) Problem("$.node.name", "required (or --node-name)");
            else if (!NodeNames.IsValid(name)) Problem("$.node.name", $"'{name}' must be 1-64 characters of [A-Za-z0-9._-], starting with a letter or digit");

            NodeRole? role = overrides.Role;
            if (role is null)
            {
                if (section?.Role is null) Problem("$.node.role", "required: \"coordinator\" or \"worker\"");
                else if (Enum.TryParse<NodeRole>(section.Role, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)) role = parsed;
                else Problem("$.node.role", $"'{section.Role}' is not \"coordinator\" or \"worker\"");
            }
            return name is null || role is null ? null : new NodeConfig(name, role.Value);
        }

        private BrokerConfig? BuildBroker(BrokerSection? section, ClusterConfigOverrides overrides)
        {
            var text = overrides.BrokerUri ?? section?.Uri ?? "amqp://127.0.0.1:5672/";
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps") || string.IsNullOrEmpty(uri.Host))
            {
                Problem("$.broker.uri", $"'{Redact(text)}' is not an amqp:// or amqps:// URI with a host");
                return null;
            }
            var loopback = IsLoopbackHost(uri.Host);
            if (!string.IsNullOrEmpty(uri.UserInfo) && !loopback)
                Problem("$.broker.uri", "inline credentials are allowed only for a loopback broker; use broker.username/password with \"env\" or \"file\"");

            var userName = Resolve(section?.Username, "$.broker.username", loopback);
            var password = Resolve(section?.Password, "$.broker.password", loopback);
            if (!loopback && userName is null && string.IsNullOrEmpty(uri.UserInfo))
                Problem("$.broker.username", "required for a non-loopback broker (no default credentials)");
            if (!loopback && password is null && string.IsNullOrEmpty(uri.UserInfo))
                Problem("$.broker.password", "required for a non-loopback broker (no default credentials)");

            var maxBytes = section?.MaxMessageBytes ?? EnvelopeCodec.DefaultMaxMessageBytes;
            if (maxBytes < 4096 || maxBytes > 128 * 1024 * 1024)
                Problem("$.broker.maxMessageBytes", $"{maxBytes} is outside 4096 … 134217728");

            RabbitMqTlsOptions? tls = null;
            var tlsWanted = section?.Tls?.Enabled ?? uri.Scheme == "amqps";
            if (section?.Tls is { Enabled: false } && uri.Scheme == "amqps")
                Problem("$.broker.tls.enabled", "false contradicts the amqps:// scheme");
            if (tlsWanted)
            {
                var t = section?.Tls;
                tls = new RabbitMqTlsOptions
                {
                    Enabled = true,
                    ServerName = t?.ServerName,
                    CaCertificateFile = ExistingFile(t?.CaCertificateFile, "$.broker.tls.caCertificateFile"),
                    ClientCertificateFile = ExistingFile(t?.ClientCertificateFile, "$.broker.tls.clientCertificateFile"),
                    ClientCertificatePassword = Resolve(t?.ClientCertificatePassword, "$.broker.tls.clientCertificatePassword", loopback),
                };
            }
            return new BrokerConfig(uri, userName, password, tls, maxBytes, loopback);
        }

        private ClusterSecret? BuildSecret(ValueRef? reference, ClusterConfigOverrides overrides, bool loopback)
        {
            if (overrides.SecretEnv is not null || overrides.SecretFile is not null)
                reference = new ValueRef { Env = overrides.SecretEnv, File = overrides.SecretFile };
            if (reference is null)
            {
                if (!loopback) Problem("$.secret", "required for a non-loopback cluster (every message is signed with it)");
                return null;
            }
            var text = Resolve(reference, "$.secret", loopback);
            if (text is null) return null;
            if (System.Text.Encoding.UTF8.GetByteCount(text.Trim()) < ClusterSecret.MinimumBytes)
            {
                Problem("$.secret", $"the cluster secret must be at least {ClusterSecret.MinimumBytes} bytes");
                return null;
            }
            return ClusterSecret.FromString(text);
        }

        private JournalConfig? BuildJournal(JournalSection? section, ClusterConfigOverrides overrides, bool loopback)
        {
            var provider = (overrides.JournalProvider ?? section?.Provider ?? "sqlite").Trim().ToLowerInvariant();
            if (provider == "postgresql") provider = "postgres";
            if (provider is not ("sqlite" or "postgres"))
            {
                Problem("$.journal.provider", $"'{provider}' is not \"sqlite\" or \"postgres\"");
                return null;
            }
            var reference = overrides.JournalConnection is { } literal ? new ValueRef { Value = literal } : section?.Connection;
            string? connection;
            if (reference is null)
            {
                if (provider == "postgres")
                {
                    Problem("$.journal.connection", "required for the postgres journal");
                    return null;
                }
                connection = "Data Source=journal.db";
            }
            else
            {
                // A literal connection string is fine unless it carries a password for a non-loopback cluster.
                var carriesPassword = reference.Value?.Contains("password", StringComparison.OrdinalIgnoreCase) == true;
                connection = Resolve(reference, "$.journal.connection", loopback || !carriesPassword || overrides.JournalConnection is not null);
            }
            if (connection is null) return null;
            if (provider == "sqlite" && !connection.Contains("Data Source", StringComparison.OrdinalIgnoreCase))
                Problem("$.journal.connection", "an SQLite journal needs \"Data Source=<file>\"");
            return new JournalConfig(provider, connection);
        }

        private HeartbeatConfig? BuildHeartbeat(HeartbeatSection? section, ClusterConfigOverrides overrides)
        {
            var d = HeartbeatConfig.Default;
            var interval = Millis(overrides.HeartbeatIntervalMs ?? section?.IntervalMs, d.Interval, "$.heartbeat.intervalMs");
            var pause = Millis(section?.AcceptablePauseMs, d.AcceptablePause, "$.heartbeat.acceptablePauseMs", allowZero: true);
            var minStd = Millis(section?.MinStdDeviationMs, d.MinStdDeviation, "$.heartbeat.minStdDeviationMs");
            var deadAfter = Millis(section?.DeadAfterMs, d.DeadAfter, "$.heartbeat.deadAfterMs");
            var phi = section?.PhiThreshold ?? d.PhiThreshold;
            if (!(phi > 0 && phi <= 100)) Problem("$.heartbeat.phiThreshold", $"{phi} must be in (0, 100]");
            if (deadAfter <= interval) Problem("$.heartbeat.deadAfterMs", $"{deadAfter.TotalMilliseconds} must exceed intervalMs ({interval.TotalMilliseconds})");
            return new HeartbeatConfig(interval, pause, phi, minStd, deadAfter);
        }

        private TimeSpan Millis(int? value, TimeSpan fallback, string path, bool allowZero = false)
        {
            if (value is null) return fallback;
            if (value < 0 || (value == 0 && !allowZero) || value > 3_600_000)
            {
                Problem(path, $"{value} ms is outside {(allowZero ? 0 : 1)} … 3600000");
                return fallback;
            }
            return TimeSpan.FromMilliseconds(value.Value);
        }

        private string? Resolve(ValueRef? reference, string path, bool literalAllowed)
        {
            if (reference is null) return null;
            var given = (reference.Value is null ? 0 : 1) + (reference.Env is null ? 0 : 1) + (reference.File is null ? 0 : 1);
            if (given != 1)
            {
                Problem(path, "give exactly one of \"value\", \"env\" or \"file\"");
                return null;
            }
            if (reference.Value is not null)
            {
                if (!literalAllowed)
                {
                    Problem(path, "a literal value is allowed only for a loopback broker; use \"env\" or \"file\"");
                    return null;
                }
                return reference.Value;
            }
            if (reference.Env is not null)
            {
                var value = environment(reference.Env);
                if (string.IsNullOrEmpty(value)) Problem(path, $"environment variable {reference.Env} is not set");
                return string.IsNullOrEmpty(value) ? null : value;
            }
            var file = Path.GetFullPath(reference.File!, baseDirectory);
            try
            {
                return File.ReadAllText(file).Trim();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Problem(path, $"cannot read {file}: {ex.Message}");
                return null;
            }
        }

        private string? ExistingFile(string? file, string path)
        {
            if (file is null) return null;
            var full = Path.GetFullPath(file, baseDirectory);
            if (!File.Exists(full)) Problem(path, $"{full} does not exist");
            return full;
        }

        private void Problem(string path, string message) => _problems.Add($"{path}: {message}");

        private static string Redact(string uri) =>
            Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.UserInfo.Length > 0 ? uri.Replace(parsed.UserInfo, "***") : uri;
    }

    public static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ||
        (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
