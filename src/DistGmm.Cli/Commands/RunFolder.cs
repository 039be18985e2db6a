using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace DistGmm.Cli.Commands;

/// <summary>
/// A job's output folder, complete or absent (as Spark's output committers and Git promise): the job writes into a
/// hidden sibling staging folder, and only on success is the completion marker written and the staging folder renamed
/// into place. A failed job leaves the previous complete result untouched and removes its own partial output. A lock
/// file beside the folder (host, pid, process start) lets one job at a time use it; a lock whose process is gone is
/// taken over with a warning.
/// </summary>
public sealed class RunFolder : IDisposable
{
    /// <summary>Written last into a complete run folder (JSON: command, pid, host, finishedUtc).</summary>
    public const string SuccessMarker = "_SUCCESS";

    /// <summary>The dataset a job ingested into its run folder.</summary>
    public const string DatasetFolder = "dataset";

    private readonly RunFolderLock _lock;
    private bool _committed;

    private RunFolder(string final, RunFolderLock folderLock, bool inPlace)
    {
        Final = final;
        _lock = folderLock;
        Work = inPlace ? final : Sibling(final, $"staging-{Environment.ProcessId}");
    }

    /// <summary>Where the finished folder will be.</summary>
    public string Final { get; }

    /// <summary>Where the job writes (renamed to <see cref="Final"/> by <see cref="Commit"/>).</summary>
    public string Work { get; }

    /// <summary>The folder's name (what reports call the run).</summary>
    public string Name => Path.GetFileName(Final);

