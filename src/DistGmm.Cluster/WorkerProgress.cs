using System.Globalization;

namespace DistGmm.Cluster;

/// <summary>
/// What a worker is about to compute, published on its actor system's event stream (the <c>distgmm worker</c> command
/// prints it as a line; nobody listens in an embedded run).
/// </summary>
public sealed record WorkerProgress(string WorkerId, string JobId, string Text)
{
    public override string ToString() => $"worker '{WorkerId}': job {JobId}: {Text}";

    /// <summary>The progress a command stands for, or null for messages that are not work.</summary>
    public static WorkerProgress? Describe(string workerId, object message) => message switch
    {
        LoadShards m => new(workerId, m.JobId, $"loading {Shards(m.Shards)}"),
        ComputePass m => new(workerId, m.JobId, $"pass {m.PassNumber} ({PassName(m.Pass)}) on {Shards(m.Shards.Select(s => s.Shard).ToList())}"),
        UseRecordCounts m => new(workerId, m.JobId, $"keeping the distinct records of {Shards(m.Shards.Select(s => s.Shard).ToList())}"),
        ScoreShards m => new(workerId, m.JobId, $"scoring {Shards(m.Shards)}"),
        CollectAnomalies m => new(workerId, m.JobId, $"collecting the anomalies of {Shards(m.Shards)}"),
        ReleaseJob m => new(workerId, m.JobId, "released"),
        _ => null,
    };

    private static string Shards(IReadOnlyList<int> shards) =>
        (shards.Count == 1 ? "shard " : "shards ") + string.Join(", ", shards.Select(s => s.ToString(CultureInfo.InvariantCulture)));

    // "EStepPass" → "e-step", "KMeansPass" → "k-means": the pass kinds of EmTraining, named as a person would.
    private static string PassName(object pass)
    {
        var name = pass.GetType().Name;
        if (name.EndsWith("Pass", StringComparison.Ordinal)) name = name[..^4];
        var words = new System.Text.StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            // A word starts at a capital after a small letter, or at the last capital of a run ("EStep" → e-step).
            if (i > 0 && char.IsUpper(name[i]) && (!char.IsUpper(name[i - 1]) || i + 1 < name.Length && char.IsLower(name[i + 1])))
                words.Append('-');
            words.Append(char.ToLowerInvariant(name[i]));
        }
        return words.ToString();
    }
}
