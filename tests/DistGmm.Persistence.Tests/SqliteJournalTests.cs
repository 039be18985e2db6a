using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Xunit;

namespace DistGmm.Persistence.Tests;

public sealed class SqliteJournalTests : JournalContract, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("distgmm-journal-").FullName;

    private string DatabasePath => Path.Combine(_directory, "journal.db");

    protected override IJournal OpenJournal(TimeProvider? clock = null) => new SqliteJournal(DatabasePath, timeProvider: clock);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task The_schema_is_created_on_first_use_with_a_unique_key_on_persistence_id_and_sequence_nr()
    {
        var path = Path.Combine(_directory, "sub", "dir", "fresh.db");
        await using (var journal = new SqliteJournal(path)) Assert.Equal(0, await journal.HighestSequenceNrAsync("job"));

        await using var connection = new SqliteConnection($"Data Source={path}");
        await connection.OpenAsync();
        await using var tables = connection.CreateCommand();
        tables.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
        var names = new List<string>();
        await using (var reader = await tables.ExecuteReaderAsync())
            while (await reader.ReadAsync()) names.Add(reader.GetString(0));
        Assert.Equal(["distgmm_journal", "distgmm_owners", "distgmm_snapshots"], names);

        // The key itself refuses a duplicate (persistence_id, sequence_nr), whoever writes.
        await using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO distgmm_journal VALUES ('j', 1, 'E', x'00', 0)";
        await insert.ExecuteNonQueryAsync();
        var duplicate = await Assert.ThrowsAsync<SqliteException>(() => insert.ExecuteNonQueryAsync());
        Assert.Equal(19, duplicate.SqliteErrorCode);
    }

    [Fact]
    public async Task Table_prefixes_keep_journals_in_one_file_apart()
    {
        await using var a = new SqliteJournal(DatabasePath, "a_");
        await using var b = new SqliteJournal(DatabasePath, "b_");
        await a.AppendAsync("job", 0, [new NewEvent("E", new byte[] { 1 })]);
        Assert.Equal(1, await a.HighestSequenceNrAsync("job"));
        Assert.Equal(0, await b.HighestSequenceNrAsync("job"));
        Assert.Throws<ArgumentException>(() => new SqliteJournal(DatabasePath, "bad-prefix;"));
    }

    [Fact]
    public void Connection_strings_must_name_a_file()
    {
        Assert.Contains("needs a file", Assert.Throws<ArgumentException>(() => SqliteJournal.FromConnectionString("Data Source=:memory:")).Message);
        var journal = JournalFactory.Open("sqlite", $"Data Source={DatabasePath}");
        Assert.Equal(DatabasePath, Assert.IsType<SqliteJournal>(journal).DatabasePath);
        Assert.Contains("unknown journal provider 'oracle'", Assert.Throws<ArgumentException>(() => JournalFactory.Open("oracle", "x")).Message);
    }

    [Fact]
    public async Task A_claim_held_by_another_process_is_refused_and_freed_when_that_process_is_killed()
    {
        await using var journal = new SqliteJournal(DatabasePath);
        var job = NewJobId();
        var lockPath = journal.OwnershipLockPath(job);
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);

        // Another process holds the same OS lock (flock), as a coordinator on this machine would.
        using var holder = Process.Start(new ProcessStartInfo("python3")
        {
            ArgumentList = { "-c", "import fcntl,sys; f=open(sys.argv[1],'a+'); fcntl.flock(f, fcntl.LOCK_EX); print('locked', flush=True); sys.stdin.read()", lockPath },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        })!;
        try
        {
            Assert.Equal("locked", await holder.StandardOutput.ReadLineAsync());
            var refused = await Assert.ThrowsAsync<JobAlreadyOwnedException>(() => journal.ClaimOwnershipAsync(job, "second"));
            Assert.StartsWith("job already owned", refused.Message);
        }
        finally
        {
            holder.Kill(); // SIGKILL: no chance to unlock
            await holder.WaitForExitAsync();
        }

        await using var claim = await journal.ClaimOwnershipAsync(job, "restarted");
        Assert.True(claim.IsHeld);
    }
}
