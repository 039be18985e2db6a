using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Akka.Coordination;
using Npgsql;

namespace DistGmm.Cluster.Hosting;

/// <summary>
/// The lease of Akka's <c>lease-majority</c> split-brain strategy: after a partition (or a crash, which looks the
/// same), the side that holds it survives and the other downs itself. Backed by a lock that the operating system or
/// the database releases when its holder dies, so a SIGKILLed holder never blocks the survivors:
/// <c>provider = file</c> — an exclusive flock on a file every node sees (one machine, or a shared volume);
/// <c>provider = postgres</c> — a session advisory lock keyed by the lease name (nodes on several machines).
/// Settings: <c>distgmm.split-brain-lease</c> (HOCON).
/// </summary>
public sealed class SplitBrainLease : Lease
{
    private readonly string _provider;
    private readonly string _target;
    private readonly Lock _gate = new();
    private IDisposable? _held;

    public SplitBrainLease(LeaseSettings settings, ActorSystem system) : base(settings)
    {
        var config = settings.LeaseConfig;
        _provider = config.GetString("provider", "file").ToLowerInvariant();
        _target = _provider switch
        {
            "file" => config.GetString("path", null) is { Length: > 0 } path
                ? path
                : Path.Combine(Path.GetTempPath(), $"distgmm-{Sanitize(settings.LeaseName)}.lease"),
            "postgres" => config.GetString("connection-string", null) is { Length: > 0 } cs
                ? cs
                : throw new ClusterConfigException("distgmm.split-brain-lease.connection-string is required for the postgres lease"),
            _ => throw new ClusterConfigException($"distgmm.split-brain-lease.provider '{_provider}': use file or postgres"),
        };
        _ = system;
    }

    public override Task<bool> Acquire() => Acquire(_ => { });

    public override Task<bool> Acquire(Action<Exception> leaseLostCallback) => Task.Run(() =>
    {
        lock (_gate)
        {
            if (_held is not null) return true;
            _held = _provider == "file" ? TryFile() : TryPostgres();
            return _held is not null;
        }
    });

    public override Task<bool> Release()
    {
        lock (_gate)
        {
            _held?.Dispose();
            _held = null;
        }
        return Task.FromResult(true);
    }

    public override bool CheckLease()
    {
        lock (_gate) return _held is not null;
    }

    private IDisposable? TryFile()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_target))!);
        try
        {
            // FileShare.None takes flock(LOCK_EX|LOCK_NB) on Unix: released by the OS when the holder dies.
            return new FileStream(_target, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null; // the other side holds it
        }
    }

    private IDisposable? TryPostgres()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_target) { Pooling = false }.ToString());
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT pg_try_advisory_lock(@key)";
            command.Parameters.AddWithValue("key", BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("distgmm-sbr:" + Settings.LeaseName)), 0));
            if (command.ExecuteScalar() is true) return connection; // closing the session releases it
            connection.Dispose();
            return null;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static string Sanitize(string name) => new([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')]);
}
