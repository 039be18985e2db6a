using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DistGmm.Cluster.Hosting;
using Npgsql;

namespace DistGmm.Cluster.Persistence;

/// <summary>Another coordinator process holds the job; the message names it (node, host, pid, since).</summary>
public sealed class JobAlreadyOwnedException(string jobId, string holder)
    : Exception($"job already owned: '{jobId}' is held by {holder}")
{
    public string JobId { get; } = jobId;
}

/// <summary>Who holds a job: written when it is claimed, shown to a coordinator that is refused.</summary>
public sealed record JobOwner(string Node, string Host, int Pid, DateTimeOffset Since)
{
    public override string ToString() => $"'{Node}@{Host}' (pid {Pid}, since {Since:yyyy-MM-dd HH:mm:ss}Z)";
}

/// <summary>
/// One coordinator process per job, across clusters: the cluster singleton keeps two coordinators of one cluster apart,
/// this keeps apart coordinators of different clusters sharing a journal. The lock is one the operating system or
/// the database releases when its holder dies, so a SIGKILLed coordinator never leaves a stale claim:
/// SQLite: an exclusive lock (flock) on <c>JOURNAL.JOB.lock</c> beside the journal file; PostgreSQL: a session
/// advisory lock keyed by the job id, held on a connection of its own.
/// </summary>
public static class JobOwnership
{
    /// <summary>Claims the job or throws <see cref="JobAlreadyOwnedException"/>; dispose the result to release it.</summary>
    public static Task<IAsyncDisposable> ClaimAsync(JournalSettings journal, string jobId, string node, CancellationToken ct = default) =>
        journal.IsSqlite ? Task.FromResult(ClaimFile(journal.SqlitePath!, jobId, node)) : ClaimPostgresAsync(journal.ConnectionString, jobId, node, ct);

    /// <summary>
    /// Tries <see cref="ClaimAsync"/> until it succeeds or <paramref name="patience"/> runs out (a standby taking over
    /// from a coordinator whose process is dying: its lock goes when the OS or the database notices).
    /// </summary>
    public static async Task<IAsyncDisposable> ClaimPatientlyAsync(JournalSettings journal, string jobId, string node, TimeSpan patience,
        Action<string> log, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + patience;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await ClaimAsync(journal, jobId, node, ct).ConfigureAwait(false);
            }
            catch (JobAlreadyOwnedException ex) when (DateTime.UtcNow < deadline)
            {
                if (attempt == 0) log($"{ex.Message}; waiting up to {patience.TotalSeconds:0} s for it to be released");
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false); // polling a lock: no event to wait on
            }
        }
    }

    private static IAsyncDisposable ClaimFile(string journalPath, string jobId, string node)
    {
        var lockPath = $"{journalPath}.{jobId}.lock";
        var ownerPath = $"{journalPath}.{jobId}.owner";
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        FileStream lockFile;
        try
        {
            // FileShare.None takes flock(LOCK_EX|LOCK_NB) on Unix: exclusive among processes, released when the holder dies.
            lockFile = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new JobAlreadyOwnedException(jobId, ReadOwner(ownerPath));
        }
        File.WriteAllText(ownerPath, JsonSerializer.Serialize(Me(node)));
        return new Releaser(() => { lockFile.Dispose(); return ValueTask.CompletedTask; });
    }

    private static string ReadOwner(string ownerPath)
    {
        try
        {
            return JsonSerializer.Deserialize<JobOwner>(File.ReadAllText(ownerPath))?.ToString() ?? "another coordinator";
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return "another coordinator";
        }
    }

    private static async Task<IAsyncDisposable> ClaimPostgresAsync(string connectionString, string jobId, string node, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await using (var create = connection.CreateCommand())
            {
                create.CommandText = "CREATE TABLE IF NOT EXISTS distgmm_job_owners (job_id text PRIMARY KEY, owner jsonb NOT NULL)";
                try { await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false); }
                catch (PostgresException ex) when (ex.SqlState is "23505" or "42P07") { } // created concurrently
            }
            await using (var tryLock = connection.CreateCommand())
            {
                tryLock.CommandText = "SELECT pg_try_advisory_lock(@key)";
                tryLock.Parameters.AddWithValue("key", LockKey(jobId));
                if (await tryLock.ExecuteScalarAsync(ct).ConfigureAwait(false) is not true)
                {
                    await using var read = connection.CreateCommand();
                    read.CommandText = "SELECT owner::text FROM distgmm_job_owners WHERE job_id = @job";
                    read.Parameters.AddWithValue("job", jobId);
                    var owner = await read.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
                    throw new JobAlreadyOwnedException(jobId, owner is null ? "another coordinator" : JsonSerializer.Deserialize<JobOwner>(owner)!.ToString());
                }
            }
            await using (var write = connection.CreateCommand())
            {
                write.CommandText = "INSERT INTO distgmm_job_owners (job_id, owner) VALUES (@job, @owner::jsonb) " +
                    "ON CONFLICT (job_id) DO UPDATE SET owner = excluded.owner";
                write.Parameters.AddWithValue("job", jobId);
                write.Parameters.AddWithValue("owner", JsonSerializer.Serialize(Me(node)));
                await write.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            return new Releaser(() => connection.DisposeAsync()); // closing the session releases the advisory lock
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static JobOwner Me(string node) => new(node, Environment.MachineName, Environment.ProcessId, DateTimeOffset.UtcNow);

    private static long LockKey(string jobId) => BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("distgmm-job:" + jobId)), 0);

    private sealed class Releaser(Func<ValueTask> release) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync() => Interlocked.Exchange(ref _released, 1) == 0 ? release() : ValueTask.CompletedTask;
    }
}
