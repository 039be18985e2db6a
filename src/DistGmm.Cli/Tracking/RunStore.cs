using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace DistGmm.Cli.Tracking;

/// <summary>One recorded run (MLflow-style): what was asked, what came out, where the artefacts are.</summary>
public sealed record RunRecord
{
    /// <summary>Assigned by the store (0 before it is added).</summary>
    public long Id { get; init; }

    /// <summary>The command path, e.g. "run", "train", "score".</summary>
    public required string Command { get; init; }

    public required DateTimeOffset StartedUtc { get; init; }

    public required double DurationSeconds { get; init; }

    /// <summary>"ok" or "failed".</summary>
    public string Status { get; init; } = "ok";

    /// <summary>Why a failed run failed: "exit N: the error line" (null for ok runs).</summary>
    public string? Error { get; init; }

    /// <summary>Program, runtime and OS version (no git: a deployed binary has no repository).</summary>
    public required string Version { get; init; }

    public string? OutDir { get; init; }

    /// <summary>Option and argument values as given or defaulted, as text.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Artefact name → absolute path.</summary>
    public IReadOnlyDictionary<string, string> Artifacts { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// The run-tracking store: one SQLite file (default ~/.distgmm/runs.db), one row per run; parameters, metrics and
/// artefacts as JSON objects so the schema never needs to change when a command gains an option.
/// </summary>
public sealed class RunStore
{
    public const string EnvironmentVariable = "DISTGMM_RUNS_DB";

    private const int BusyTimeoutMilliseconds = 30_000;

    private readonly string _connectionString;

    private RunStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        // No pooling: the CLI opens the store once or twice per process, and a pooled handle would keep the file
        // open (and undeletable on some systems) after the command is done.
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false, DefaultTimeout = BusyTimeoutMilliseconds / 1000 }.ToString();
    }

    public string Path { get; }

    /// <summary>--store if given, else $DISTGMM_RUNS_DB, else ~/.distgmm/runs.db.</summary>
    public static string ResolvePath(string? explicitPath) =>
        ResolvePath(explicitPath, Environment.GetEnvironmentVariable(EnvironmentVariable),
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary>The same rule with the variable's value and the home folder given (tests must not change the process's environment).</summary>
    public static string ResolvePath(string? explicitPath, string? environmentValue, string home)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath)) return explicitPath;
        if (environmentValue is { Length: > 0 }) return environmentValue;
        return System.IO.Path.Combine(home.Length > 0 ? home : System.IO.Path.GetTempPath(), ".distgmm", "runs.db");
    }

    /// <summary>Opens (creating file, folder and schema) a store for writing.</summary>
    public static RunStore OpenOrCreate(string path)
    {
        var store = new RunStore(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(store.Path)!);
        using var connection = store.Open();
        // One writer at a time from the first statement: two jobs creating or upgrading the store at once must not
        // both add the error column, nor deadlock upgrading a read lock.
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            CREATE TABLE IF NOT EXISTS runs (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                command TEXT NOT NULL,
                started_utc TEXT NOT NULL,
                duration_seconds REAL NOT NULL,
                status TEXT NOT NULL,
                version TEXT NOT NULL,
                out_dir TEXT,
                parameters TEXT NOT NULL,
                metrics TEXT NOT NULL,
                artifacts TEXT NOT NULL,
                error TEXT
            );
            """;
        command.ExecuteNonQuery();
        // Stores made before failed runs were recorded have no error column: add it.
        command.CommandText = "SELECT COUNT(*) FROM pragma_table_info('runs') WHERE name = 'error'";
        if ((long)command.ExecuteScalar()! == 0)
        {
            command.CommandText = "ALTER TABLE runs ADD COLUMN error TEXT";
            command.ExecuteNonQuery();
        }
        transaction.Commit();
        return store;
    }

    /// <summary>Opens an existing store for reading; a missing file is an error naming it.</summary>
    public static RunStore OpenExisting(string path) =>
        File.Exists(path) ? new RunStore(path) : throw new FileNotFoundException($"{path}: no run store (no run recorded yet)", path);

    public long Add(RunRecord run)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false); // the write lock up front (see OpenOrCreate)
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO runs (command, started_utc, duration_seconds, status, version, out_dir, parameters, metrics, artifacts, error)
            VALUES ($command, $started, $duration, $status, $version, $out, $parameters, $metrics, $artifacts, $error)
            RETURNING id;
            """;
        command.Parameters.AddWithValue("$command", run.Command);
        command.Parameters.AddWithValue("$started", run.StartedUtc.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$duration", run.DurationSeconds);
        command.Parameters.AddWithValue("$status", run.Status);
        command.Parameters.AddWithValue("$version", run.Version);
        command.Parameters.AddWithValue("$out", (object?)run.OutDir ?? DBNull.Value);
        command.Parameters.AddWithValue("$parameters", JsonSerializer.Serialize(run.Parameters));
        command.Parameters.AddWithValue("$metrics", JsonSerializer.Serialize(FiniteOnly(run.Metrics)));
        command.Parameters.AddWithValue("$artifacts", JsonSerializer.Serialize(run.Artifacts));
        command.Parameters.AddWithValue("$error", (object?)run.Error ?? DBNull.Value);
        var id = (long)command.ExecuteScalar()!;
        transaction.Commit();
        return id;
    }

    /// <summary>The most recent runs first.</summary>
    public IReadOnlyList<RunRecord> List(int limit = int.MaxValue)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM runs ORDER BY id DESC LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        return ReadAll(command);
    }

    public RunRecord? Get(long id)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM runs WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        return ReadAll(command).SingleOrDefault();
    }

    private const string Columns = "id, command, started_utc, duration_seconds, status, version, out_dir, parameters, metrics, artifacts, error";

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            // SQLite's own busy handler, so every lock (the commit's too, which Microsoft.Data.Sqlite's retry of a
            // statement's first step does not cover) waits for other jobs' writes instead of failing "database is locked".
            using var busy = connection.CreateCommand();
            busy.CommandText = $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}";
            busy.ExecuteNonQuery();
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw new IOException($"{Path}: cannot open the run store: {ex.Message}", ex);
        }
        return connection;
    }

    private List<RunRecord> ReadAll(SqliteCommand command)
    {
        var runs = new List<RunRecord>();
        try
        {
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                runs.Add(new RunRecord
                {
                    Id = reader.GetInt64(0),
                    Command = reader.GetString(1),
                    StartedUtc = DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                    DurationSeconds = reader.GetDouble(3),
                    Status = reader.GetString(4),
                    Version = reader.GetString(5),
                    OutDir = reader.IsDBNull(6) ? null : reader.GetString(6),
                    Parameters = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(7)) ?? [],
                    Metrics = JsonSerializer.Deserialize<Dictionary<string, double>>(reader.GetString(8)) ?? [],
                    Artifacts = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(9)) ?? [],
                    Error = reader.IsDBNull(10) ? null : reader.GetString(10),
                });
            }
        }
        catch (Exception ex) when (ex is SqliteException or JsonException or FormatException)
        {
            throw new InvalidDataException($"{Path}: not a readable run store: {ex.Message}", ex);
        }
        return runs;
    }

    // JSON has no NaN/Infinity; a non-finite metric says nothing a reader could compare anyway.
    private static Dictionary<string, double> FiniteOnly(IReadOnlyDictionary<string, double> metrics) =>
        metrics.Where(p => double.IsFinite(p.Value)).ToDictionary(p => p.Key, p => p.Value);
}
