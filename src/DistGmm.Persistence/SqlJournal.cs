using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace DistGmm.Persistence;

/// <summary>
/// The SQL shared by the SQLite and PostgreSQL journals. Three tables (names prefixed, default "distgmm_"):
/// <list type="bullet">
/// <item><c>journal</c>: persistence_id, sequence_nr, event_type, payload, created_at — PRIMARY KEY
/// (persistence_id, sequence_nr), i.e. a unique constraint: two writers can never store the same number.</item>
/// <item><c>snapshots</c>: persistence_id, sequence_nr, snapshot_type, payload, created_at.</item>
/// <item><c>owners</c>: the last owner of each job (informational; the exclusive lock is dialect-specific).</item>
/// </list>
/// </summary>
public abstract partial class SqlJournal : IJournal
{
    private readonly SemaphoreSlim _schemaGate = new(1, 1);
    private volatile bool _schemaReady;

    protected SqlJournal(string tablePrefix, TimeProvider? timeProvider)
    {
        if (!IdentifierPattern().IsMatch(tablePrefix))
            throw new ArgumentException($"table prefix '{tablePrefix}' must match [a-z_][a-z0-9_]*", nameof(tablePrefix));
        JournalTable = tablePrefix + "journal";
        SnapshotTable = tablePrefix + "snapshots";
        OwnerTable = tablePrefix + "owners";
        Clock = timeProvider ?? TimeProvider.System;
    }

    protected string JournalTable { get; }
    protected string SnapshotTable { get; }
    protected string OwnerTable { get; }
    protected TimeProvider Clock { get; }

    // ---- dialect ---------------------------------------------------------------------------------------

    protected abstract Task<DbConnection> OpenConnectionAsync(CancellationToken ct);

    /// <summary>Creates the tables if missing (must be safe against other processes doing the same).</summary>
    protected abstract Task CreateSchemaAsync(DbConnection connection, CancellationToken ct);

