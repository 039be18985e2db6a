using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DistGmm.Cluster;

/// <summary>
/// One recorded job event in timeline.json. <see cref="T"/> is seconds since the first job of the run started (a run
/// is a training job then a scoring job); the optional fields are those the event kind has.
/// </summary>
/// <param name="Kind">camelCase event name: jobStarted, shardsAssigned, workerFailed, iterationCompleted, …</param>
/// <param name="Assignment">For shardsAssigned: every worker's shards after the (re)assignment.</param>
/// <param name="Seconds">A duration the event carries: silent-for (failure verdicts), recompute time, maximum wait.</param>
public sealed record TimelineEntry(double T, string Kind, string Job, string Detail)
{
    public string? Worker { get; init; }
    public IReadOnlyList<int>? Shards { get; init; }
    public IReadOnlyDictionary<string, IReadOnlyList<int>>? Assignment { get; init; }
    public string? Reason { get; init; }
    public int? K { get; init; }
    public int? Iteration { get; init; }
    public double? LowerBound { get; init; }
    public double? Delta { get; init; }
    public double? Seconds { get; init; }
    public bool? Succeeded { get; init; }
}

/// <summary>timeline.json: when the run started (UTC) and its events in arrival order.</summary>
public sealed record TimelineFile(int Version, DateTimeOffset StartedAt, IReadOnlyList<TimelineEntry> Events)
{
    public const int CurrentVersion = 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // a file, not HTML: keep "+" and quotes readable
    };

    /// <summary>One event per line: readable, diffable and still one JSON document.</summary>
    public string ToJson()
    {
        var sb = new StringBuilder();
        sb.Append("{\"version\":").Append(Version.ToString(CultureInfo.InvariantCulture))
            .Append(",\"startedAt\":").Append(JsonSerializer.Serialize(StartedAt, Json)).Append(",\"events\":[\n");
        for (var i = 0; i < Events.Count; i++)
            sb.Append(JsonSerializer.Serialize(Events[i], Json)).Append(i + 1 < Events.Count ? ",\n" : "\n");
        return sb.Append("]}\n").ToString();
    }

    /// <summary>Reads timeline.json; a newer version than this build knows is refused rather than misread.</summary>
    public static TimelineFile Load(string path)
    {
        var file = JsonSerializer.Deserialize<TimelineFile>(File.ReadAllText(path), Json)
                   ?? throw new InvalidDataException($"{path}: empty timeline");
        if (file.Version is < 1 or > CurrentVersion)
            throw new InvalidDataException($"{path}: timeline version {file.Version} is not supported (this build reads version {CurrentVersion}).");
        return file;
    }
}

/// <summary>
/// Records a run's job events for the report's cluster timeline and writes them to timeline.json (after each job
/// finishes, so a failed run keeps its timeline, and on dispose). Thread-safe: events arrive on actor threads.
/// </summary>
public sealed class TimelineRecorder : IJobObserver, IDisposable
{
    public const string FileName = "timeline.json";

    private readonly Lock _gate = new();
    private readonly List<TimelineEntry> _entries = [];
    private readonly string _path;
    private readonly IJobObserver? _next;
    private DateTimeOffset? _start;
    private string _job = "";

    /// <param name="path">timeline.json to (over)write.</param>
    /// <param name="next">Observer every event is forwarded to.</param>
    public TimelineRecorder(string path, IJobObserver? next = null)
    {
        _path = path;
        _next = next;
    }

    public void OnEvent(JobEvent e)
    {
        lock (_gate)
        {
            if (e is JobStarted started) _job = started.JobId;
            else if (e is JobResumed resumed) _job = resumed.JobId;
            // Events before the first JobStarted (none today) still get a time: they start the clock.
            _start ??= e.Time;
            if (ToEntry(e, Math.Round((e.Time - _start.Value).TotalSeconds, 4), _job) is { } entry) _entries.Add(entry);
            if (e is JobFinished) Save();
        }
        _next?.OnEvent(e);
    }

    /// <summary>What has been recorded so far.</summary>
    public TimelineFile Snapshot()
    {
        lock (_gate) return new TimelineFile(TimelineFile.CurrentVersion, _start ?? DateTimeOffset.UnixEpoch, [.. _entries]);
    }

    public void Dispose()
    {
        lock (_gate) Save();
    }

    private void Save()
    {
        if (_start is null) return;
        var dir = Path.GetDirectoryName(Path.GetFullPath(_path))!;
        Directory.CreateDirectory(dir);
        // Write then rename: a reader (the report, a status tool) never sees half a file.
        var temp = Path.Combine(dir, $".{Path.GetFileName(_path)}.{Environment.ProcessId}.tmp");
        File.WriteAllText(temp, new TimelineFile(TimelineFile.CurrentVersion, _start.Value, _entries).ToJson());
        File.Move(temp, _path, overwrite: true);
    }

    private static TimelineEntry? ToEntry(JobEvent e, double t, string job)
    {
        var detail = e.Describe();
        return e switch
        {
            JobStarted s => new(t, "jobStarted", job, detail) { Reason = s.Kind },
            ShardsAssigned a => new(t, "shardsAssigned", job, detail)
            {
                Reason = a.Reason,
                Assignment = a.ByWorker.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => (IReadOnlyList<int>)[.. kv.Value]),
            },
            ShardsLoaded => new(t, "shardsLoaded", job, detail),
            StageChanged s => new(t, "stageChanged", job, detail) { Reason = s.Stage },
            IterationCompleted it => new(t, "iterationCompleted", job, detail)
            {
                K = it.K, Iteration = it.Iteration, LowerBound = it.LowerBound, Delta = it.Delta, Seconds = it.Elapsed.TotalSeconds,
            },
            WorkerFailed f => new(t, "workerFailed", job, detail) { Worker = f.WorkerId, Reason = f.Reason, Seconds = f.SilentFor?.TotalSeconds },
            WorkerJoinedJob j => new(t, "workerJoined", job, detail) { Worker = j.WorkerId, Reason = j.MidJob ? "mid-job" : null },
            WorkerUnreachable u => new(t, "workerUnreachable", job, detail) { Worker = u.WorkerId },
            ShardsRecovered r => new(t, "shardsRecovered", job, detail) { Shards = [.. r.Shards], Seconds = r.Recompute.TotalSeconds },
            WaitingForWorkers w => new(t, "waitingForWorkers", job, detail) { Reason = w.Reason, Seconds = w.MaxWait.TotalSeconds },
            JobResumed r => new(t, "jobResumed", job, detail) { Reason = r.Stage },
            ChaosInjected c => new(t, "chaosInjected", job, detail) { Reason = c.Action, Worker = c.Target },
            WorkerRecovered r => new(t, "workerRecovered", job, detail) { Worker = r.WorkerId },
            ScoringProgress => new(t, "scoringProgress", job, detail),
            JobFinished f => new(t, "jobFinished", job, detail) { Succeeded = f.Succeeded, Reason = f.Error },
            _ => null, // CandidateFitted, ThresholdSet: not timeline material (events.log has them)
        };
    }
}
