namespace DistGmm.Cluster;

/// <summary>
/// Decides which worker holds which shard. A pure function of its inputs (no clocks, no randomness), so the same
/// cluster shape always gives the same placement. The model never depends on placement (results are merged in shard
/// order); placement only decides who does the work.
/// </summary>
/// <remarks>
/// A pass is compute-bound and a worker computes its shards on all its cores, so a worker's time is its rows over its
/// cores: placement balances that (a 4-core node gets twice the rows of a 2-core one). With equal cores it is plain
/// balance by rows.
/// </remarks>
public interface IShardPlacement
{
    /// <param name="shardRows">Rows of each shard, by shard index.</param>
    /// <param name="workers">Worker ids, in registration order.</param>
    /// <param name="cores">Each worker's cores (null: one each).</param>
    /// <returns>The worker id of each shard, by shard index.</returns>
    IReadOnlyList<string> Place(IReadOnlyList<long> shardRows, IReadOnlyList<string> workers, Func<string, int>? cores = null);
}

/// <summary>
/// Balanced by rows per core: largest shards first, each to the worker that would finish it first (rows so far plus
/// the shard's, over its cores; ties: lower shard index, earlier worker). The classic LPT heuristic for machines of
/// different speeds: with equal cores the busiest worker holds at most 4/3 of the optimum.
/// </summary>
public sealed class BalancedByRowsPlacement : IShardPlacement
{
    public static BalancedByRowsPlacement Instance { get; } = new();

    public IReadOnlyList<string> Place(IReadOnlyList<long> shardRows, IReadOnlyList<string> workers, Func<string, int>? cores = null)
    {
        if (workers.Count == 0) throw new ArgumentException("Cannot place shards on zero workers.", nameof(workers));
        var owners = new string[shardRows.Count];
        var load = new long[workers.Count];
        var capacity = PlacementExtensions.Capacities(workers, cores);
        var order = Enumerable.Range(0, shardRows.Count).OrderByDescending(s => shardRows[s]).ThenBy(s => s);
        foreach (var shard in order)
        {
            var target = PlacementExtensions.FirstToFinish(load, capacity, shardRows[shard]);
            owners[shard] = workers[target];
            load[target] += shardRows[shard];
        }
        return owners;
    }
}

/// <summary>Shard i goes to worker (i + Offset) mod W: for tests proving results do not depend on placement.</summary>
public sealed class RoundRobinPlacement(int offset = 0) : IShardPlacement
{
    public IReadOnlyList<string> Place(IReadOnlyList<long> shardRows, IReadOnlyList<string> workers, Func<string, int>? cores = null)
    {
        if (workers.Count == 0) throw new ArgumentException("Cannot place shards on zero workers.", nameof(workers));
        return [.. Enumerable.Range(0, shardRows.Count).Select(s => workers[((s + offset) % workers.Count + workers.Count) % workers.Count])];
    }
}

public static class PlacementExtensions
{
    /// <summary>
    /// Moves only the shards of <paramref name="lostWorker"/>: they are placed (by the strategy) onto the survivors as if
    /// the survivors were empty, then kept balanced by adding each survivor's current rows — simplest: greedy onto the
    /// survivor that would finish first (rows per core), largest shard first. Shards of survivors never move (they stay loaded).
    /// </summary>
    public static IReadOnlyList<string> Reassign(IReadOnlyList<string> owners, IReadOnlyList<long> shardRows,
        string lostWorker, IReadOnlyList<string> survivors, Func<string, int>? cores = null)
    {
        if (survivors.Count == 0) throw new InvalidOperationException($"Worker {lostWorker} was lost and no worker is left to take its shards.");
        return AssignOrphans(owners, shardRows, survivors, owner => owner == lostWorker, cores);
    }

    /// <summary>Gives every shard whose owner is not in <paramref name="workers"/> to the member that would finish it first, largest first.</summary>
    public static IReadOnlyList<string> AssignOrphans(IReadOnlyList<string> owners, IReadOnlyList<long> shardRows, IReadOnlyList<string> workers,
        Func<string, int>? cores = null) =>
        workers.Count == 0
            ? throw new InvalidOperationException("No worker to take the orphaned shards.")
            : AssignOrphans(owners, shardRows, workers, owner => !workers.Contains(owner), cores);

    private static string[] AssignOrphans(IReadOnlyList<string> owners, IReadOnlyList<long> shardRows, IReadOnlyList<string> workers,
        Func<string, bool> isOrphan, Func<string, int>? cores)
    {
        var result = owners.ToArray();
        var load = workers.Select(w => Enumerable.Range(0, owners.Count).Where(s => owners[s] == w).Sum(s => shardRows[s])).ToArray();
        var capacity = Capacities(workers, cores);
        var orphans = Enumerable.Range(0, owners.Count).Where(s => isOrphan(owners[s]))
            .OrderByDescending(s => shardRows[s]).ThenBy(s => s);
        foreach (var shard in orphans)
        {
            var target = FirstToFinish(load, capacity, shardRows[shard]);
            result[shard] = workers[target];
            load[target] += shardRows[shard];
        }
        return result;
    }

    /// <summary>
    /// Evens out the load after workers joined (the rebalance at an iteration boundary): repeatedly moves one shard
    /// from the worker that finishes last to the one that finishes first (rows per core) while that strictly lowers the
    /// later of the two, choosing the largest such shard (ties: lower shard index). Few shards move, so few are loaded
    /// again; deterministic.
    /// </summary>
    public static IReadOnlyList<string> Rebalance(IReadOnlyList<string> owners, IReadOnlyList<long> shardRows, IReadOnlyList<string> workers,
        Func<string, int>? cores = null)
    {
        var result = owners.ToArray();
        if (workers.Count < 2) return result;
        var load = workers.Select(w => Enumerable.Range(0, owners.Count).Where(s => result[s] == w).Sum(s => shardRows[s])).ToArray();
        var capacity = Capacities(workers, cores);
        for (var moves = 0; moves < owners.Count; moves++)
        {
            int max = 0, min = 0;
            for (var w = 1; w < workers.Count; w++)
            {
                if (load[w] / capacity[w] > load[max] / capacity[max]) max = w;
                if (load[w] / capacity[w] < load[min] / capacity[min]) min = w;
            }
            var best = -1;
            for (var s = 0; s < owners.Count; s++)
                if (result[s] == workers[max] && (load[min] + shardRows[s]) / capacity[min] < load[max] / capacity[max]
                    && (best < 0 || shardRows[s] > shardRows[best])) best = s;
            if (best < 0 || shardRows[best] == 0) break;
            result[best] = workers[min];
            load[max] -= shardRows[best];
            load[min] += shardRows[best];
        }
        return result;
    }

    /// <summary>Each worker's cores, at least 1 (null: one each), as the divisor of its rows.</summary>
    internal static double[] Capacities(IReadOnlyList<string> workers, Func<string, int>? cores) =>
        [.. workers.Select(w => (double)Math.Max(1, cores?.Invoke(w) ?? 1))];

    /// <summary>The worker that would finish first with <paramref name="rows"/> more (ties: the earlier worker).</summary>
    internal static int FirstToFinish(long[] load, double[] capacity, long rows)
    {
        var target = 0;
        for (var w = 1; w < load.Length; w++)
            if ((load[w] + rows) / capacity[w] < (load[target] + rows) / capacity[target]) target = w;
        return target;
    }
}
