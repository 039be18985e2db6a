using System.Globalization;
using System.Text.RegularExpressions;

namespace DistGmm.Cluster;

/// <summary>One fault to inject; <see cref="Target"/> is a worker id or <c>random</c> (chosen with the job's seed).</summary>
public abstract record ChaosAction(string Target)
{
    public const string Random = "random";
}

/// <summary>Kill the worker when EM iteration <paramref name="AtIteration"/> has completed (its next E-step is lost).</summary>
public sealed record KillWorker(string Target, int AtIteration) : ChaosAction(Target)
{
    public override string ToString() => $"kill:{Target}@{AtIteration}";
}

/// <summary>After iteration <paramref name="AtIteration"/> the worker's node is downed (removed from the cluster, as after a partition).</summary>
public sealed record DownWorker(string Target, int AtIteration) : ChaosAction(Target)
{
    public override string ToString() => $"down:{Target}@{AtIteration}";
}

/// <summary>Every message from the worker reaches the coordinator <paramref name="Delay"/> late (a slow link).</summary>
public sealed record DelayMessages(string Target, TimeSpan Delay) : ChaosAction(Target)
{
    public override string ToString() => FormattableString.Invariant($"delay:{Target}={Delay.TotalMilliseconds:0}ms");
}

/// <summary>
/// The <c>--chaos</c> faults of a job, for fault-tolerance experiments. Syntax (repeatable option):
/// <c>kill:WORKER@ITER</c>, <c>down:WORKER@ITER</c>, <c>delay:WORKER=MS</c> (e.g. <c>delay:w1=200ms</c>);
/// WORKER is a worker id or <c>random</c>.
/// </summary>
public sealed partial record ChaosPlan(IReadOnlyList<ChaosAction> Actions)
{
    public static ChaosPlan None { get; } = new([]);

    public bool IsEmpty => Actions.Count == 0;

    public static ChaosPlan Parse(IEnumerable<string> specs) => new([.. specs.Select(ParseOne)]);

    public static ChaosAction ParseOne(string spec)
    {
        var m = SpecPattern().Match(spec.Trim());
        if (!m.Success)
            throw new FormatException($"chaos '{spec}': expected kill:WORKER@ITER, down:WORKER@ITER or delay:WORKER=MS (WORKER may be 'random')");
        var target = m.Groups["target"].Value;
        var kind = m.Groups["kind"].Value;
        if (kind == "delay")
        {
            if (m.Groups["ms"].Success) return new DelayMessages(target, TimeSpan.FromMilliseconds(int.Parse(m.Groups["ms"].Value, CultureInfo.InvariantCulture)));
            throw new FormatException($"chaos '{spec}': delay needs =MS, e.g. delay:{target}=200ms");
        }
        if (!m.Groups["iter"].Success) throw new FormatException($"chaos '{spec}': {kind} needs @ITER, e.g. {kind}:{target}@3");
        var iteration = int.Parse(m.Groups["iter"].Value, CultureInfo.InvariantCulture);
        if (iteration < 1) throw new FormatException($"chaos '{spec}': the iteration must be at least 1");
        return kind == "kill" ? new KillWorker(target, iteration) : new DownWorker(target, iteration);
    }

    /// <summary>The worker a target names: itself, or for <c>random</c> one of the members picked by <paramref name="seed"/>.</summary>
    public static string? Resolve(string target, IReadOnlyList<string> workers, int seed)
    {
        if (target != ChaosAction.Random) return workers.Contains(target) ? target : null;
        if (workers.Count == 0) return null;
        var ordered = workers.Order(StringComparer.Ordinal).ToList();
        return ordered[new Random(seed).Next(ordered.Count)];
    }

    public override string ToString() => string.Join(", ", Actions);

    [GeneratedRegex(@"^(?<kind>kill|down|delay):(?<target>[A-Za-z0-9_.\-]+)(@(?<iter>\d{1,6})|=(?<ms>\d{1,7})(ms)?)?$")]
    private static partial Regex SpecPattern();
}
