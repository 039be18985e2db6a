using System.Data.Common;
using Npgsql;

namespace DistGmm.Persistence;

/// <summary>
/// The cluster journal on PostgreSQL. Concurrent appends to one stream are resolved by the primary key
/// (the loser gets <see cref="JournalConflictException"/>).
/// <para>Ownership: a claim takes a session-level advisory lock (pg_try_advisory_lock on a 64-bit key derived
/// from the persistence id) on a dedicated, unpooled connection held for the claim's lifetime, and records the
/// owner in the owners table. The server releases the lock when that session ends — on dispose, or when the
/// owning process dies and its socket closes — so a restarted coordinator can claim at once, while a second
/// live coordinator anywhere is refused with "job already owned".</para>
/// </summary>
public sealed class PostgresJournal : SqlJournal
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _lockConnectionString;

    public PostgresJournal(string connectionString, string tablePrefix = "distgmm_", TimeProvider? timeProvider = null)
        : base(tablePrefix, timeProvider)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new ArgumentException("PostgreSQL connection string must not be empty", nameof(connectionString));
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _lockConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString();
    }

    /// <summary>The advisory lock key of a job's ownership claim (for operators: visible in pg_locks).</summary>
    public static long OwnershipLockKey(string persistenceId) => StableKey(persistenceId);

    protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken ct) =>
        await _dataSource.OpenConnectionAsync(ct);

    protected override async Task CreateSchemaAsync(DbConnection connection, CancellationToken ct)
    {
        // CREATE TABLE IF NOT EXISTS races between sessions (duplicate pg_type rows): serialise it with a lock.
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = $"""
            SELECT pg_advisory_xact_lock({StableKey("schema:" + JournalTable)});
            CREATE TABLE IF NOT EXISTS {JournalTable} (
                persistence_id TEXT NOT NULL,
                sequence_nr    BIGINT NOT NULL,
                event_type     TEXT NOT NULL,
                payload        BYTEA NOT NULL,
                created_at     TIMESTAMPTZ NOT NULL,
                CONSTRAINT {JournalTable}_pk PRIMARY KEY (persistence_id, sequence_nr)
            );
            CREATE TABLE IF NOT EXISTS {SnapshotTable} (
                persistence_id TEXT NOT NULL,
                sequence_nr    BIGINT NOT NULL,
                snapshot_type  TEXT NOT NULL,
                payload        BYTEA NOT NULL,
                created_at     TIMESTAMPTZ NOT NULL,
                CONSTRAINT {SnapshotTable}_pk PRIMARY KEY (persistence_id, sequence_nr)
            );
            CREATE TABLE IF NOT EXISTS {OwnerTable} (
                persistence_id TEXT NOT NULL PRIMARY KEY,
                owner_id       TEXT NOT NULL,
                host           TEXT NOT NULL,
                pid            INTEGER NOT NULL,
                claimed_at     TIMESTAMPTZ NOT NULL
            );
            """;
        await command.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
    }

    protected override async ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct) =>
        // Read committed is enough: a racing insert of the same key blocks, then fails with 23505.
        await connection.BeginTransactionAsync(ct);

    protected override bool IsUniqueViolation(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    protected override object ToDbTimestamp(DateTimeOffset timestamp) => timestamp.UtcDateTime;

    protected override DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal) =>
        new(DateTime.SpecifyKind(reader.GetFieldValue<DateTime>(ordinal), DateTimeKind.Utc));

    public override async Task<IJobOwnership> ClaimOwnershipAsync(string persistenceId, string ownerId, CancellationToken ct = default)
    {
        ValidateId(persistenceId);
        ValidateOwner(ownerId);
        await using (await OpenReadyAsync(ct)) { } // schema first, so the owners table exists

        var lockConnection = new NpgsqlConnection(_lockConnectionString);
        try
        {
            await lockConnection.OpenAsync(ct);
            await using (var tryLock = lockConnection.CreateCommand())
            {
                tryLock.CommandText = "SELECT pg_try_advisory_lock(@key)";
                tryLock.Parameters.AddWithValue("key", StableKey(persistenceId));
                if (await tryLock.ExecuteScalarAsync(ct) is not true)
                    throw new JobAlreadyOwnedException(persistenceId, await LastOwnerAsync(persistenceId, ct));
            }
            var owner = await WriteOwnerAsync(lockConnection, persistenceId, ownerId, ct);
            return new AdvisoryLockOwnership(owner, lockConnection, StableKey(persistenceId));
        }
        catch
        {
            await lockConnection.DisposeAsync();
            throw;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await base.DisposeAsync();
    }

    private sealed class AdvisoryLockOwnership(JobOwnerInfo owner, NpgsqlConnection lockConnection, long key) : IJobOwnership
    {
        private int _released;

        public JobOwnerInfo Owner { get; } = owner;

        public bool IsHeld => Volatile.Read(ref _released) == 0 && lockConnection.FullState == System.Data.ConnectionState.Open;

        public async Task<bool> VerifyAsync(CancellationToken ct = default)
        {
            if (!IsHeld) return false;
            try
            {
                await using var check = lockConnection.CreateCommand();
                check.CommandText =
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() " +
                    "AND ((classid::bigint << 32) | objid::bigint) = @key";
                check.Parameters.AddWithValue("key", key);
                return await check.ExecuteScalarAsync(ct) is 1L;
            }
            catch (NpgsqlException)
            {
                return false; // the session is gone, and the lock with it
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            try
            {
                if (lockConnection.FullState == System.Data.ConnectionState.Open)
                {
                    await using var unlock = lockConnection.CreateCommand();
                    unlock.CommandText = "SELECT pg_advisory_unlock(@key)";
                    unlock.Parameters.AddWithValue("key", key);
                    await unlock.ExecuteScalarAsync();
                }
            }
            catch (NpgsqlException)
            {
                // The session is gone, and with it the lock: nothing left to release.
            }
            finally
            {
                await lockConnection.DisposeAsync(); // unpooled: closing ends the session
            }
        }
    }
}