    /// <summary>A transaction that serialises writers of the journal (SQLite: BEGIN IMMEDIATE).</summary>
    protected abstract ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct);

    protected abstract bool IsUniqueViolation(Exception exception);

    protected abstract object ToDbTimestamp(DateTimeOffset timestamp);

    protected abstract DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal);

    public abstract Task<IJobOwnership> ClaimOwnershipAsync(string persistenceId, string ownerId, CancellationToken ct = default);

    // ---- IJournal ----------------------------------------------------------------------------------------

    public async Task<long> HighestSequenceNrAsync(string persistenceId, CancellationToken ct = default)
    {
        ValidateId(persistenceId);
        await using var connection = await OpenReadyAsync(ct);
        return await HighestAsync(connection, null, persistenceId, ct);
    }

    public async Task<long> AppendAsync(string persistenceId, long expectedHighestSequenceNr, IReadOnlyList<NewEvent> events,
        CancellationToken ct = default)
    {
        ValidateId(persistenceId);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedHighestSequenceNr);
        if (events.Count == 0) throw new ArgumentException("nothing to append", nameof(events));
        foreach (var e in events)
            if (string.IsNullOrWhiteSpace(e.EventType)) throw new ArgumentException("an event has no type", nameof(events));

        await using var connection = await OpenReadyAsync(ct);
        try
        {
            await using var tx = await BeginWriteAsync(connection, ct);
            var actual = await HighestAsync(connection, tx, persistenceId, ct);
            if (actual != expectedHighestSequenceNr)
                throw new JournalConflictException(persistenceId, expectedHighestSequenceNr, actual);

            await using var insert = connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText =
                $"INSERT INTO {JournalTable} (persistence_id, sequence_nr, event_type, payload, created_at) " +
                "VALUES (@pid, @seq, @type, @payload, @at)";
            AddParameter(insert, "@pid", persistenceId);
            var seq = AddParameter(insert, "@seq", 0L);
            var type = AddParameter(insert, "@type", "");
            var payload = AddParameter(insert, "@payload", Array.Empty<byte>());
            AddParameter(insert, "@at", ToDbTimestamp(Now()));
            for (var i = 0; i < events.Count; i++)
            {
                seq.Value = expectedHighestSequenceNr + 1 + i;
                type.Value = events[i].EventType;
                payload.Value = events[i].Payload.ToArray();
                await insert.ExecuteNonQueryAsync(ct);
            }
            await tx.CommitAsync(ct);
            return expectedHighestSequenceNr + events.Count;
        }
        catch (Exception ex) when (IsUniqueViolation(ex))
        {
            // Lost the race for a sequence number: the other writer's rows are committed now.
            var actual = await HighestAsync(connection, null, persistenceId, ct);
            throw new JournalConflictException(persistenceId, expectedHighestSequenceNr, actual, ex);
        }
    }

    public async IAsyncEnumerable<JournalEvent> ReplayAsync(string persistenceId, long fromSequenceNr = 1,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        ValidateId(persistenceId);
        await using var connection = await OpenReadyAsync(ct);
        await using var select = connection.CreateCommand();
        select.CommandText =
            $"SELECT sequence_nr, event_type, payload, created_at FROM {JournalTable} " +
            "WHERE persistence_id = @pid AND sequence_nr >= @from ORDER BY sequence_nr";
        AddParameter(select, "@pid", persistenceId);
        AddParameter(select, "@from", fromSequenceNr);
        await using var reader = await select.ExecuteReaderAsync(ct);
        var expected = Math.Max(fromSequenceNr, 1);
        while (await reader.ReadAsync(ct))
        {
            var sequenceNr = reader.GetInt64(0);
            // The append path never leaves gaps; a gap means rows were deleted behind our back.
            if (sequenceNr != expected)
                throw new JournalException($"journal '{persistenceId}' has a gap: expected sequence number {expected}, found {sequenceNr}");
            expected++;
            yield return new JournalEvent(persistenceId, sequenceNr, reader.GetString(1),
                reader.GetFieldValue<byte[]>(2), ReadTimestamp(reader, 3));
        }
    }

    public async Task SaveSnapshotAsync(SnapshotRecord snapshot, CancellationToken ct = default)
    {
        ValidateId(snapshot.PersistenceId);
        ArgumentOutOfRangeException.ThrowIfNegative(snapshot.SequenceNr);
        await using var connection = await OpenReadyAsync(ct);
        await using var upsert = connection.CreateCommand();
        upsert.CommandText =
            $"INSERT INTO {SnapshotTable} (persistence_id, sequence_nr, snapshot_type, payload, created_at) " +
            "VALUES (@pid, @seq, @type, @payload, @at) ON CONFLICT (persistence_id, sequence_nr) DO UPDATE SET " +
            "snapshot_type = excluded.snapshot_type, payload = excluded.payload, created_at = excluded.created_at";
        AddParameter(upsert, "@pid", snapshot.PersistenceId);
        AddParameter(upsert, "@seq", snapshot.SequenceNr);
        AddParameter(upsert, "@type", snapshot.SnapshotType);
        AddParameter(upsert, "@payload", snapshot.Payload);
        AddParameter(upsert, "@at", ToDbTimestamp(snapshot.Timestamp));
        await upsert.ExecuteNonQueryAsync(ct);
    }

    public async Task<SnapshotRecord?> LoadLatestSnapshotAsync(string persistenceId, CancellationToken ct = default)
    {
        ValidateId(persistenceId);
        await using var connection = await OpenReadyAsync(ct);
        await using var select = connection.CreateCommand();
        select.CommandText =
            $"SELECT sequence_nr, snapshot_type, payload, created_at FROM {SnapshotTable} " +
            "WHERE persistence_id = @pid ORDER BY sequence_nr DESC LIMIT 1";
        AddParameter(select, "@pid", persistenceId);
        await using var reader = await select.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new SnapshotRecord(persistenceId, reader.GetInt64(0), reader.GetString(1),
            reader.GetFieldValue<byte[]>(2), ReadTimestamp(reader, 3));
    }

    public async Task<JobOwnerInfo?> LastOwnerAsync(string persistenceId, CancellationToken ct = default)
    {
        ValidateId(persistenceId);
        await using var connection = await OpenReadyAsync(ct);
        return await ReadOwnerAsync(connection, persistenceId, ct);
    }

    public virtual ValueTask DisposeAsync()
    {
        _schemaGate.Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    // ---- helpers for the dialects --------------------------------------------------------------------------

    protected async Task<DbConnection> OpenReadyAsync(CancellationToken ct)
    {
        var connection = await OpenConnectionAsync(ct);
        if (_schemaReady) return connection;
        try
        {
            await _schemaGate.WaitAsync(ct);
            try
            {
                if (!_schemaReady)
                {
                    await CreateSchemaAsync(connection, ct);
                    _schemaReady = true;
                }
            }
            finally { _schemaGate.Release(); }
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    protected async Task<JobOwnerInfo?> ReadOwnerAsync(DbConnection connection, string persistenceId, CancellationToken ct)
    {
        await using var select = connection.CreateCommand();
        select.CommandText = $"SELECT owner_id, host, pid, claimed_at FROM {OwnerTable} WHERE persistence_id = @pid";
        AddParameter(select, "@pid", persistenceId);
        await using var reader = await select.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new JobOwnerInfo(persistenceId, reader.GetString(0), reader.GetString(1), reader.GetInt32(2), ReadTimestamp(reader, 3));
    }

    protected async Task<JobOwnerInfo> WriteOwnerAsync(DbConnection connection, string persistenceId, string ownerId, CancellationToken ct)
    {
        var owner = new JobOwnerInfo(persistenceId, ownerId, Environment.MachineName, Environment.ProcessId, Now());
        await using var upsert = connection.CreateCommand();
        upsert.CommandText =
            $"INSERT INTO {OwnerTable} (persistence_id, owner_id, host, pid, claimed_at) VALUES (@pid, @owner, @host, @proc, @at) " +
            "ON CONFLICT (persistence_id) DO UPDATE SET owner_id = excluded.owner_id, host = excluded.host, " +
            "pid = excluded.pid, claimed_at = excluded.claimed_at";
        AddParameter(upsert, "@pid", persistenceId);
        AddParameter(upsert, "@owner", ownerId);
        AddParameter(upsert, "@host", owner.Host);
        AddParameter(upsert, "@proc", owner.ProcessId);
        AddParameter(upsert, "@at", ToDbTimestamp(owner.ClaimedAt));
        await upsert.ExecuteNonQueryAsync(ct);
        return owner;
    }

    protected static DbParameter AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    /// <summary>A stable 64-bit key for a persistence id (lock keys, lock file names).</summary>
    protected static long StableKey(string persistenceId) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("distgmm-job:" + persistenceId)), 0);

    protected static void ValidateId(string persistenceId)
    {
        if (string.IsNullOrWhiteSpace(persistenceId))
            throw new ArgumentException("persistence id must not be empty", nameof(persistenceId));
    }

    protected static void ValidateOwner(string ownerId)
    {
        if (string.IsNullOrWhiteSpace(ownerId)) throw new ArgumentException("owner id must not be empty", nameof(ownerId));
    }

    // Whole milliseconds: both stores keep them exactly, so a value read back equals the value written.
    private DateTimeOffset Now() => DateTimeOffset.FromUnixTimeMilliseconds(Clock.GetUtcNow().ToUnixTimeMilliseconds());

    private async Task<long> HighestAsync(DbConnection connection, DbTransaction? tx, string persistenceId, CancellationToken ct)
    {
        await using var select = connection.CreateCommand();
        select.Transaction = tx;
        select.CommandText = $"SELECT COALESCE(MAX(sequence_nr), 0) FROM {JournalTable} WHERE persistence_id = @pid";
        AddParameter(select, "@pid", persistenceId);
        return Convert.ToInt64(await select.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]*$")]
    private static partial Regex IdentifierPattern();
}