    /// <summary>
    /// Refuses input that lives in the folder this job replaces (it would be gone afterwards); the previous run's
    /// dataset/ is the exception, it is carried over.
    /// </summary>
    public void RefuseInputInside(string input)
    {
        var full = Path.GetFullPath(input).TrimEnd(Path.DirectorySeparatorChar);
        var dataset = Path.Combine(Final, DatasetFolder);
        var inside = full == Final || full.StartsWith(Final + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        if (inside && full != dataset && Work != Final)
            throw new CliException($"--out {Final} holds the input {input}, and a new run replaces that folder; " +
                                   "give another --out or move the input out", ExitCodes.Usage);
    }

    /// <summary>Locks <paramref name="outDir"/> and prepares an empty staging folder for the job.</summary>
    /// <param name="inPlace">
    /// Write in the folder itself (the cluster coordinator: a restarted coordinator resumes its job in the same folder);
    /// the marker is removed first and written last, so the folder reads as incomplete until the job succeeds.
    /// </param>
    public static RunFolder Begin(string outDir, string command, TextWriter warnings, bool inPlace = false)
    {
        var final = CliPaths.OutputFolder(outDir);
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        var folderLock = RunFolderLock.Acquire(final, command, warnings);
        try
        {
            var folder = new RunFolder(final, folderLock, inPlace);
            RemoveLeftovers(final);
            Directory.CreateDirectory(folder.Work);
            if (inPlace) File.Delete(Path.Combine(final, SuccessMarker));
            return folder;
        }
        catch
        {
            folderLock.Dispose();
            throw;
        }
    }

    /// <summary>The path <paramref name="pathInWork"/> will have once committed.</summary>
    public string Published(string pathInWork) =>
        pathInWork.StartsWith(Work, StringComparison.Ordinal) ? Final + pathInWork[Work.Length..] : pathInWork;

    /// <summary>
    /// Marks the staged folder complete and puts it in place of the previous one. When the job read the previous run's
    /// dataset/ (<paramref name="datasetUsed"/>) rather than ingesting its own, that dataset is carried over.
    /// </summary>
    public void Commit(string command, string? datasetUsed = null)
    {
        var previousDataset = Path.Combine(Final, DatasetFolder);
        var stagedDataset = Path.Combine(Work, DatasetFolder);
        if (Work != Final && datasetUsed is not null && Path.GetFullPath(datasetUsed).TrimEnd(Path.DirectorySeparatorChar) == previousDataset &&
            !Directory.Exists(stagedDataset))
            Directory.Move(previousDataset, stagedDataset);
        var marker = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["command"] = command,
            ["pid"] = Environment.ProcessId,
            ["host"] = Environment.MachineName,
            ["finishedUtc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        });
        File.WriteAllText(Path.Combine(Work, SuccessMarker), marker + "\n");
        if (Work == Final)
        {
            _committed = true;
            return;
        }
        string? old = null;
        if (Directory.Exists(Final))
        {
            old = Sibling(Final, $"previous-{Environment.ProcessId}");
            Directory.Move(Final, old);
        }
        Directory.Move(Work, Final);
        _committed = true;
        if (old is not null) Directory.Delete(old, recursive: true);
    }

    /// <summary>Refuses a run folder that its job did not finish (no completion marker).</summary>
    public static void RequireComplete(string dir)
    {
        if (!Directory.Exists(dir)) throw new CliException($"{dir}: no such folder");
        if (!File.Exists(Path.Combine(dir, SuccessMarker)))
            throw new CliException($"{dir}: no {SuccessMarker} marker: not a complete run folder (its job failed, is still running, " +
                                   "or the folder was written by hand); run the job again");
    }

    /// <summary>
    /// A model.json or dataset/ inside a run folder (beside model.json, summary.json, scores.parquet, events.log or
    /// timeline.json) is used only when that folder is complete; a model.json or dataset on its own (copied, deployed,
    /// hand-written, ingested) is taken as it is.
    /// </summary>
    public static void RequireCompleteIfInRunFolder(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        var dir = Path.GetDirectoryName(full)!;
        string[] runFiles = ["model.json", "summary.json", "scores.parquet", "events.log", "timeline.json"];
        if (runFiles.Select(f => Path.Combine(dir, f)).Any(f => f != full && File.Exists(f))) RequireComplete(dir);
    }

    public void Dispose()
    {
        try
        {
            if (!_committed && Work != Final && Directory.Exists(Work)) Directory.Delete(Work, recursive: true);
        }
        finally
        {
            _lock.Dispose();
        }
    }

    internal static string Sibling(string final, string suffix) =>
        Path.Combine(Path.GetDirectoryName(final)!, $".{Path.GetFileName(final)}.{suffix}");

    /// <summary>Staging or previous folders of jobs that died (their pid is gone) while holding this folder.</summary>
    private static void RemoveLeftovers(string final)
    {
        var prefix = $".{Path.GetFileName(final)}.";
        foreach (var dir in Directory.EnumerateDirectories(Path.GetDirectoryName(final)!, prefix + "*"))
        {
            var rest = Path.GetFileName(dir)[prefix.Length..];
            var dash = rest.LastIndexOf('-');
            if (dash < 0 || rest[..dash] is not ("staging" or "previous")) continue;
            if (!int.TryParse(rest[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            // We hold the lock: a leftover of our own pid is from an earlier command of this very process.
            if (pid == Environment.ProcessId || !RunFolderLock.IsAlive(pid, null)) Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary>The lock file <c>.NAME.lock</c> beside a run folder: one job per folder.</summary>
public sealed class RunFolderLock : IDisposable
{
    private readonly string _path;
    private readonly string _token;

    private RunFolderLock(string path, string token)
    {
        _path = path;
        _token = token;
    }

    public static string PathFor(string folder) => RunFolder.Sibling(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar), "lock");

    /// <summary>Takes the lock, or fails at once naming its holder; a holder that no longer runs loses it (one warning).</summary>
    public static RunFolderLock Acquire(string folder, string command, TextWriter warnings)
    {
        var path = PathFor(folder);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var self = Process.GetCurrentProcess();
        var holder = new LockHolder(Environment.MachineName, Environment.ProcessId, self.StartTime.ToUniversalTime().Ticks, command,
            DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture), Guid.NewGuid().ToString("N"));
        IOException? lastError = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            // Created exclusively (O_CREAT|O_EXCL): of two jobs only one gets the file. File.Move(…, overwrite: false) was
            // not exclusive here: two runs started together both took the lock (CI, both ingesting into one staging folder).
            try
            {
                using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                    JsonSerializer.Serialize(stream, holder);
                return new RunFolderLock(path, holder.Token);
            }
            catch (IOException e) when (File.Exists(path))
            {
                lastError = e;
            }
            // A lock just created may not be written yet, and its holder may release it while we read (a job started as
            // another ends): read again briefly before calling it unreadable; a lock gone since is taken next attempt.
            var other = Read(path);
            for (var retry = 0; other is null && retry < 10 && File.Exists(path); retry++)
            {
                Thread.Sleep(20);
                other = Read(path);
            }
            if (other is null && !File.Exists(path)) continue;
            if (other is null || (other.Host == Environment.MachineName && !IsAlive(other.Pid, other.ProcessStartTicks)))
            {
                warnings.WriteLine(other is null
                    ? $"distgmm: warning: {path} is unreadable; taking the lock of run folder {folder} over"
                    : $"distgmm: warning: taking over the stale lock of run folder {folder}: pid {other.Pid} on {other.Host} ({other.Command}, since {other.SinceUtc}) is no longer running");
                File.Delete(path);
                continue;
            }
            throw new CliException(
                $"run folder {folder} is in use by pid {other.Pid} on {other.Host} ({other.Command}, since {other.SinceUtc}); " +
                (other.Host == Environment.MachineName ? "wait for it to finish" : $"if that job is gone, delete {path}"),
                ExitCodes.Failure);
        }
        throw new CliException($"run folder {folder}: could not take the lock {path}{(lastError is null ? "" : $" ({lastError.Message})")}", ExitCodes.Failure);
    }

    /// <summary>Whether <paramref name="pid"/> runs here and (when known) is the same process that took the lock.</summary>
    public static bool IsAlive(int pid, long? startTicks)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.HasExited) return false;
            // A start time is derived from the boot time, which two processes compute a few milliseconds apart: a pid
            // reused by another process would have started later than that.
            return startTicks is null || Math.Abs(process.StartTime.ToUniversalTime().Ticks - startTicks.Value) < TimeSpan.TicksPerSecond;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false; // exited meanwhile
        }
    }

    private static LockHolder? Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<LockHolder>(File.ReadAllText(path));
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        // Only our own lock is removed (a takeover may have replaced it if we were wrongly thought dead).
        if (Read(_path)?.Token == _token) File.Delete(_path);
    }

    internal sealed record LockHolder(string Host, int Pid, long ProcessStartTicks, string Command, string SinceUtc, string Token);
}
