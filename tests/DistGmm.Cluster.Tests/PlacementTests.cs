using DistGmm.Cluster;
using Xunit;

namespace DistGmm.Cluster.Tests;

public sealed class PlacementTests
{
    private static long[] Load(IReadOnlyList<string> owners, IReadOnlyList<long> rows, IReadOnlyList<string> workers) =>
        [.. workers.Select(w => Enumerable.Range(0, rows.Count).Where(s => owners[s] == w).Sum(s => rows[s]))];

    [Fact]
    public void Balanced_by_rows_places_largest_shards_first_on_the_least_loaded_worker()
    {
        long[] rows = [100, 500, 300, 300, 200, 100];
        var owners = BalancedByRowsPlacement.Instance.Place(rows, ["a", "b", "c"]);
        // 500->a, 300(#2)->b, 300(#3)->c, 200->b (tie 300/300: earlier worker), 100(#0)->c (400), 100(#5)->c (tie 500s... c=400 least)
        Assert.Equal(["c", "a", "b", "c", "b", "c"], owners);
        Assert.Equal([500, 500, 500], Load(owners, rows, ["a", "b", "c"]));
    }

    [Fact]
    public void Placement_is_a_pure_function_and_covers_every_shard()
    {
        var rows = Enumerable.Range(0, 37).Select(i => (long)(1000 + (i * 7919) % 613)).ToArray();
        string[] workers = ["w0", "w1", "w2", "w3", "w4"];
        var first = BalancedByRowsPlacement.Instance.Place(rows, workers);
        Assert.Equal(first, BalancedByRowsPlacement.Instance.Place(rows, workers));
        Assert.Equal(37, first.Count);
        Assert.All(first, o => Assert.Contains(o, workers));
        var load = Load(first, rows, workers);
        Assert.True(load.Max() - load.Min() <= rows.Max(), $"loads {string.Join(",", load)}");
    }

    [Fact]
    public void More_workers_than_shards_leaves_some_idle()
    {
        var owners = BalancedByRowsPlacement.Instance.Place([10, 20], ["a", "b", "c"]);
        Assert.Equal(["b", "a"], owners);
    }

    [Fact]
    public void Zero_workers_is_a_clear_error()
    {
        var ex = Assert.Throws<ArgumentException>(() => BalancedByRowsPlacement.Instance.Place([1], []));
        Assert.Contains("zero workers", ex.Message);
    }

    [Fact]
    public void Round_robin_with_offset()
    {
        Assert.Equal(["b", "c", "a", "b"], new RoundRobinPlacement(1).Place([1, 1, 1, 1], ["a", "b", "c"]));
    }

    [Fact]
    public void Reassign_moves_only_the_lost_workers_shards_onto_the_least_loaded_survivors()
    {
        long[] rows = [100, 500, 300, 300, 200, 100];
        IReadOnlyList<string> owners = ["c", "a", "b", "c", "b", "a"];
        var after = PlacementExtensions.Reassign(owners, rows, "a", ["b", "c"]);
        // b has 500, c has 400: shard 1 (500) -> c (900), shard 5 (100) -> b (600)
        Assert.Equal(["c", "c", "b", "c", "b", "b"], after);
        var error = Assert.Throws<InvalidOperationException>(() => PlacementExtensions.Reassign(owners, rows, "a", []));
        Assert.Contains("no worker is left", error.Message);
    }

    [Fact]
    public void Rebalance_moves_few_shards_onto_a_newcomer_and_never_raises_the_busiest_load()
    {
        long[] rows = [100, 500, 300, 300, 200, 100];
        var owners = BalancedByRowsPlacement.Instance.Place(rows, ["a", "b"]);
        var before = Load(owners, rows, ["a", "b", "c"]);
        var after = PlacementExtensions.Rebalance(owners, rows, ["a", "b", "c"]);
        var load = Load(after, rows, ["a", "b", "c"]);
        Assert.True(load[2] > 0, "the newcomer gets work");
        Assert.True(load.Max() < before.Max());
        // a=800 [500,200,100], b=700 [100,300,300] → the 500 to c, a 300 to a, a 100 back to b: even, three moves of six.
        Assert.Equal(["b", "c", "a", "b", "a", "b"], after);
        Assert.Equal([500, 500, 500], load);
        Assert.Equal(after, PlacementExtensions.Rebalance(owners, rows, ["a", "b", "c"])); // deterministic
        Assert.Equal(after, PlacementExtensions.Rebalance(after, rows, ["a", "b", "c"]));  // already balanced: a fixed point
    }

    [Fact]
    public void Orphaned_shards_go_to_the_members_and_nothing_else_moves()
    {
        long[] rows = [10, 20, 30, 40];
        string[] owners = ["gone", "a", "gone", "a"];
        Assert.Equal(["b", "a", "b", "a"], PlacementExtensions.AssignOrphans(owners, rows, ["a", "b"]));
        Assert.Throws<InvalidOperationException>(() => PlacementExtensions.AssignOrphans(owners, rows, []));
    }

    [Fact]
    public void A_worker_with_more_cores_gets_rows_in_proportion()
    {
        long[] rows = [100, 100, 100, 100, 100, 100, 100, 100];
        Func<string, int> cores = w => w == "a" ? 3 : 1;
        var owners = BalancedByRowsPlacement.Instance.Place(rows, ["a", "b"], cores);
        // Each shard to whoever would finish it first (rows over cores; ties: the earlier worker): 600 rows on 3 cores, 200 on 1.
        Assert.Equal(["a", "a", "a", "b", "a", "a", "a", "b"], owners);
        // Equal cores: plain balance by rows, as with no cores given.
        Assert.Equal(BalancedByRowsPlacement.Instance.Place(rows, ["a", "b"]), BalancedByRowsPlacement.Instance.Place(rows, ["a", "b"], _ => 4));
    }

    [Fact]
    public void A_lost_workers_shards_and_a_rebalance_weigh_rows_by_cores()
    {
        long[] rows = [100, 100, 100, 100, 100, 100];
        Func<string, int> cores = w => w == "b" ? 2 : 1;
        // a is lost: its four shards go where they finish first — b (2 cores) takes three (the third a tie, to the
        // earlier worker), c the last.
        var after = PlacementExtensions.Reassign(["a", "a", "a", "a", "b", "c"], rows, "a", ["b", "c"], cores);
        Assert.Equal(["b", "b", "b", "c", "b", "c"], after);
        Assert.Equal([400, 200], Load(after, rows, ["b", "c"]));

        // A 2-core newcomer b next to a (1 core) holding everything: b ends with twice a's rows.
        var rebalanced = PlacementExtensions.Rebalance(["a", "a", "a", "a", "a", "a"], rows, ["a", "b"], cores);
        Assert.Equal([200, 400], Load(rebalanced, rows, ["a", "b"]));
        Assert.Equal(rebalanced, PlacementExtensions.Rebalance(rebalanced, rows, ["a", "b"], cores)); // a fixed point
    }
}
