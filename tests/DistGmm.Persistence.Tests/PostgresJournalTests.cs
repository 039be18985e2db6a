using Npgsql;
using Xunit;

namespace DistGmm.Persistence.Tests;

public sealed class PostgresJournalTests : JournalContract
{
    private const string Prefix = "distgmm_test_";

    protected override IJournal? OpenJournal(TimeProvider? clock = null) =>
        TestServices.Postgres() is { } connectionString ? new PostgresJournal(connectionString, Prefix, clock) : null;

    [Fact]
    public async Task The_schema_has_a_unique_key_on_persistence_id_and_sequence_nr()
    {
        await using var journal = OpenJournal();
        if (journal is null) return;
        await journal.HighestSequenceNrAsync("job"); // first use creates the schema

        await using var connection = new NpgsqlConnection(TestServices.Postgres());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT string_agg(a.attname, ',' ORDER BY k.ord)
            FROM pg_constraint c
            CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
            WHERE c.conrelid = 'distgmm_test_journal'::regclass AND c.contype IN ('p', 'u')
            """;
        Assert.Equal("persistence_id,sequence_nr", await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_claim_whose_database_session_dies_is_released_by_the_server()
    {
        await using var journal = OpenJournal();
        if (journal is null) return;
        var job = NewJobId();
        var claim = await journal.ClaimOwnershipAsync(job, "doomed");
        Assert.True(await claim.VerifyAsync());
        await Assert.ThrowsAsync<JobAlreadyOwnedException>(() => journal.ClaimOwnershipAsync(job, "second"));

        // What a SIGKILLed coordinator leaves behind: its session ends without unlocking.
        await using (var admin = new NpgsqlConnection(TestServices.Postgres()))
        {
            await admin.OpenAsync();
            await using var kill = admin.CreateCommand();
            kill.CommandText = """
                SELECT count(*) FILTER (WHERE pg_terminate_backend(l.pid, 10000)) FROM pg_locks l
                WHERE l.locktype = 'advisory' AND l.granted
                  AND ((l.classid::bigint << 32) | l.objid::bigint) = @key
                """;
            kill.Parameters.AddWithValue("key", PostgresJournal.OwnershipLockKey(job));
            Assert.Equal(1L, await kill.ExecuteScalarAsync());
        }

        Assert.False(await claim.VerifyAsync());
        Assert.False(claim.IsHeld);
        await using var restarted = await journal.ClaimOwnershipAsync(job, "restarted");
        Assert.True(restarted.IsHeld);
        Assert.True(await restarted.VerifyAsync());
        Assert.Equal("restarted", (await journal.LastOwnerAsync(job))!.OwnerId);
        await claim.DisposeAsync(); // releasing a lost claim is harmless
        await Assert.ThrowsAsync<JobAlreadyOwnedException>(() => journal.ClaimOwnershipAsync(job, "third"));
    }
}
