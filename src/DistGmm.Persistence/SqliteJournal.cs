using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace DistGmm.Persistence;

/// <summary>
/// The embedded default journal: one SQLite file (WAL mode). Writers are serialised by BEGIN IMMEDIATE.
/// <para>Ownership: a claim takes an exclusive OS lock (flock, via FileShare.None) on
/// <c>&lt;database&gt;.owners/&lt;key&gt;.lock</c> and records the owner in the owners table. The operating system drops
/// the lock when the owning process exits or is killed, so a restarted coordinator can claim at once, while a
/// second live coordinator on the same machine is refused. The database must be on a local file system (as
/// SQLite itself requires); coordinators on different machines need the PostgreSQL journal.</para>
/// </summary>
public sealed class SqliteJournal : SqlJournal
{
    private readonly string _connectionString;
    private readonly string _databasePath;

    /// <param name="databasePath">The SQLite file (created with its directory if missing).</param>
    public SqliteJournal(string databasePath, string tablePrefix = "distgmm_", TimeProvider? timeProvider = null)
        : base(tablePrefix, timeProvider)
    {
        if (string.IsNullOrWhiteSpace(databasePath)) throw new ArgumentException("database path must not be empty", nameof(databasePath));
        _databasePath = Path.GetFullPath(databasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(_databasePath)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30, // seconds a writer waits for another writer's lock (SQLITE_BUSY retries)
        }.ToString();
    }

    /// <summary>Opens the journal named by a connection string such as "Data Source=/data/journal.db".</summary>
    public static SqliteJournal FromConnectionString(string connectionString, string tablePrefix = "distgmm_")
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (string.IsNullOrWhiteSpace(builder.DataSource) || builder.DataSource == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
            throw new ArgumentException($"the SQLite journal needs a file (Data Source=path), got '{connectionString}'", nameof(connectionString));
        return new SqliteJournal(builder.DataSource, tablePrefix);
    }

    public string DatabasePath => _databasePath;

    /// <summary>The file whose exclusive OS lock is the ownership claim on a job.</summary>
    public string OwnershipLockPath(string persistenceId) =>
        Path.Combine(_databasePath + ".owners", $"{(ulong)StableKey(persistenceId):x16}.lock");

    protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        // WAL + synchronous=NORMAL: a commit survives the death of the process (SIGKILL, the failure a coordinator must
        // survive) without an fsync per event; only an OS crash can drop the newest commits, and a resumed job then
        // recomputes those passes to the same bits. FULL cost a disk flush on every EM iteration.
        await using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA synchronous = NORMAL;";
            await pragma.ExecuteNonQueryAsync(ct);
        }
        return connection;
    }

    protected override async Task CreateSchemaAsync(DbConnection connection, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS {JournalTable} (
                persistence_id TEXT NOT NULL,
                sequence_nr    INTEGER NOT NULL,
                event_type     TEXT NOT NULL,
                payload        BLOB NOT NULL,
                created_at     INTEGER NOT NULL,
                CONSTRAINT {JournalTable}_pk PRIMARY KEY (persistence_id, sequence_nr)
            );
            CREATE TABLE IF NOT EXISTS {SnapshotTable} (
                persistence_id TEXT NOT NULL,
                sequence_nr    INTEGER NOT NULL,
                snapshot_type  TEXT NOT NULL,
                payload        BLOB NOT NULL,
                created_at     INTEGER NOT NULL,
                CONSTRAINT {SnapshotTable}_pk PRIMARY KEY (persistence_id, sequence_nr)
            );
            CREATE TABLE IF NOT EXISTS {OwnerTable} (
                persistence_id TEXT NOT NULL PRIMARY KEY,
                owner_id       TEXT NOT NULL,
                host           TEXT NOT NULL,
                pid            INTEGER NOT NULL,
                claimed_at     INTEGER NOT NULL
            );
            """;
        await command.ExecuteNonQueryAsync(ct);
    }

    protected override ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct) =>
        // deferred: false → BEGIN IMMEDIATE: the write lock is taken before the read of the highest number.
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    protected override bool IsUniqueViolation(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 19 }; // SQLITE_CONSTRAINT (primary key / unique)

    protected override object ToDbTimestamp(DateTimeOffset timestamp) => timestamp.ToUnixTimeMilliseconds();

    protected override DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal) =>
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    public override async Task<IJobOwnership> ClaimOwnershipAsync(string persistenceId, string ownerId, CancellationToken ct = default)
    {
        ValidateId(persistenceId);
        ValidateOwner(ownerId);
        var lockPath = OwnershipLockPath(persistenceId);
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        FileStream lockFile;
        try
        {
            // FileShare.None takes flock(LOCK_EX|LOCK_NB) on Unix: exclusive among processes and open handles.
            lockFile = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new JobAlreadyOwnedException(persistenceId, await LastOwnerAsync(persistenceId, ct));
        }
        try
        {
            await using var connection = await OpenReadyAsync(ct);
            var owner = await WriteOwnerAsync(connection, persistenceId, ownerId, ct);
            return new FileLockOwnership(owner, lockFile);
        }
        catch
        {
            await lockFile.DisposeAsync();
            throw;
        }
    }

    public override ValueTask DisposeAsync()
    {
        // Pooled connections keep the file open; clear them so the file can be deleted/moved after disposal.
        SqliteConnection.ClearAllPools();
        return base.DisposeAsync();
    }

    private sealed class FileLockOwnership(JobOwnerInfo owner, FileStream lockFile) : IJobOwnership
    {
        private int _released;

        public JobOwnerInfo Owner { get; } = owner;

        public bool IsHeld => Volatile.Read(ref _released) == 0;

        // An OS file lock cannot be taken away from a live process: holding it is being alive and not released.
        public Task<bool> VerifyAsync(CancellationToken ct = default) => Task.FromResult(IsHeld);

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) await lockFile.DisposeAsync();
        }
    }
}
